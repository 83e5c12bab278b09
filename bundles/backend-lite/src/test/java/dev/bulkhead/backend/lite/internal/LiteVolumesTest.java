package dev.bulkhead.backend.lite.internal;

import static dev.bulkhead.backend.lite.internal.FakeLiteHost.failed;
import static dev.bulkhead.backend.lite.internal.FakeLiteHost.ok;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.io.RandomAccessFile;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.List;

import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import dev.bulkhead.api.AdminException;
import dev.bulkhead.api.InvalidStateException;
import dev.bulkhead.api.InvalidValueException;
import dev.bulkhead.api.QubeClass;
import dev.bulkhead.api.VolumeRevision;
import dev.bulkhead.api.host.HostCommand;
import dev.bulkhead.api.hypervisor.DomainSpec;
import dev.bulkhead.api.hypervisor.VolumeSpec;
import dev.bulkhead.volume.store.FileTrees;

/**
 * The volume logic with the host's mount, mkfs, cp and losetup acted out by a fake; the same
 * behaviours against the real tools and kernel are in {@link LiteBackendSystemTest}.
 */
class LiteVolumesTest {
    private static final long MIB = 1 << 20;
    private static final Instant NOW = Instant.parse("2025-01-02T03:04:05Z");

    @TempDir
    Path temp;
    private FakeLiteHost executor;
    private LiteVolumes volumes;
    private Path runtime;
    private Path sysBlock;
    private Path builtinRoot;

    @BeforeEach
    void setUp() throws IOException {
        Path proc = Files.createDirectories(temp.resolve("proc"));
        executor = new FakeLiteHost(temp.resolve("netns"), temp.resolve("runc")).withMountTable(proc);
        sysBlock = Files.createDirectories(temp.resolve("sys/block"));
        volumes = new LiteVolumes(executor, new MountTable(proc), sysBlock, Duration.ofSeconds(1), Clock.fixed(NOW, ZoneOffset.UTC));
        runtime = temp.resolve("domains/work/volumes");
        builtinRoot = temp.resolve("builtin-root");
    }

    @Test
    void aKeptPrivateVolumeIsMadeAtItsFirstStartAsAnExt4ImageOfItsSizeAndLoopMounted() throws IOException {
        Path storage = temp.resolve("qubes/work/private");

        LiteVolumes.Prepared prepared = volumes.prepare(spec(VolumeSpec.persistent(VolumeSpec.PRIVATE, storage, 64 * MIB, 0)), runtime, () -> builtinRoot);

        Path image = storage.resolve("private.img");
        assertEquals(64 * MIB, Files.size(image));
        List<String> lines = executor.lines(temp);
        assertTrue(lines.stream().anyMatch(l -> l.startsWith("mkfs.ext4 -q -F -m 0 ") && l.contains("D/qubes/work/private/.new-")),
                "made under a temporary name, then renamed: " + lines);
        assertTrue(lines.contains("mount -t ext4 -o loop,nosuid,nodev D/qubes/work/private/private.img D/domains/work/volumes/private"),
                lines.toString());
        assertEquals(runtime.resolve("private"), prepared.privateMount());
        assertTrue(Files.isDirectory(runtime.resolve("private/home")));
        assertEquals(builtinRoot, prepared.root(), "no root volume: the built-in root");
        assertEquals(List.of(runtime.toString(), runtime.resolve("private").toString()), executor.mountPoints());
    }

