package dev.bulkhead.backend.xen.internal;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Arrays;
import java.util.List;
import java.util.Optional;
import java.util.stream.Collectors;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import dev.bulkhead.api.PowerState;
import dev.bulkhead.api.QubeClass;
import dev.bulkhead.api.host.HostCommand;
import dev.bulkhead.api.host.HostCommands;
import dev.bulkhead.api.host.ProcessHostCommands;
import dev.bulkhead.api.hypervisor.DomainSpec;
import dev.bulkhead.api.hypervisor.VolumeSpec;
import dev.bulkhead.backend.xen.internal.XenDomain.Mode;
import dev.bulkhead.testing.SystemTest;
import dev.bulkhead.xen.dom0.NestedXen;

/**
 * A qube with disks on a remote dom0 (the nested Xen 4.17 under QEMU, over {@code xen+tcp://}): its volumes are made in
 * libvirt's pool {@value XenPool#POOL} there, its disks served by QEMU in dom0. The template's root image, an ext4 made
 * here with a marker file, is uploaded once: the AppVM's root is a qcow2 volume backed by it, and the guest prints the
 * marker; its private volume keeps across a stop and a start what the guest wrote on it; a second start uploads
 * nothing; a changed template image is uploaded again under a new name and the next start sees the new marker. The
 * snapshot and volatile volumes are gone after each stop. Timings are printed, not asserted.
 */
@SystemTest
class XenBackendDisksOnNestedXenTest {
    private static final String QUBE = "nested-disks";
    private static final Path GUEST_KERNELS = Path.of(NestedXen.GUEST_KERNEL).getParent();
    private final HostCommands host = new ProcessHostCommands();

    @Test
    void anAppVmsVolumesLiveInTheRemoteDom0sPool(@TempDir Path dir) throws IOException {
        Path image = Path.of(System.getProperty("bulkhead.xen.dom0-image", "../../build/xen-dom0/target/dom0-image"));
        Path data = dir.resolve("data");
        Path templateRoot = Files.createDirectories(data.resolve("volumes/tiny/root"));
        makeExt4(dir, templateRoot.resolve(XenDomains.ROOT_IMAGE), "first-marker");
        DomainSpec spec = new DomainSpec(QUBE, 7, QubeClass.AppVM, 128, 128, 1, "", false, List.of(
                VolumeSpec.snapshotOf(VolumeSpec.ROOT, templateRoot, 16 << 20),
                VolumeSpec.persistent(VolumeSpec.PRIVATE, data.resolve("volumes/" + QUBE + "/private"), 16 << 20, 0),
                VolumeSpec.fresh(VolumeSpec.VOLATILE, data.resolve("volumes/" + QUBE + "/volatile"), 8 << 20)));

        try (NestedXen xen = NestedXen.boot(host, image, dir.resolve("console.log"), Duration.ofMinutes(6))) {
            XenSettings settings = new XenSettings(xen.uri(), GUEST_KERNELS, Mode.PV, Duration.ofSeconds(5), 3,
                    Duration.ofSeconds(5));
            try (XenBackend backend = new XenBackend(data, settings, host, dir.resolve("no-capabilities"))) {
                long start = System.nanoTime();
                backend.start(spec);
                System.out.println("nested Xen: first start (pool made, template image of "
                        + Files.size(templateRoot.resolve(XenDomains.ROOT_IMAGE)) + " bytes uploaded, volumes made, domain"
                        + " started) took " + millisSince(start) + " ms");
                assertEquals(PowerState.Running, backend.state(QUBE));
                assertSaid(xen, "first-marker", await(xen, NestedXen.GUEST_ROOT_MARKER, start));
                assertSaid(xen, "0", await(xen, NestedXen.GUEST_PRIVATE_BOOTS, start));
                await(xen, "bulkhead-xen-guest: private written: boot 1", start);
                List<String> volumes = volumes(xen);
                assertEquals(1, origins(volumes).size(), volumes::toString);
                assertTrue(volumes.containsAll(List.of(QUBE + ".root.qcow2", QUBE + ".private.img", QUBE + ".volatile.img")),
                        volumes::toString);
                // libvirt's domain has the pool's files as its disks, QEMU as their backend
                String xml = virsh(xen, "dumpxml", QUBE);
                assertTrue(xml.contains("<source file='" + XenPool.DIRECTORY + "/" + QUBE + ".root.qcow2'"), xml);
                assertTrue(xml.contains("<driver name='qemu' type='qcow2'/>"), xml);

                backend.shutdown(QUBE, Duration.ofSeconds(5));
                volumes = volumes(xen);
                assertFalse(volumes.contains(QUBE + ".root.qcow2"), volumes::toString);
                assertFalse(volumes.contains(QUBE + ".volatile.img"), volumes::toString);
                assertTrue(volumes.contains(QUBE + ".private.img"), volumes::toString);

                start = System.nanoTime();
                backend.start(spec);
                System.out.println("nested Xen: second start (nothing uploaded) took " + millisSince(start) + " ms");
                assertSaid(xen, "first-marker", await(xen, NestedXen.GUEST_ROOT_MARKER, start));
                assertSaid(xen, "1 | boot 1", await(xen, NestedXen.GUEST_PRIVATE_BOOTS, start));
                assertEquals(1, origins(volumes(xen)).size(), () -> volumes(xen).toString());
                backend.kill(QUBE);

                makeExt4(dir, templateRoot.resolve(XenDomains.ROOT_IMAGE), "second-marker");
                start = System.nanoTime();
                backend.start(spec);
                System.out.println("nested Xen: start after the template changed (uploaded again) took "
                        + millisSince(start) + " ms");
                assertSaid(xen, "second-marker", await(xen, NestedXen.GUEST_ROOT_MARKER, start));
                assertSaid(xen, "2 | boot 1 | boot 2", await(xen, NestedXen.GUEST_PRIVATE_BOOTS, start));
                assertEquals(2, origins(volumes(xen)).size(), () -> volumes(xen).toString());
                backend.kill(QUBE);
                assertFalse(backend.domains().stream().anyMatch(d -> d.name().equals(QUBE)), backend.domains()::toString);
            }
        }
    }

