package dev.bulkhead.backend.xen.internal;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import dev.bulkhead.api.InvalidValueException;
import dev.bulkhead.api.QubeClass;
import dev.bulkhead.api.host.HostCommand;
import dev.bulkhead.api.host.ProcessHostCommands;
import dev.bulkhead.api.hypervisor.DomainSpec;
import dev.bulkhead.api.hypervisor.VolumeSpec;
import dev.bulkhead.backend.xen.internal.XenDomain.Mode;

/** The disk files a domain's XML names are made on this host, with the real qemu-img and mkfs.ext4. */
class XenStorageTest {
    @TempDir
    Path data;

    private final ProcessHostCommands commands = new ProcessHostCommands();

    private XenDomains domains() {
        return new XenDomains(data.resolve("xen/domains"), data.resolve("kernels"), Mode.PVH);
    }

    private XenStorage storage() {
        return new XenStorage(domains(), commands, Duration.ofSeconds(60));
    }

    @Test
    void anAppVmGetsAnOverlayOnItsTemplatesRootAFreshPrivateImageAndAnEmptyVolatileFile() throws IOException {
        Path template = data.resolve("qubes/debian/root");
        Files.createDirectories(template);
        sparse(template.resolve("root.img"), 64L << 20);
        DomainSpec spec = new DomainSpec("work", 5, QubeClass.AppVM, 400, 400, 1, "", false,
                List.of(VolumeSpec.snapshotOf("root", template, 64L << 20),
                        VolumeSpec.persistent("private", data.resolve("qubes/work/private"), 32L << 20, 0),
                        VolumeSpec.fresh("volatile", data.resolve("qubes/work/volatile"), 16L << 20)));

        storage().prepare(spec);

        XenDomain domain = domains().of(spec, List.of(), false);
        for (XenDomain.Disk disk : domain.disks()) {
            assertTrue(Files.isRegularFile(disk.source()), "the file of " + disk.volume() + " is there: " + disk.source());
        }
        String info = commands.runOrThrow(HostCommand.of(Duration.ofSeconds(30), "qemu-img", "info",
                data.resolve("xen/domains/work/root.qcow2").toString())).stdoutText();
        assertTrue(info.contains("backing file: " + template.resolve("root.img")), info);
        assertTrue(info.contains("file format: qcow2"), info);
        assertEquals(16L << 20, Files.size(data.resolve("xen/domains/work/volatile.img")));
        byte[] superblock = new byte[2];
        try (var f = new java.io.RandomAccessFile(data.resolve("qubes/work/private/private.img").toFile(), "r")) {
            f.seek(1024 + 0x38);
            f.readFully(superblock);
        }
        assertEquals(0xEF53, (superblock[0] & 0xff) | (superblock[1] & 0xff) << 8, "an ext2/3/4 superblock's magic");
    }

    @Test
    void aRootWithoutItsImageIsRefusedNamingTheQubeAndNothingIsMade() {
        DomainSpec spec = new DomainSpec("debian", 2, QubeClass.TemplateVM, 400, 400, 1, "", false,
                List.of(VolumeSpec.persistent("root", data.resolve("qubes/debian/root"), 64L << 20, 0)));

        InvalidValueException e = assertThrows(InvalidValueException.class, () -> storage().prepare(spec));
        assertEquals("root of 'debian'", e.subject());
        assertFalse(Files.exists(data.resolve("qubes/debian/root/root.img")));
    }

    @Test
    void discardRemovesTheDomainsDirectoryAndKeepsItsVolumes() throws IOException {
        Path template = data.resolve("qubes/debian/root");
        Files.createDirectories(template);
        sparse(template.resolve("root.img"), 64L << 20);
        DomainSpec spec = new DomainSpec("work", 5, QubeClass.AppVM, 400, 400, 1, "", false,
                List.of(VolumeSpec.snapshotOf("root", template, 64L << 20)));
        storage().prepare(spec);

        storage().discard("work");

        assertFalse(Files.exists(data.resolve("xen/domains/work")));
        assertTrue(Files.exists(template.resolve("root.img")));
    }

    private static void sparse(Path file, long size) throws IOException {
        try (var f = new java.io.RandomAccessFile(file.toFile(), "rw")) {
            f.setLength(size);
        }
    }
}