    @Test
    void anAppVmsUsrLocalIsTheUsrlocalOfItsPrivateVolumeSeededFromItsTemplatesAtTheFirstStart() throws IOException {
        Path template = temp.resolve("qubes/tpl/root");
        Path service = Files.createDirectories(template.resolve("tree/usr/local/etc/qubes-rpc")).resolve("tpl.Service");
        Files.writeString(service, "#!/bin/sh\necho from the template\n");

        LiteVolumes.Prepared prepared = volumes.prepare(spec(VolumeSpec.snapshotOf(VolumeSpec.ROOT, template, 0),
                VolumeSpec.persistent(VolumeSpec.PRIVATE, temp.resolve("qubes/work/private"), 64 * MIB, 0)), runtime, () -> builtinRoot);

        assertEquals(runtime.resolve("private/usrlocal"), prepared.usrLocal());
        assertEquals("#!/bin/sh\necho from the template\n", Files.readString(runtime.resolve("private/usrlocal/etc/qubes-rpc/tpl.Service")));
        assertTrue(executor.lines(temp).contains("cp -a --no-dereference --no-target-directory D/domains/work/volumes/.seed-view/usr/local "
                + "D/domains/work/volumes/private/.usrlocal-seeding"), executor.lines(temp).toString());
        assertFalse(Files.exists(runtime.resolve("private/.usrlocal-seeding")));
    }

    @Test
    void theSeedingCopyReadsTheRootThroughAReadOnlyViewThatFollowsNoLink() throws IOException {
        // a running template may turn /usr into a link between the look at it and the copy: the kernel must refuse it then
        Path template = temp.resolve("qubes/tpl/root");
        Files.createDirectories(template.resolve("tree/usr/local/etc"));

        volumes.prepare(spec(VolumeSpec.snapshotOf(VolumeSpec.ROOT, template, 0),
                VolumeSpec.persistent(VolumeSpec.PRIVATE, temp.resolve("qubes/work/private"), 64 * MIB, 0)), runtime, () -> builtinRoot);

        List<String> lines = executor.lines(temp);
        int view = lines.indexOf("mount --bind -o ro,nosymfollow D/domains/work/volumes/root D/domains/work/volumes/.seed-view");
        int copy = lines.indexOf("cp -a --no-dereference --no-target-directory D/domains/work/volumes/.seed-view/usr/local "
                + "D/domains/work/volumes/private/.usrlocal-seeding");
        int release = lines.indexOf("umount D/domains/work/volumes/.seed-view");
        assertTrue(view >= 0 && view < copy && copy < release, lines.toString());
        assertFalse(lines.stream().anyMatch(l -> l.startsWith("cp ") && !l.contains(".seed-view/")), lines.toString());
        assertFalse(Files.exists(runtime.resolve(".seed-view")));
    }

    @Test
    void aUsrlocalThePrivateVolumeHasAlreadyIsKeptAsItIs() throws IOException {
        Path template = temp.resolve("qubes/tpl/root");
        Files.createDirectories(template.resolve("tree/usr/local/etc/qubes-rpc")).resolve("tpl.Service");
        Files.writeString(template.resolve("tree/usr/local/etc/qubes-rpc/tpl.Service"), "later in the template\n");
        // what the qube wrote at an earlier start, there as the image is mounted
        Path own = Files.createDirectories(runtime.resolve("private/usrlocal/etc/qubes-rpc")).resolve("own.Service");
        Files.writeString(own, "the qube's own\n");

        LiteVolumes.Prepared prepared = volumes.prepare(spec(VolumeSpec.snapshotOf(VolumeSpec.ROOT, template, 0),
                VolumeSpec.persistent(VolumeSpec.PRIVATE, temp.resolve("qubes/work/private"), 64 * MIB, 0)), runtime, () -> builtinRoot);

        assertEquals(runtime.resolve("private/usrlocal"), prepared.usrLocal());
        assertEquals("the qube's own\n", Files.readString(own));
        assertFalse(Files.exists(runtime.resolve("private/usrlocal/etc/qubes-rpc/tpl.Service")), "never seeded again");
    }

    @Test
    void aTemplateOrStandaloneQubeKeepsItsRootsOwnUsrLocal() throws IOException {
        Path root = temp.resolve("qubes/tpl/root");
        Files.createDirectories(root.resolve("tree/usr/local/etc/qubes-rpc"));

        LiteVolumes.Prepared prepared = volumes.prepare(spec(VolumeSpec.persistent(VolumeSpec.ROOT, root, 0, 0),
                VolumeSpec.persistent(VolumeSpec.PRIVATE, temp.resolve("qubes/tpl/private"), 64 * MIB, 0)), runtime, () -> builtinRoot);

        assertEquals(null, prepared.usrLocal());
        assertFalse(Files.exists(runtime.resolve("private/usrlocal")));
    }