    /** An ext4 image of 8 MiB holding the file {@code marker}. */
    private void makeExt4(Path dir, Path image, String marker) throws IOException {
        Path tree = dir.resolve("tree-" + marker);
        Files.createDirectories(tree);
        Files.writeString(tree.resolve("marker"), marker);
        Files.deleteIfExists(image);
        host.runOrThrow(HostCommand.of(Duration.ofMinutes(1), "mkfs.ext4", "-q", "-F", "-d", tree.toString(),
                image.toString(), "8M"));
    }

    /** The rest of the guest's next console line that starts with {@code prefix}. */
    private static String await(NestedXen xen, String prefix, long start) {
        String line = "[guest-" + QUBE + ".log] " + prefix;
        Optional<String> said = xen.awaitConsoleLine(l -> l.startsWith(line), Duration.ofMinutes(3));
        assertTrue(said.isPresent(), () -> "no '" + line + "' on the console; " + guestLines(xen));
        System.out.println("nested Xen: '" + said.get().strip() + "' " + millisSince(start) + " ms after the start began");
        return said.get().substring(line.length()).strip();
    }

    private static String guestLines(NestedXen xen) {
        return "the guest's lines and QEMU's:\n" + xen.consoleTail(3000).lines()
                .filter(l -> l.startsWith("[guest-") || l.startsWith("[qemu-dm-")).collect(Collectors.joining("\n"));
    }

    private static void assertSaid(NestedXen xen, String expected, String said) {
        assertEquals(expected, said, () -> guestLines(xen));
    }

    private List<String> volumes(NestedXen xen) {
        return Arrays.stream(virsh(xen, "vol-list", "--pool", XenPool.POOL).split("\n")).map(String::strip)
                .filter(l -> !l.isEmpty() && !l.startsWith("Name") && !l.startsWith("-"))
                .map(l -> l.split("\\s+")[0]).toList();
    }

    private static List<String> origins(List<String> volumes) {
        return volumes.stream().filter(v -> v.startsWith("origin-tiny-root-")).toList();
    }

    private String virsh(NestedXen xen, String... arguments) {
        List<String> argv = new java.util.ArrayList<>(List.of("virsh", "-c", xen.uri()));
        argv.addAll(List.of(arguments));
        return host.runOrThrow(HostCommand.of(Duration.ofMinutes(1), argv)).stdoutText();
    }

    private static long millisSince(long nanos) {
        return (System.nanoTime() - nanos) / 1_000_000;
    }
}
