package dev.bulkhead.backend.qemu.internal;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.io.RandomAccessFile;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import dev.bulkhead.api.InvalidStateException;
import dev.bulkhead.api.InvalidValueException;
import dev.bulkhead.api.QubeClass;
import dev.bulkhead.api.VolumeRevision;
import dev.bulkhead.api.host.HostCommand;
import dev.bulkhead.api.host.ProcessHostCommands;
import dev.bulkhead.api.hypervisor.DomainSpec;
import dev.bulkhead.api.hypervisor.VolumeSpec;
import dev.bulkhead.volume.store.KeptVolumes;
import dev.bulkhead.volume.store.VolumeCommands;

/**
 * The qemu backend's volume storage on real image files, with the host's own mkfs.ext4, cp, e2fsck and resize2fs
 * (none needs root on a file); whether a QEMU has an image open is a set of paths here, the real lock probe is
 * {@link QemuVolumesSystemTest}'s.
 */
class QemuVolumesTest {
    private static final long SIZE = 32L << 20;
    private static final Duration TIMEOUT = Duration.ofSeconds(30);

    @TempDir
    Path temp;
    private final Set<Path> open = new HashSet<>();
    private final MutableClock clock = new MutableClock();
    private final ProcessHostCommands host = new ProcessHostCommands();
    private QemuVolumes volumes;
    private PrivateVolumes privateVolumes;

    @BeforeEach
    void setUp() {
        volumes = new QemuVolumes(new KeptVolumes(new VolumeCommands(host, TIMEOUT), clock, v -> false), open::contains,
                new QemuRootDisks(new DomainLayout(temp.resolve("data")), host, TIMEOUT, name -> false));
        privateVolumes = new PrivateVolumes(volumes);
    }

    private VolumeSpec kept(String qube, int revisions) {
        return VolumeSpec.persistent(VolumeSpec.PRIVATE, temp.resolve(qube).resolve("private"), SIZE, revisions);
    }

    private Path start(VolumeSpec volume) {
        clock.tick();
        DomainSpec spec = new DomainSpec("work", 7, QubeClass.AppVM, 200, 200, 1, "", false, List.of(volume));
        PrivateVolumes.Disk disk = privateVolumes.prepare(spec).orElseThrow();
        assertFalse(disk.snapshot(), "a kept volume is written by its guest");
        return disk.image();
    }

    /** What a guest would write: a mark in the image's last block, which ext4 leaves alone. */
    private static void mark(Path image, String text) throws IOException {
        try (RandomAccessFile f = new RandomAccessFile(image.toFile(), "rw")) {
            f.seek(f.length() - 512);
            f.write(text.getBytes(StandardCharsets.UTF_8));
        }
    }

    private static String markOf(Path image, int length) throws IOException {
        try (RandomAccessFile f = new RandomAccessFile(image.toFile(), "r")) {
            byte[] b = new byte[length];
            f.seek(f.length() - 512);
            f.readFully(b);
            return new String(b, StandardCharsets.UTF_8);
        }
    }

    @Test
    void thePrivateImageIsMadeAtTheFirstStartInLitesLayoutAndARevisionIsKeptBeforeEachLaterOne() throws IOException {
        VolumeSpec volume = kept("work", 2);
        assertFalse(volumes.exists(volume));
        Path image = start(volume);
        assertEquals(temp.resolve("work/private/private.img"), image, "lite's layout: a qube's volumes move between backends");
        assertTrue(volumes.exists(volume));
        assertEquals(SIZE, Files.size(image));
        assertEquals("ext4", blkid(image));
        List<VolumeRevision> first = volumes.revisions(volume);
        assertEquals(1, first.size(), "the empty image as it was before the first start");
        for (String content : List.of("one", "two", "six")) {
            mark(image, content);
            start(volume);
        }
        List<VolumeRevision> kept = volumes.revisions(volume);
        assertEquals(2, kept.size(), "no more than revisions_to_keep: " + kept);
        assertTrue(kept.get(0).time().isAfter(kept.get(1).time()), "newest first: " + kept);
        assertTrue(Files.isRegularFile(temp.resolve("work/private/revisions/" + kept.get(0).name() + ".img")));
        assertTrue(volumes.usage(volume) > 0);
    }

    @Test
    void revertPutsTheNewestRevisionBackUsesItUpAndRefusesUnknownOnes() throws IOException {
        VolumeSpec volume = kept("work", 3);
        Path image = start(volume);
        mark(image, "one");
        start(volume);
        mark(image, "two");
        String older = volumes.revisions(volume).get(1).name();
        InvalidValueException unknown = assertThrows(InvalidValueException.class, () -> volumes.revert(volume, "123"));
        assertTrue(unknown.getMessage().contains(older), unknown.getMessage());
        assertEquals("two", markOf(image, 3), "a refused revert changes nothing");

        volumes.revert(volume, null);
        assertEquals("one", markOf(image, 3), "the content before the last start");
        assertEquals(1, volumes.revisions(volume).size(), "the revision is used up");
        volumes.revert(volume, older);
        assertTrue(volumes.revisions(volume).isEmpty());
        assertThrows(InvalidStateException.class, () -> volumes.revert(volume, null));
    }