    @Test
    void aQubeOnTheBuiltinRootKeepsThatRootsUsrLocal() {
        LiteVolumes.Prepared prepared = volumes.prepare(spec(VolumeSpec.persistent(VolumeSpec.PRIVATE, temp.resolve("qubes/work/private"),
                64 * MIB, 0)), runtime, () -> builtinRoot);

        assertEquals(null, prepared.usrLocal());
    }

    @Test
    void aDisposablesUsrLocalIsInItsSnapshotOfTheDvmTemplatesPrivateVolume() throws IOException {
        Path template = temp.resolve("qubes/tpl/root");
        Files.createDirectories(template.resolve("tree/usr/local"));
        Path origin = Files.createDirectories(temp.resolve("qubes/work-dvm/private"));
        Files.writeString(origin.resolve("private.img"), "origin image");

        LiteVolumes.Prepared prepared = volumes.prepare(spec(VolumeSpec.snapshotOf(VolumeSpec.ROOT, template, 0),
                VolumeSpec.snapshotOf(VolumeSpec.PRIVATE, origin, 64 * MIB)), runtime, () -> builtinRoot);

        assertEquals(runtime.resolve("private/usrlocal"), prepared.usrLocal());
        assertTrue(executor.lines(temp).contains("mount -t ext4 -o loop,nosuid,nodev D/domains/work/volumes/volatile/private.img "
                + "D/domains/work/volumes/private"), "the copy in the volatile tmpfs, gone at stop");
    }

    @Test
    void aTemplateWhoseUsrIsALinkSeedsNothingThroughIt() throws IOException {
        Path template = temp.resolve("qubes/tpl/root");
        Path outside = Files.createDirectories(temp.resolve("dom0/local"));
        Files.writeString(outside.resolve("secret"), "dom0's\n");
        Files.createDirectories(template.resolve("tree"));
        Files.createSymbolicLink(template.resolve("tree/usr"), outside.getParent());

        LiteVolumes.Prepared prepared = volumes.prepare(spec(VolumeSpec.snapshotOf(VolumeSpec.ROOT, template, 0),
                VolumeSpec.persistent(VolumeSpec.PRIVATE, temp.resolve("qubes/work/private"), 64 * MIB, 0)), runtime, () -> builtinRoot);

        assertTrue(Files.isDirectory(prepared.usrLocal(), LinkOption.NOFOLLOW_LINKS));
        try (var entries = Files.list(prepared.usrLocal())) {
            assertEquals(List.of(), entries.toList(), "an empty usrlocal");
        }
        assertFalse(executor.lines(temp).stream().anyMatch(l -> l.contains("usr/local")), executor.lines(temp).toString());
    }

    @Test
    void aPrivateVolumeWhoseUsrlocalIsALinkIsRefusedAndNothingStaysMounted() throws IOException {
        Path template = temp.resolve("qubes/tpl/root");
        Files.createDirectories(template.resolve("tree/usr/local"));
        Files.createDirectories(runtime.resolve("private"));
        Files.createSymbolicLink(runtime.resolve("private/usrlocal"), Path.of("/"));

        InvalidStateException e = assertThrows(InvalidStateException.class, () -> volumes.prepare(spec(
                VolumeSpec.snapshotOf(VolumeSpec.ROOT, template, 0),
                VolumeSpec.persistent(VolumeSpec.PRIVATE, temp.resolve("qubes/work/private"), 64 * MIB, 0)), runtime, () -> builtinRoot));

        assertTrue(e.getMessage().contains("'usrlocal' that is not a directory"), e.getMessage());
        assertTrue(executor.mountPoints().isEmpty(), executor.mountPoints().toString());
    }

