package dev.bulkhead.backend.qemu.internal;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import dev.bulkhead.api.host.ProcessHostCommands;

/**
 * When KVM counts as usable, and so when backend=auto may pick qemu; on a host without usable KVM (such as this
 * project's CI) QemuBackendSystemTest runs TCG, and the real /sys/module decides the last case here.
 */
class HostPathsTest {
    @TempDir
    Path temp;

    @Test
    void kvmNeedsTheDeviceAndAHardwareKvmModule() throws Exception {
        Path device = temp.resolve("kvm");
        Path modules = Files.createDirectory(temp.resolve("module"));
        HostPaths host = new HostPaths(Path.of("/proc"), device, modules);
        assertFalse(host.kvmUsable(), "no device");
        Files.createFile(device);
        Files.createDirectory(modules.resolve("kvm"));
        Files.createDirectory(modules.resolve("kvm_pvm"));
        assertFalse(host.kvmUsable(), "a paravirtual KVM runs no stock guest kernel");
        Files.createDirectory(modules.resolve("kvm_amd"));
        assertTrue(host.kvmUsable());
    }

    @Test
    void theBackendIsSupportedOnlyWithKvmAndItsImage() throws Exception {
        Path device = Files.createFile(temp.resolve("kvm"));
        Path modules = Files.createDirectories(temp.resolve("module/kvm_intel")).getParent();
        Path image = Files.createDirectory(temp.resolve("image"));
        HostPaths kvmHost = new HostPaths(Path.of("/proc"), device, modules);
        QemuSettings auto = new QemuSettings("/bin/true", image, QemuSettings.Accelerator.AUTO, Duration.ofSeconds(1),
                Duration.ofSeconds(1), Duration.ofSeconds(1));
        assertFalse(new QemuBackend(temp.resolve("data"), auto, kvmHost, new ProcessHostCommands()).isSupported(), "no image");
        Files.createFile(image.resolve("vmlinuz"));
        Files.createFile(image.resolve("initrd.img"));
        assertTrue(new QemuBackend(temp.resolve("data"), auto, kvmHost, new ProcessHostCommands()).isSupported());
        QemuSettings tcg = new QemuSettings("/bin/true", image, QemuSettings.Accelerator.TCG, Duration.ofSeconds(1),
                Duration.ofSeconds(1), Duration.ofSeconds(1));
        assertFalse(new QemuBackend(temp.resolve("data"), tcg, kvmHost, new ProcessHostCommands()).isSupported(), "TCG is never picked by backend=auto");
        HostPaths noKvm = new HostPaths(Path.of("/proc"), temp.resolve("none"), modules);
        assertFalse(new QemuBackend(temp.resolve("data"), auto, noKvm, new ProcessHostCommands()).isSupported());
        assertFalse(Files.exists(temp.resolve("data")), "asking changes nothing on the host");
    }
}
