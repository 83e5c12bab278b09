package dev.bulkhead.backend.qemu.internal;

import java.nio.charset.StandardCharsets;
import java.nio.file.Path;

import dev.bulkhead.api.AdminException;
import dev.bulkhead.api.InvalidValueException;
import dev.bulkhead.api.hypervisor.DomainSpec;

/**
 * What a start checks before it touches anything: the spec's memory and processors, the template's root disk, the
 * guest image, the accelerator and the length of the domain's socket paths. A qube's {@code maxmem} needs no check:
 * whatever it is, {@link QemuCommandLine#hotplugBytes} makes of it a device of whole blocks, or none.
 */
final class StartChecks {
    private StartChecks() {
    }

    static void check(DomainSpec spec, QemuSettings settings, HostPaths host, DomainLayout layout, QemuRootDisks rootDisks) {
        String name = spec.name();
        if (spec.memoryMiB() < 64) {
            throw new InvalidValueException("memory of '" + name + "'", spec.memoryMiB() + " MiB", "at least 64 MiB for a QEMU guest");
        }
        if (spec.vcpus() < 1) {
            throw new InvalidValueException("vcpus of '" + name + "'", Integer.toString(spec.vcpus()), "at least 1");
        }
        if (!spec.hvm()) {
            rootDisks.check(spec);
        }
        if (!settings.imagePresent()) {
            throw new AdminException("qemu backend: " + settings.imageProblem());
        }
        if (settings.accelerator() == QemuSettings.Accelerator.KVM && !host.kvmUsable()) {
            throw new AdminException("accelerator kvm is configured but KVM is not usable on this host"
                    + " (" + host.kvmDevice() + " and the kvm_intel or kvm_amd module are needed)");
        }
        Path socketPath = layout.agentSocket(name);
        if (socketPath.toString().getBytes(StandardCharsets.UTF_8).length > JsonChannel.MAX_SOCKET_PATH) {
            throw new AdminException("the socket path " + socketPath + " is longer than " + JsonChannel.MAX_SOCKET_PATH
                    + " bytes, the most a unix socket takes: use a shorter data directory");
        }
    }
}