    @Test
    void anImageAttachedToALoopDeviceAlreadyIsNotMountedAgain() {
        Path storage = temp.resolve("qubes/work/private");
        executor.answer("losetup --noheadings --output NAME --associated", ok("/dev/loop3\n"));

        InvalidStateException e = assertThrows(InvalidStateException.class,
                () -> volumes.prepare(spec(VolumeSpec.persistent(VolumeSpec.PRIVATE, storage, 64 * MIB, 0)), runtime, () -> builtinRoot));

        assertTrue(e.getMessage().contains("in use already (/dev/loop3)"), e.getMessage());
        assertTrue(executor.mountPoints().isEmpty());
        assertFalse(Files.exists(runtime));
    }

    @Test
    void aSnapshotRootIsAnOverlayOnTheOriginsTreeWithItsWritableLayerInTheVolatileTmpfs() throws IOException {
        Path template = temp.resolve("qubes/tpl/root");
        Files.createDirectories(template.resolve("tree"));

        LiteVolumes.Prepared prepared = volumes.prepare(spec(VolumeSpec.snapshotOf(VolumeSpec.ROOT, template, 0),
                VolumeSpec.fresh(VolumeSpec.VOLATILE, temp.resolve("qubes/work/volatile"), 256 * MIB)), runtime, () -> builtinRoot);

        assertEquals(List.of(
                "mount --bind --make-shared D/domains/work/volumes D/domains/work/volumes",
                "mount -t tmpfs -o size=268435456,mode=0700,nosuid,nodev bulkhead-volatile D/domains/work/volumes/volatile",
                "mount -t overlay -o lowerdir=D/qubes/tpl/root/tree,upperdir=D/domains/work/volumes/volatile/root-upper,"
                        + "workdir=D/domains/work/volumes/volatile/root-work bulkhead-root D/domains/work/volumes/root",
                "mount -t tmpfs -o mode=0755,nosuid,nodev bulkhead-home D/domains/work/volumes/home"),
                executor.lines(temp));
        assertEquals(runtime.resolve("root"), prepared.root());
        assertFalse(prepared.rootReadOnly());
    }

    @Test
    void aSnapshotWithoutVolatileVolumeStillGetsAScratchTmpfsOfTheDefaultSize() throws IOException {
        Path template = temp.resolve("qubes/tpl/root");
        Files.createDirectories(template.resolve("tree"));

        volumes.prepare(spec(VolumeSpec.snapshotOf(VolumeSpec.ROOT, template, 0)), runtime, () -> builtinRoot);

        assertTrue(executor.lines(temp).get(1).contains("size=" + LiteVolumes.DEFAULT_SCRATCH_BYTES + ","));
    }

    @Test
    void aSnapshotPrivateVolumeIsACopyOfTheOriginsImageInTheVolatileTmpfs() throws IOException {
        Path origin = temp.resolve("qubes/dvm/private");
        Files.createDirectories(origin);
        Files.writeString(origin.resolve("private.img"), "origin image");

        LiteVolumes.Prepared prepared = volumes.prepare(spec(VolumeSpec.snapshotOf(VolumeSpec.PRIVATE, origin, 64 * MIB)), runtime, () -> builtinRoot);

        assertEquals("origin image", Files.readString(runtime.resolve("volatile/private.img")));
        assertTrue(executor.lines(temp).contains("cp -a --sparse=always --reflink=auto --no-target-directory "
                + "D/qubes/dvm/private/private.img D/domains/work/volumes/volatile/private.img"));
        assertEquals(runtime.resolve("private"), prepared.privateMount());
        assertEquals("origin image", Files.readString(origin.resolve("private.img")), "the origin is only read");
    }

