package dev.bulkhead.backend.xen.internal;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Optional;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import dev.bulkhead.api.InvalidStateException;
import dev.bulkhead.api.InvalidValueException;
import dev.bulkhead.api.PowerState;
import dev.bulkhead.api.QubeClass;
import dev.bulkhead.api.host.HostCommand;
import dev.bulkhead.api.host.HostCommands;
import dev.bulkhead.api.host.ProcessHostCommands;
import dev.bulkhead.api.hypervisor.DomainSpec;
import dev.bulkhead.backend.xen.internal.XenDomain.Mode;
import dev.bulkhead.testing.SystemTest;
import dev.bulkhead.xen.dom0.NestedXen;

/**
 * Xen PV channels on a real Xen ({@link NestedXen}, over {@code xen+tcp://}): a PV qube the backend starts with two
 * channels runs with them, libxl having QEMU in dom0 serve each on its socket in libvirt's channel directory (the
 * running domain's XML, read back through libvirt), and its guest finds them as {@code /dev/hvc1} and
 * {@code /dev/hvc2}, in the declared order, and says so on its console. dom0's end cannot be opened from this host:
 * the backend refuses it naming the reason, after refusing a bad service name first. Timings are printed.
 */
@SystemTest
class XenChannelsOnNestedXenTest {
    private static final String QUBE = "nested-chan";
    private static final Path GUEST_KERNELS = Path.of(NestedXen.GUEST_KERNEL).getParent();
    private final HostCommands host = new ProcessHostCommands();

    @Test
    void aPvQubeRunsWithItsChannelsServedByQemuInDom0(@TempDir Path dir) {
        Path image = Path.of(System.getProperty("bulkhead.xen.dom0-image", "../../build/xen-dom0/target/dom0-image"));
        try (NestedXen xen = NestedXen.boot(host, image, dir.resolve("console.log"), Duration.ofMinutes(6))) {
            XenSettings settings = new XenSettings(xen.uri(), GUEST_KERNELS, Mode.PV, Duration.ofSeconds(5), 3,
                    Duration.ofSeconds(5));
            try (XenBackend backend = new XenBackend(dir.resolve("data"), settings, host, dir.resolve("no-capabilities"),
                    XenChannels.DEFAULT_DIRECTORY, List.of("gui", "qrexec"))) {
                DomainSpec spec = new DomainSpec(QUBE, 7, QubeClass.AppVM, 128, 128, 1, "", false, List.of());

                long start = System.nanoTime();
                backend.start(spec);
                System.out.println("nested Xen: the start of a PV qube with two channels took " + millisSince(start) + " ms");
                assertEquals(PowerState.Running, backend.state(QUBE));

                ParsedXml live = new ParsedXml(host.runOrThrow(HostCommand.of(Duration.ofMinutes(1), "virsh", "-c", xen.uri(),
                        "dumpxml", QUBE)).stdoutText());
                assertEquals(2, live.count("/domain/devices/channel[@type='unix']"));
                assertEquals("dev.bulkhead.gui", live.text("/domain/devices/channel[1]/target[@type='xen']/@name"));
                assertEquals(XenChannels.DEFAULT_DIRECTORY.resolve(QUBE + ".gui").toString(),
                        live.text("/domain/devices/channel[1]/source/@path"));
                assertEquals("dev.bulkhead.qrexec", live.text("/domain/devices/channel[2]/target[@type='xen']/@name"));

                for (int n = 1; n <= 2; n++) {
                    String found = "[guest-" + QUBE + ".log] bulkhead-xen-guest: channel console-" + n + " at /dev/hvc" + n;
                    Optional<String> line = xen.awaitConsoleLine(l -> l.startsWith(found), Duration.ofMinutes(3));
                    assertTrue(line.isPresent(), () -> "no '" + found + "' on the console; it ends with:\n" + xen.consoleTail(30));
                    System.out.println("nested Xen: the guest found channel " + n + " " + millisSince(start) + " ms after the start began");
                }

                // What libvirt itself answers, through its C API (the Java binding 0.5.3 has neither call).
                String channel = LibvirtStreams.openChannel(xen.uri(), QUBE, "dev.bulkhead.gui");
                System.out.println("nested Xen: virDomainOpenChannel: " + channel);
                assertTrue(channel.contains("not supported"), channel);
                String console = LibvirtStreams.openConsole(xen.uri(), QUBE, "channel0");
                System.out.println("nested Xen: virDomainOpenConsole(channel0): " + console);
                assertTrue(console.contains("cannot find character device"), console);

                InvalidValueException bad = assertThrows(InvalidValueException.class, () -> backend.openChannel(QUBE, "../gui"));
                assertEquals("service", bad.subject());
                InvalidStateException remote = assertThrows(InvalidStateException.class, () -> backend.openChannel(QUBE, "gui"));
                assertTrue(remote.getMessage().contains("no virDomainOpenChannel"), remote.getMessage());
                System.out.println("nested Xen: " + remote.getMessage());

                backend.kill(QUBE);
                assertFalse(backend.domains().stream().anyMatch(d -> d.name().equals(QUBE)), backend.domains()::toString);
            }
        }
    }

    private static long millisSince(long nanos) {
        return (System.nanoTime() - nanos) / 1_000_000;
    }
}
