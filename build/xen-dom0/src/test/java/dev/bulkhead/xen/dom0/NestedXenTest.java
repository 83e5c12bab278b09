package dev.bulkhead.xen.dom0;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import java.util.stream.Collectors;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import dev.bulkhead.api.host.HostCommand;
import dev.bulkhead.api.host.HostCommandResult;
import dev.bulkhead.api.host.HostCommands;
import dev.bulkhead.api.host.ProcessHostCommands;
import dev.bulkhead.testing.SystemTest;

/**
 * The nested Xen the xen backend's tests stand on, proven from the host as the backend will use it: the host's
 * {@code virsh} over libvirt's remote protocol, through the port QEMU forwards from loopback, defines, starts,
 * destroys and undefines a PV guest whose kernel and initramfs are in dom0, and the guest's own console line shows
 * that it ran; and QEMU in dom0 serves a qcow2 disk, made in a libvirt storage pool there, to a PV guest. Timings
 * are printed, not asserted.
 */
@SystemTest
class NestedXenTest {
    private static final String GUEST = "bulkhead-nested-test";
    private final HostCommands host = new ProcessHostCommands();

    @Test
    void hostVirshRunsPvGuestInNestedXenThroughLoopbackPort(@TempDir Path dir) throws IOException {
        Path image = Path.of(System.getProperty("bulkhead.xen.dom0-image", "target/dom0-image"));
        // an image whose build was skipped (no Debian packages to be had) fails here, saying why: no system test is
        // ever skipped
        try (NestedXen xen = NestedXen.boot(host, image, dir.resolve("console.log"), Duration.ofMinutes(6))) {
            System.out.println("nested Xen: dom0's libvirtd answered " + xen.readyAfter().toMillis()
                    + " ms after QEMU's start, at " + xen.uri());

            String version = virsh(xen, "version").stdoutText();
            assertTrue(version.contains("Using API: Xen"), version);
            assertTrue(version.contains("Running hypervisor: Xen 4.17"), version);

            Path xml = dir.resolve("guest.xml");
            Files.writeString(xml, guestXml());
            virsh(xen, "define", xml.toString());
            long start = System.nanoTime();
            virsh(xen, "start", GUEST);
            long started = System.nanoTime();
            assertEquals("running", virsh(xen, "domstate", GUEST).stdoutText().strip());

            String banner = "[guest-" + GUEST + ".log] " + NestedXen.GUEST_BANNER;
            Optional<String> line = xen.awaitConsoleLine(l -> l.startsWith(banner), Duration.ofMinutes(3));
            assertTrue(line.isPresent(), () -> "no '" + banner + "' on the console; it ends with:\n" + xen.consoleTail(30));
            System.out.println("nested Xen: virsh start took " + (started - start) / 1_000_000 + " ms, the guest said '"
                    + line.get() + "' " + (System.nanoTime() - start) / 1_000_000 + " ms after the start");

            virsh(xen, "destroy", GUEST);
            virsh(xen, "undefine", GUEST);
            assertFalse(virsh(xen, "list", "--all", "--name").stdoutText().contains(GUEST));
        }
    }

    /**
     * QEMU as Xen's device model in dom0: libvirt's storage driver makes a dir pool there, takes an ext4 image made
     * here (holding a marker file) as a raw volume, makes a qcow2 volume backed by it with qemu-img, and a PV guest
     * whose disk is that qcow2 file (libxl's qdisk backend, which is QEMU) mounts it and prints the marker.
     */
    @Test
    void qemuInDom0ServesAQcow2DiskToAPvGuest(@TempDir Path dir) throws IOException {
        Path image = Path.of(System.getProperty("bulkhead.xen.dom0-image", "target/dom0-image"));
        Path tree = Files.createDirectories(dir.resolve("tree"));
        String marker = "qdisk-" + ProcessHandle.current().pid();
        Files.writeString(tree.resolve("marker"), marker);
        Path ext4 = dir.resolve("root.img");
        host.runOrThrow(HostCommand.of(Duration.ofMinutes(1), "mkfs.ext4", "-q", "-F", "-d", tree.toString(),
                ext4.toString(), "8M"));
        try (NestedXen xen = NestedXen.boot(host, image, dir.resolve("console.log"), Duration.ofMinutes(6))) {
            // libvirt names no <emulator>: libxl runs the QEMU it was built for, /usr/libexec/xen-qemu-system-i386
            virsh(xen, "pool-create-as", "nested-test", "dir", "--target", "/var/lib/bulkhead/pool", "--build");
            virsh(xen, "vol-create-as", "nested-test", "base.img", String.valueOf(Files.size(ext4)), "--format", "raw");
            virsh(xen, "vol-upload", "--pool", "nested-test", "base.img", ext4.toString());
            virsh(xen, "vol-create-as", "nested-test", "root.qcow2", "8M", "--format", "qcow2",
                    "--backing-vol", "base.img", "--backing-vol-format", "raw");

            Path xml = dir.resolve("guest.xml");
            Files.writeString(xml, guestXml().replace("<devices>", """
                    <devices>
                        <disk type='file' device='disk'>
                          <driver name='qemu' type='qcow2'/>
                          <source file='/var/lib/bulkhead/pool/root.qcow2'/>
                          <target dev='xvda' bus='xen'/>
                        </disk>"""));
            virsh(xen, "define", xml.toString());
            long start = System.nanoTime();
            virsh(xen, "start", GUEST);
            String line = "[guest-" + GUEST + ".log] " + NestedXen.GUEST_ROOT_MARKER;
            Optional<String> said = xen.awaitConsoleLine(l -> l.startsWith(line), Duration.ofMinutes(3));
            assertTrue(said.isPresent(), () -> "no '" + line + "' on the console; the guest's lines:\n"
                    + xen.consoleTail(2000).lines().filter(l -> l.startsWith("[guest-")).collect(Collectors.joining("\n")));
            assertEquals(line + marker, said.get().strip());
            System.out.println("nested Xen: a guest with a qcow2 disk printed its marker " + (System.nanoTime() - start)
                    / 1_000_000 + " ms after virsh start");
            virsh(xen, "destroy", GUEST);
            virsh(xen, "undefine", GUEST);
        }
    }

    private HostCommandResult virsh(NestedXen xen, String... arguments) {
        List<String> argv = new java.util.ArrayList<>(List.of("virsh", "-c", xen.uri()));
        argv.addAll(List.of(arguments));
        HostCommandResult result = host.run(HostCommand.of(Duration.ofMinutes(2), argv));
        if (!result.succeeded()) {
            // dom0 copies QEMU's and libxl's logs to its console: their end says why
            throw new AssertionError(String.join(" ", argv) + " failed (exit " + result.exitStatus() + "): "
                    + result.stderrText().strip() + "\nthe console ends with:\n" + xen.consoleTail(60));
        }
        return result;
    }

    private static String guestXml() {
        return """
                <domain type='xen'>
                  <name>%s</name>
                  <memory unit='MiB'>128</memory>
                  <vcpu>1</vcpu>
                  <os>
                    <type arch='x86_64' machine='xenpv'>linux</type>
                    <kernel>%s</kernel>
                    <initrd>%s</initrd>
                    <cmdline>console=hvc0</cmdline>
                  </os>
                  <on_poweroff>destroy</on_poweroff>
                  <on_reboot>destroy</on_reboot>
                  <on_crash>destroy</on_crash>
                  <devices>
                    <console type='pty'><target type='xen' port='0'/></console>
                  </devices>
                </domain>
                """.formatted(GUEST, NestedXen.GUEST_KERNEL, NestedXen.GUEST_INITRD);
    }
}