    @Test
    void theOriginOfASnapshotIsFrozenWhileItIsCopiedWhenItsQubeRunsAndThawedAfter() throws IOException {
        Path origin = temp.resolve("qubes/dvm/private");
        Files.createDirectories(origin);
        Files.writeString(origin.resolve("private.img"), "origin image");
        Path dvmMount = temp.resolve("domains/dvm/volumes/private");
        executor.answer("--associated " + origin.resolve("private.img"), ok("/dev/loop7\n"));
        executor.run(HostCommand.of(Duration.ofSeconds(1), List.of("mount", "-t", "ext4", "/dev/loop7", dvmMount.toString())));

        volumes.prepare(spec(VolumeSpec.snapshotOf(VolumeSpec.PRIVATE, origin, 64 * MIB)), runtime, () -> builtinRoot);

        List<String> lines = executor.lines(temp);
        int freeze = lines.indexOf("fsfreeze --freeze D/domains/dvm/volumes/private");
        int copy = lines.indexOf("cp -a --sparse=always --reflink=auto --no-target-directory D/qubes/dvm/private/private.img"
                + " D/domains/work/volumes/volatile/private.img");
        int thaw = lines.indexOf("fsfreeze --unfreeze D/domains/dvm/volumes/private");
        assertTrue(freeze >= 0 && freeze < copy && copy < thaw, lines.toString());
    }

    @Test
    void aKeptVolumeWithRevisionsKeepsItsContentBeforeEachStartAndOnlyAsManyAsAsked() throws IOException {
        Path storage = temp.resolve("qubes/work/private");
        VolumeSpec volume = VolumeSpec.persistent(VolumeSpec.PRIVATE, storage, 64 * MIB, 2);
        for (String content : List.of("one", "two", "three")) {
            volumes.prepare(spec(volume), runtime, () -> builtinRoot);
            Files.writeString(storage.resolve("private.img"), content);
            volumes.release(runtime);
        }

        List<VolumeRevision> kept = volumes.revisions(volume);

        assertEquals(2, kept.size(), kept.toString());
        assertEquals(List.of("two", "one"), List.of(Files.readString(storage.resolve("revisions").resolve(kept.get(0).name() + ".img")),
                Files.readString(storage.resolve("revisions").resolve(kept.get(1).name() + ".img"))));
        assertTrue(kept.get(0).time().isAfter(kept.get(1).time()), "newest first: " + kept);
        assertEquals(Long.toString(NOW.toEpochMilli() + 2), kept.get(0).name(), "taken in the same millisecond: named apart");
    }

    @Test
    void revertPutsTheNewestRevisionBackAndUsesItUp() throws IOException {
        Path storage = temp.resolve("qubes/work/private");
        VolumeSpec volume = VolumeSpec.persistent(VolumeSpec.PRIVATE, storage, 64 * MIB, 3);
        volumes.prepare(spec(volume), runtime, () -> builtinRoot);
        Files.writeString(storage.resolve("private.img"), "before");
        volumes.release(runtime);
        volumes.prepare(spec(volume), runtime, () -> builtinRoot);
        Files.writeString(storage.resolve("private.img"), "after");
        volumes.release(runtime);

        volumes.revert(volume, null);

        assertEquals("before", Files.readString(storage.resolve("private.img")));
        assertEquals(1, volumes.revisions(volume).size());
    }

    @Test
    void revertToAnUnknownRevisionNamesTheKeptOnesAndChangesNothing() throws IOException {
        Path storage = temp.resolve("qubes/work/private");
        VolumeSpec volume = VolumeSpec.persistent(VolumeSpec.PRIVATE, storage, 64 * MIB, 1);
        volumes.prepare(spec(volume), runtime, () -> builtinRoot);
        volumes.release(runtime);
        Files.writeString(storage.resolve("private.img"), "now");
        String kept = volumes.revisions(volume).get(0).name();

        InvalidValueException e = assertThrows(InvalidValueException.class, () -> volumes.revert(volume, "123"));

        assertEquals("invalid revision '123': one of " + kept, e.getMessage());
        assertEquals("now", Files.readString(storage.resolve("private.img")));
    }

    @Test
    void revertWithoutRevisionsIsRefused() {
        VolumeSpec volume = VolumeSpec.persistent(VolumeSpec.PRIVATE, temp.resolve("qubes/work/private"), 64 * MIB, 1);

        assertThrows(InvalidStateException.class, () -> volumes.revert(volume, null));
    }

