package dev.bulkhead.backend.qemu.internal;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.stream.Stream;

/** The host's kernel interfaces this backend reads: processes, the KVM device and the loaded kernel modules. */
record HostPaths(Path proc, Path kvmDevice, Path sysModule) {
    static HostPaths system() {
        return new HostPaths(Path.of("/proc"), Path.of("/dev/kvm"), Path.of("/sys/module"));
    }

    /**
     * Whether QEMU can run stock guest kernels with KVM here: the device is there and usable, and the kernel
     * drives the processor's own virtualisation (kvm_intel or kvm_amd). A KVM without either (such as PVM, a
     * paravirtual KVM inside another virtual machine) runs only kernels built for it.
     */
    boolean kvmUsable() {
        return Files.isReadable(kvmDevice) && Files.isWritable(kvmDevice)
                && (Files.isDirectory(sysModule.resolve("kvm_intel")) || Files.isDirectory(sysModule.resolve("kvm_amd")));
    }

    /** Whether a program can be run: a path that is executable, or a name found executable on PATH. */
    static boolean onPath(String program) {
        if (program.contains("/")) {
            return Files.isExecutable(Path.of(program));
        }
        String path = System.getenv("PATH");
        return path != null && Stream.of(path.split(":")).anyMatch(d -> !d.isEmpty() && Files.isExecutable(Path.of(d, program)));
    }
}
