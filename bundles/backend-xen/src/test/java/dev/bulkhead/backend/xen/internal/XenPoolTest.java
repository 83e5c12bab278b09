package dev.bulkhead.backend.xen.internal;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Optional;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.libvirt.StoragePool;

import dev.bulkhead.api.InvalidValueException;
import dev.bulkhead.api.QubeClass;
import dev.bulkhead.api.hypervisor.DomainSpec;
import dev.bulkhead.api.hypervisor.VolumeSpec;
import dev.bulkhead.backend.xen.internal.XenDomain.Disk;
import dev.bulkhead.backend.xen.internal.XenDomain.Mode;

/**
 * The volumes of a remote dom0's pool: their XML and names, checked and hostile values refused; the digest that names an
 * uploaded image; and the pool and volumes made and removed through libvirt, on libvirt's test driver (a mock
 * hypervisor with storage pools, in this host's libvirt.so).
 */
class XenPoolTest {
    private static final String SHA = "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef";
    private static final String NODE = "<node><cpu><nodes>1</nodes><sockets>1</sockets><cores>2</cores><threads>1</threads>"
            + "<active>2</active><mhz>2000</mhz><model>x</model></cpu><memory>4194304</memory></node>";

    @TempDir
    Path dir;

    @Test
    void aRawVolumeIsSparseAndAQcow2OneIsBackedByARawFileOfThePool() {
        ParsedXml raw = new ParsedXml(XenPool.volumeXml("work.private.img", 1 << 30, "raw", Optional.empty()));
        assertEquals("work.private.img", raw.text("/volume/name"));
        assertEquals(Integer.toString(1 << 30), raw.text("/volume/capacity"));
        assertEquals("bytes", raw.text("/volume/capacity/@unit"));
        assertEquals("0", raw.text("/volume/allocation"));
        assertEquals("raw", raw.text("/volume/target/format/@type"));
        assertEquals(0, raw.count("/volume/backingStore"));

        Path base = XenPool.DIRECTORY.resolve(XenPool.originName(Path.of("/d/volumes/debian/root"), SHA));
        ParsedXml qcow2 = new ParsedXml(XenPool.volumeXml("work.root.qcow2", 1 << 30, "qcow2", Optional.of(base)));
        assertEquals("qcow2", qcow2.text("/volume/target/format/@type"));
        assertEquals(base.toString(), qcow2.text("/volume/backingStore/path"));
        assertEquals("raw", qcow2.text("/volume/backingStore/format/@type"));

        ParsedXml pool = new ParsedXml(XenPool.poolXml());
        assertEquals("dir", pool.text("/pool/@type"));
        assertEquals(XenPool.POOL, pool.text("/pool/name"));
        assertEquals(XenPool.DIRECTORY.toString(), pool.text("/pool/target/path"));
    }

    @Test
    void hostileNamesSizesAndBackingFilesAreRefused() {
        for (String name : List.of("", "../etc", "a/b", "x'y", "a<b", "a&b", "a\nb", ".hidden", "a..b", "x".repeat(10_000))) {
            assertEquals("volume name", assertThrows(InvalidValueException.class,
                    () -> XenPool.volumeXml(name, 1, "raw", Optional.empty())).subject(), name);
        }
        assertThrows(InvalidValueException.class, () -> XenPool.volumeXml("v.img", 0, "raw", Optional.empty()));
        for (String backing : List.of("/etc/shadow", "/var/lib/bulkhead/pool/../x", "/var/lib/bulkhead/pool", "rel/x",
                "/var/lib/bulkhead/pool/a'b")) {
            assertThrows(InvalidValueException.class,
                    () -> XenPool.volumeXml("v.qcow2", 1, "qcow2", Optional.of(Path.of(backing))), backing);
        }
    }

    @Test
    void anOriginsNameIsItsStorageAndItsDigestAndStaysAFileNameOfThePool() {
        assertEquals("origin-debian-root-0123456789abcdef01234567.img", XenPool.originName(Path.of("/d/volumes/debian/root"), SHA));
        String hostile = XenPool.originName(Path.of("/d/x'<&\n" + "y".repeat(500) + "/root"), SHA);
        assertTrue(XenPool.VOLUME_NAME.matcher(hostile).matches(), hostile);
        assertTrue(hostile.endsWith("-0123456789abcdef01234567.img"), hostile);
        assertThrows(IllegalArgumentException.class, () -> XenPool.originName(Path.of("/d/a/root"), "../../etc"));
    }

    @Test
    void theDigestFollowsTheContent() throws IOException {
        XenPool pool = new XenPool();
        Path image = dir.resolve("root.img");
        Files.writeString(image, "first");
        String first = pool.digest(image);
        assertEquals(first, pool.digest(image));
        assertEquals(XenPool.sha256(image), first);
        Files.writeString(image, "other");
        assertNotEquals(first, pool.digest(image));
    }

    @Test
    void thePoolAndAQubesVolumesAreMadeThroughLibvirtAndOnlyTheKeptOneOutlivesItsStop() throws IOException {
        Path node = dir.resolve("node.xml");
        Files.writeString(node, NODE);
        Path data = dir.resolve("data");
        DomainSpec spec = new DomainSpec("work", 5, QubeClass.AppVM, 400, 400, 1, "", false, List.of(
                VolumeSpec.persistent(VolumeSpec.PRIVATE, data.resolve("volumes/work/private"), 1 << 30, 0),
                VolumeSpec.fresh(VolumeSpec.VOLATILE, data.resolve("volumes/work/volatile"), 1 << 20)));
        XenDomain local = new XenDomains(data.resolve("xen/domains"), dir.resolve("kernels"), Mode.PV).of(spec, List.of(), false);
        XenPool pool = new XenPool();
        try (LibvirtConnection libvirt = LibvirtConnection.open("test://" + node, Duration.ofSeconds(5), 3, null)) {
            XenDomain remote = pool.prepare(libvirt, spec, local);

            assertEquals(List.of(XenPool.DIRECTORY.resolve("work.private.img"), XenPool.DIRECTORY.resolve("work.volatile.img")),
                    remote.disks().stream().map(Disk::source).toList());
            assertEquals(local.disks().stream().map(Disk::target).toList(), remote.disks().stream().map(Disk::target).toList());
            assertEquals(List.of("work.private.img", "work.volatile.img"), volumes(libvirt));
            // the domain's XML takes the pool's files
            new DomainXml(List.of(data, dir.resolve("kernels"), XenPool.DIRECTORY)).write(remote);

            pool.prepare(libvirt, spec, local);
            assertEquals(List.of("work.private.img", "work.volatile.img"), volumes(libvirt));
            pool.discard(libvirt, "work");
            assertEquals(List.of("work.private.img"), volumes(libvirt));
        }
        assertFalse(Files.exists(data.resolve("xen/domains/work")));
    }

    private static List<String> volumes(LibvirtConnection libvirt) {
        return libvirt.withConnect("list", c -> {
            StoragePool pool = c.storagePoolLookupByName(XenPool.POOL);
            try {
                return List.of(pool.listVolumes()).stream().sorted().toList();
            } finally {
                pool.free();
            }
        });
    }
}