    @Test
    void releaseUnmountsTheImagesBeforeTheTmpfsAndRemovesTheRuntimeDirectory() throws IOException {
        Path origin = temp.resolve("qubes/dvm/private");
        Files.createDirectories(origin);
        Files.writeString(origin.resolve("private.img"), "x");
        volumes.prepare(spec(VolumeSpec.snapshotOf(VolumeSpec.PRIVATE, origin, 64 * MIB)), runtime, () -> builtinRoot);

        volumes.release(runtime);

        List<String> lines = executor.lines(temp);
        assertEquals(List.of("umount D/domains/work/volumes/private", "umount D/domains/work/volumes/volatile D/domains/work/volumes"),
                lines.subList(lines.size() - 2, lines.size()), "the image in the tmpfs goes before the tmpfs");
        assertTrue(executor.mountPoints().isEmpty());
        assertFalse(Files.exists(runtime));
    }

    @Test
    void theTmpfsIsUnmountedOnlyOnceTheLoopDevicesOfItsImagesHaveDetached() throws IOException {
        Path backingFile = Files.createDirectories(sysBlock.resolve("loop7/loop")).resolve("backing_file");
        Files.writeString(backingFile, runtime.resolve("volatile/private.img") + "\n");
        mount("none", runtime.toString(), runtime);
        mount("tmpfs", "bulkhead-volatile", runtime.resolve("volatile"));
        mount("ext4", "/dev/loop7", runtime.resolve("private"));
        List<String> seenAttached = new ArrayList<>();
        executor.answer("umount ", c -> {
            seenAttached.add(c.argv().get(1) + " " + Files.exists(backingFile));
            try {
                List<String> lines = new ArrayList<>(Files.readAllLines(temp.resolve("proc/self/mountinfo")));
                lines.removeIf(l -> c.argv().subList(1, c.argv().size()).contains(l.split(" ")[4]));
                Files.write(temp.resolve("proc/self/mountinfo"), lines);
                // the kernel lets go of the image a moment after its file system is unmounted
                Files.deleteIfExists(backingFile);
            } catch (IOException e) {
                throw new java.io.UncheckedIOException(e);
            }
            return ok("");
        });

        volumes.release(runtime);

        assertEquals(List.of(runtime.resolve("private") + " true", runtime.resolve("volatile") + " false"), seenAttached,
                "the images, then the tmpfs and the runtime directory's own mount");
        assertFalse(Files.exists(runtime));
    }

    @Test
    void aLoopDeviceThatNeverDetachesKeepsTheTmpfsAndIsNamed() throws IOException {
        Path backingFile = Files.createDirectories(sysBlock.resolve("loop7/loop")).resolve("backing_file");
        Files.writeString(backingFile, "x\n");
        mount("none", runtime.toString(), runtime);
        mount("tmpfs", "bulkhead-volatile", runtime.resolve("volatile"));
        mount("ext4", "/dev/loop7", runtime.resolve("private"));

        AdminException e = assertThrows(AdminException.class, () -> volumes.release(runtime));

        assertEquals("loop device /dev/loop7 is still attached 1 s after its file system was unmounted", e.getMessage());
        assertEquals(List.of(runtime.toString(), runtime.resolve("volatile").toString()), executor.mountPoints());
    }

    private void mount(String type, String source, Path mountPoint) throws IOException {
        Files.createDirectories(mountPoint);
        executor.run(HostCommand.of(Duration.ofSeconds(1), List.of("mount", "-t", type, source, mountPoint.toString())));
    }

    @Test
    void whatCannotBeUnmountedIsNeverDeletedThrough() throws IOException {
        Path storage = temp.resolve("qubes/work/private");
        volumes.prepare(spec(VolumeSpec.persistent(VolumeSpec.PRIVATE, storage, 64 * MIB, 0)), runtime, () -> builtinRoot);
        Files.writeString(runtime.resolve("private/home/keep"), "user data");
        executor.answer("umount ", failed(32, "umount: target is busy."));

        AdminException e = assertThrows(AdminException.class, () -> volumes.release(runtime));

        assertTrue(e.getMessage().contains("target is busy"), e.getMessage());
        assertEquals("user data", Files.readString(runtime.resolve("private/home/keep")));
    }

