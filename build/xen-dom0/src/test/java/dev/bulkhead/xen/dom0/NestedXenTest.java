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
 * that it ran. Timings are printed, not asserted.
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

    private HostCommandResult virsh(NestedXen xen, String... arguments) {
        List<String> argv = new java.util.ArrayList<>(List.of("virsh", "-c", xen.uri()));
        argv.addAll(List.of(arguments));
        return host.runOrThrow(HostCommand.of(Duration.ofMinutes(2), argv));
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
