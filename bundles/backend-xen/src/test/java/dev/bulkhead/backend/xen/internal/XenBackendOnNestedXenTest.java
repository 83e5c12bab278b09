package dev.bulkhead.backend.xen.internal;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CopyOnWriteArrayList;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import dev.bulkhead.api.PowerState;
import dev.bulkhead.api.QubeClass;
import dev.bulkhead.api.host.HostCommand;
import dev.bulkhead.api.host.HostCommands;
import dev.bulkhead.api.host.ProcessHostCommands;
import dev.bulkhead.api.hypervisor.DomainSpec;
import dev.bulkhead.api.hypervisor.DomainStatus;
import dev.bulkhead.backend.xen.internal.XenDomain.Mode;
import dev.bulkhead.testing.Await;
import dev.bulkhead.testing.SystemTest;
import dev.bulkhead.xen.dom0.NestedXen;

/**
 * The backend on a real Xen: a Xen 4.17 under QEMU ({@link NestedXen}), reached through libvirt's remote protocol at
 * {@code xen+tcp://127.0.0.1:PORT/system}. A diskless PV qube whose kernel and initramfs are in dom0 is started by the
 * backend, listed running, paused and unpaused; its own console line shows that it ran. A stop the backend did not
 * ask for (the host's {@code virsh} destroys the domain over its own connection) reaches the backend's exit listener
 * through libvirt's lifecycle event; a second start of the same qube is ended by the backend's shutdown, a third by
 * its kill, and neither is told as an exit nor leaves the domain listed. Timings are printed, not asserted.
 */
@SystemTest
class XenBackendOnNestedXenTest {
    private static final String QUBE = "nested-work";
    /** Where the dom0 image keeps the guest's vmlinuz and initrd.img: the kernel directory on that dom0. */
    private static final Path GUEST_KERNELS = Path.of(NestedXen.GUEST_KERNEL).getParent();
    private final HostCommands host = new ProcessHostCommands();

    @Test
    void aDisklessPvQubeRunsOnNestedXenThroughTheRemoteUri(@TempDir Path dir) {
        Path image = Path.of(System.getProperty("bulkhead.xen.dom0-image", "../../build/xen-dom0/target/dom0-image"));
        try (NestedXen xen = NestedXen.boot(host, image, dir.resolve("console.log"), Duration.ofMinutes(6))) {
            System.out.println("nested Xen: dom0's libvirtd answered " + xen.readyAfter().toMillis() + " ms after QEMU's start");
            XenSettings settings = new XenSettings(xen.uri(), GUEST_KERNELS, Mode.PV, Duration.ofSeconds(5), 3,
                    Duration.ofSeconds(5));
            try (XenBackend backend = new XenBackend(dir.resolve("data"), settings, host, dir.resolve("no-capabilities"))) {
                List<String> exited = new CopyOnWriteArrayList<>();
                backend.addExitListener(exited::add);
                DomainSpec spec = new DomainSpec(QUBE, 5, QubeClass.AppVM, 128, 128, 1, "", false, List.of());

                long start = System.nanoTime();
                backend.start(spec);
                System.out.println("nested Xen: the backend's start (define + start) took " + millisSince(start) + " ms");
                assertEquals(PowerState.Running, backend.state(QUBE));
                assertTrue(backend.domains().contains(new DomainStatus(QUBE, PowerState.Running)), backend.domains()::toString);
                awaitBanner(xen, start);

                backend.pause(QUBE);
                assertEquals(PowerState.Paused, backend.state(QUBE));
                backend.unpause(QUBE);
                assertEquals(PowerState.Running, backend.state(QUBE));

                // Stopped behind the backend's back: only libvirt's lifecycle event can tell it.
                long destroyed = System.nanoTime();
                host.runOrThrow(HostCommand.of(Duration.ofMinutes(1), "virsh", "-c", xen.uri(), "destroy", QUBE));
                Await.until("the exit listener told of " + QUBE, Duration.ofSeconds(30), () -> exited.contains(QUBE),
                        exited::toString);
                System.out.println("nested Xen: the stop event reached the exit listener " + millisSince(destroyed)
                        + " ms after virsh destroy began");
                assertEquals(PowerState.Halted, backend.state(QUBE));

                // Started again over the definition the stop left; ended by the backend, which tells no exit of it.
                backend.start(spec);
                assertEquals(PowerState.Running, backend.state(QUBE));
                long shutdown = System.nanoTime();
                backend.shutdown(QUBE, Duration.ofSeconds(5));
                System.out.println("nested Xen: the backend's shutdown (5 s grace) took " + millisSince(shutdown) + " ms");
                assertEquals(PowerState.Halted, backend.state(QUBE));
                assertFalse(backend.domains().stream().anyMatch(d -> d.name().equals(QUBE)), backend.domains()::toString);

                // Killed by the backend: no exit told either.
                backend.start(spec);
                assertEquals(PowerState.Running, backend.state(QUBE));
                long kill = System.nanoTime();
                backend.kill(QUBE);
                System.out.println("nested Xen: the backend's kill took " + millisSince(kill) + " ms");
                assertFalse(backend.domains().stream().anyMatch(d -> d.name().equals(QUBE)), backend.domains()::toString);
                assertEquals(List.of(QUBE), exited);
            }
        }
    }

    private static void awaitBanner(NestedXen xen, long start) {
        String banner = "[guest-" + QUBE + ".log] " + NestedXen.GUEST_BANNER;
        Optional<String> line = xen.awaitConsoleLine(l -> l.startsWith(banner), Duration.ofMinutes(3));
        assertTrue(line.isPresent(), () -> "no '" + banner + "' on the console; it ends with:\n" + xen.consoleTail(30));
        System.out.println("nested Xen: '" + line.get() + "' " + millisSince(start) + " ms after the start began");
    }

    private static long millisSince(long nanos) {
        return (System.nanoTime() - nanos) / 1_000_000;
    }
}