    @Test
    void aFailedPrepareUnmountsWhatItMounted() throws IOException {
        Path template = temp.resolve("qubes/tpl/root");
        Files.createDirectories(template.resolve("tree"));
        executor.answer("-t overlay", failed(32, "mount: wrong fs type"));

        assertThrows(AdminException.class, () -> volumes.prepare(spec(VolumeSpec.snapshotOf(VolumeSpec.ROOT, template, 0)), runtime, () -> builtinRoot));

        assertTrue(executor.mountPoints().isEmpty(), executor.mountPoints().toString());
        assertFalse(Files.exists(runtime));
    }

    @Test
    void aVolumeWhoseFilesVanishWhileDuWalksItIsMeasuredAsDuCountedIt() throws IOException {
        // du exits 1 when an entry it listed is gone before it measures it: a revision renamed or dropped meanwhile
        Path storage = Files.createDirectories(temp.resolve("qubes/work/private"));
        executor.answer("du -s -B1", new dev.bulkhead.api.host.HostCommandResult(1, ("73728\t" + storage + "\n").getBytes(),
                ("du: cannot access '" + storage + "/revisions/.new-1f2e': No such file or directory\n").getBytes(), false));

        assertEquals(73728, volumes.usage(VolumeSpec.persistent(VolumeSpec.PRIVATE, storage, 64 * MIB, 2)));
        assertTrue(executor.commands().stream().anyMatch(c -> c.argv().get(0).equals("du") && "C".equals(c.environment().get("LC_ALL"))),
                "du speaks the C locale, whose messages are known");
    }

    @Test
    void aVolumeRemovedWhileDuWalksItMeasuresNothingAndHasNoRevisions() throws IOException {
        // its qube removed while a client read its volumes: du finds the tree gone, and so does the revisions' listing
        Path storage = Files.createDirectories(temp.resolve("qubes/work/private"));
        executor.answer("du -s -B1", c -> {
            FileTrees.deleteQuietly(storage);
            return new dev.bulkhead.api.host.HostCommandResult(1, new byte[0],
                    ("du: cannot access '" + storage + "': No such file or directory\n").getBytes(), false);
        });
        VolumeSpec volume = VolumeSpec.persistent(VolumeSpec.PRIVATE, storage, 64 * MIB, 2);

        assertEquals(0, volumes.usage(volume));
        assertEquals(List.of(), volumes.revisions(volume));
    }

    @Test
    void aVolumeDuCannotReadIsAFailureNamingWhy() throws IOException {
        Path storage = Files.createDirectories(temp.resolve("qubes/work/private"));
        executor.answer("du -s -B1", new dev.bulkhead.api.host.HostCommandResult(1, ("4096\t" + storage + "\n").getBytes(),
                ("du: cannot read directory '" + storage + "/x': Permission denied\n").getBytes(), false));

        AdminException e = assertThrows(AdminException.class,
                () -> volumes.usage(VolumeSpec.persistent(VolumeSpec.PRIVATE, storage, 64 * MIB, 2)));

        assertTrue(e.getMessage().contains("Permission denied") && e.getMessage().contains("private"), e.getMessage());
    }

    @Test
    void resizeOfAHaltedImageChecksItGrowsTheFileThenTheFileSystem() throws IOException {
        Path storage = Files.createDirectories(temp.resolve("qubes/work/private"));
        Files.write(storage.resolve("private.img"), new byte[1024]);
        VolumeSpec volume = VolumeSpec.persistent(VolumeSpec.PRIVATE, storage, 64 * MIB, 0);

        volumes.resize("work", volume, 128 * MIB);

        assertEquals(128 * MIB, Files.size(storage.resolve("private.img")));
        List<String> lines = executor.lines(temp);
        assertEquals(List.of("e2fsck -f -p D/qubes/work/private/private.img", "resize2fs D/qubes/work/private/private.img"),
                lines.subList(lines.size() - 2, lines.size()));
    }