    @Test
    void resizeGrowsTheImageAndItsFileSystemOnlyWhileNoQemuHasItOpenAndNeverShrinks() throws IOException {
        VolumeSpec volume = kept("work", 0);
        Path image = start(volume);
        long before = fileSystemBytes(image);
        open.add(image);
        InvalidStateException busy = assertThrows(InvalidStateException.class, () -> volumes.resize("work", volume, 2 * SIZE));
        assertTrue(busy.getMessage().contains("in use by a running QEMU"), busy.getMessage());
        assertEquals(SIZE, Files.size(image), "untouched while in use");
        open.clear();

        volumes.resize("work", volume, 2 * SIZE);
        assertEquals(2 * SIZE, Files.size(image));
        assertTrue(fileSystemBytes(image) > before + SIZE / 2, "the file system grew with the image: " + fileSystemBytes(image));
        assertThrows(InvalidValueException.class, () -> volumes.resize("work", volume, SIZE), "volumes only grow");
        assertEquals(2 * SIZE, Files.size(image));
    }

    @Test
    void aCopyHasTheContentWithoutRevisionsAndIsRefusedWhileTheSourceIsOpenOrTheTargetExists() throws IOException {
        VolumeSpec source = kept("work", 1);
        Path image = start(source);
        mark(image, "kept");
        VolumeSpec copy = kept("clone", 1);
        open.add(image);
        assertThrows(InvalidStateException.class, () -> volumes.copy(source, copy), "a disk its guest writes is no copy");
        assertFalse(volumes.exists(copy));
        open.clear();

        volumes.copy(source, copy);
        Path copied = temp.resolve("clone/private/private.img");
        assertArrayEquals(Files.readAllBytes(image), Files.readAllBytes(copied));
        assertTrue(volumes.revisions(copy).isEmpty(), "no revisions come along");
        assertThrows(InvalidStateException.class, () -> volumes.copy(source, copy), "never over an existing volume");
    }

    @Test
    void aStartOnAnImageAnotherQemuHasOpenIsRefusedAndKeepsNoRevision() {
        VolumeSpec volume = kept("work", 2);
        Path image = start(volume);
        open.add(image);
        InvalidStateException e = assertThrows(InvalidStateException.class, () -> start(volume));
        assertTrue(e.getMessage().contains("in use by another QEMU"), e.getMessage());
        assertEquals(1, volumes.revisions(volume).size());
    }

    @Test
    void aDisposablesSnapshotIsItsTemplatesImageInSnapshotModeAndKeepsNothing() {
        VolumeSpec template = kept("work-dvm", 1);
        Path image = start(template);
        DomainSpec disposable = new DomainSpec("disp1", 9, QubeClass.DispVM, 200, 200, 1, "", false,
                List.of(VolumeSpec.snapshotOf(VolumeSpec.PRIVATE, template.source(), SIZE)));
        PrivateVolumes.Disk disk = privateVolumes.prepare(disposable).orElseThrow();
        assertEquals(image, disk.image());
        assertTrue(disk.snapshot());
        assertEquals(1, volumes.revisions(template).size(), "a disposable's start keeps no revision of its template's volume");
    }

    @Test
    void aRootImageIsCountedButNeitherRevertedNorGrownAndPrivateImagesAreNotImported() throws IOException {
        VolumeSpec root = VolumeSpec.persistent(VolumeSpec.ROOT, temp.resolve("tpl/root"), 1L << 30, 0);
        assertFalse(volumes.exists(root));
        assertEquals(0, volumes.usage(root));
        Files.createDirectories(root.source());
        Files.write(root.source().resolve(QemuRootDisks.IMAGE), new byte[4096]);
        assertTrue(volumes.exists(root), "a root with its image exists");
        assertEquals(4096, volumes.usage(root));
        assertTrue(volumes.revisions(root).isEmpty());
        for (Runnable op : List.<Runnable>of(() -> volumes.revert(root, null), () -> volumes.resize("tpl", root, 2L << 30),
                () -> volumes.copy(root, kept("x", 0)))) {
            InvalidValueException e = assertThrows(InvalidValueException.class, op::run);
            assertTrue(e.getMessage().contains("keeps no revisions of a root image"), e.getMessage());
        }
        InvalidValueException e = assertThrows(InvalidValueException.class, () -> volumes.importContent(kept("work", 0), temp));
        assertTrue(e.getMessage().contains("imports none"), e.getMessage());
        assertFalse(Files.exists(temp.resolve("x")), "nothing was made");
    }

    private String blkid(Path image) {
        return host.runOrThrow(HostCommand.of(TIMEOUT, "blkid", "-o", "value", "-s", "TYPE", image.toString())).stdoutText().strip();
    }

    private long fileSystemBytes(Path image) {
        String header = host.runOrThrow(HostCommand.of(TIMEOUT, "dumpe2fs", "-h", image.toString())).stdoutText();
        return field(header, "Block count") * field(header, "Block size");
    }

    private static long field(String header, String name) {
        Matcher m = Pattern.compile("(?m)^" + name + ":\\s+(\\d+)").matcher(header);
        assertTrue(m.find(), name + " in " + header);
        return Long.parseLong(m.group(1));
    }

    /** Each start a millisecond later than the one before, so that revisions have distinct times. */
    private static final class MutableClock extends java.time.Clock {
        private Instant now = Instant.parse("2026-12-05T12:00:00Z");

        void tick() {
            now = now.plusMillis(1);
        }

        @Override
        public java.time.ZoneId getZone() {
            return java.time.ZoneOffset.UTC;
        }

        @Override
        public java.time.Clock withZone(java.time.ZoneId zone) {
            return this;
        }

        @Override
        public Instant instant() {
            return now;
        }
    }
}