    @Test
    void anImageInUseIsNotResized() throws IOException {
        Path storage = Files.createDirectories(temp.resolve("qubes/work/private"));
        Files.write(storage.resolve("private.img"), new byte[1024]);
        executor.answer("--associated", ok("/dev/loop5\n"));

        InvalidStateException e = assertThrows(InvalidStateException.class,
                () -> volumes.resize("work", VolumeSpec.persistent(VolumeSpec.PRIVATE, storage, 64 * MIB, 0), 128 * MIB));

        assertTrue(e.getMessage().contains("(/dev/loop5)") && e.getMessage().contains("halted"), e.getMessage());
        assertEquals(1024, Files.size(storage.resolve("private.img")));
    }

    @Test
    void volumesNeverShrinkAndRootTreesHaveNoSize() throws IOException {
        Path storage = Files.createDirectories(temp.resolve("qubes/work/private"));
        try (RandomAccessFile image = new RandomAccessFile(storage.resolve("private.img").toFile(), "rw")) {
            image.setLength(64 * MIB);
        }
        VolumeSpec volume = VolumeSpec.persistent(VolumeSpec.PRIVATE, storage, 64 * MIB, 0);

        InvalidValueException shrink = assertThrows(InvalidValueException.class, () -> volumes.resize("work", volume, 32 * MIB));
        InvalidValueException root = assertThrows(InvalidValueException.class,
                () -> volumes.resize("work", VolumeSpec.persistent(VolumeSpec.ROOT, temp.resolve("qubes/work/root"), 0, 0), 1L << 30));

        assertTrue(shrink.getMessage().contains("volumes only grow"), shrink.getMessage());
        assertTrue(root.getMessage().contains("directory tree"), root.getMessage());
        assertEquals(64 * MIB, Files.size(storage.resolve("private.img")));
    }

    @Test
    void importMovesTheTreeInAndDropsTheOldOne() throws IOException {
        Path storage = temp.resolve("qubes/tpl/root");
        Files.createDirectories(storage.resolve("tree"));
        Files.writeString(storage.resolve("tree/old"), "old");
        Path incoming = Files.createDirectories(temp.resolve("staging/root"));
        Files.writeString(incoming.resolve("new"), "new");

        volumes.importContent(VolumeSpec.persistent(VolumeSpec.ROOT, storage, 0, 0), incoming);

        assertEquals("new", Files.readString(storage.resolve("tree/new")));
        assertFalse(Files.exists(storage.resolve("tree/old")));
        assertFalse(Files.exists(incoming));
        try (var entries = Files.list(storage)) {
            assertEquals(List.of("tree"), entries.map(p -> p.getFileName().toString()).toList());
        }
    }

    @Test
    void onlyARootTreeCanBeImported() throws IOException {
        Path incoming = Files.createDirectories(temp.resolve("staging/root"));

        assertThrows(InvalidValueException.class, () -> volumes.importContent(
                VolumeSpec.persistent(VolumeSpec.PRIVATE, temp.resolve("qubes/tpl/private"), 64 * MIB, 0), incoming));
        assertTrue(Files.isDirectory(incoming));
    }

    @Test
    void copyMakesTheTargetAndRefusesToOverwrite() throws IOException {
        Path from = Files.createDirectories(temp.resolve("qubes/a/private"));
        Files.writeString(from.resolve("private.img"), "data");
        VolumeSpec source = VolumeSpec.persistent(VolumeSpec.PRIVATE, from, 64 * MIB, 0);
        VolumeSpec target = VolumeSpec.persistent(VolumeSpec.PRIVATE, temp.resolve("qubes/b/private"), 64 * MIB, 0);

        volumes.copy(source, target);

        assertEquals("data", Files.readString(temp.resolve("qubes/b/private/private.img")));
        assertThrows(InvalidStateException.class, () -> volumes.copy(source, target));
    }

    private static DomainSpec spec(VolumeSpec... volumes) {
        return new DomainSpec("work", 5, QubeClass.AppVM, 400, 400, 1, "", false, List.of(volumes));
    }
}
