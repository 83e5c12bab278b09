package dev.bulkhead.backend.lite.internal;

import java.io.IOException;
import java.io.RandomAccessFile;
import java.io.UncheckedIOException;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Optional;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentMap;
import java.util.regex.Pattern;
import java.util.stream.Stream;

import dev.bulkhead.api.AdminException;
import dev.bulkhead.api.InvalidStateException;
import dev.bulkhead.api.InvalidValueException;
import dev.bulkhead.api.VolumeRevision;
import dev.bulkhead.api.host.HostCommand;
import dev.bulkhead.api.host.HostCommandResult;
import dev.bulkhead.api.host.HostCommands;
import dev.bulkhead.api.hypervisor.DomainSpec;
import dev.bulkhead.api.hypervisor.VolumeSpec;
import dev.bulkhead.api.hypervisor.VolumeStorage;

/**
 * The lite backend's volumes. In a volume's storage directory ({@link VolumeSpec#source()}) a root
 * volume is a directory tree {@code tree/}; any other volume is an ext4 image {@code NAME.img}, so
 * that its size is a hard limit. Kept states are in {@code revisions/}, named by the time in
 * milliseconds they were taken ({@code .img} added for an image).
 * <p>
 * While a domain runs, its volumes are mounted under its runtime directory: {@code volatile} (a
 * tmpfs of the volatile volume's size, which holds the writable layers of snapshot volumes),
 * {@code root} (an overlay of a snapshot root on its origin's tree) and {@code private} (the image,
 * loop-mounted). Unmounting the tmpfs at stop takes everything the domain wrote outside its kept
 * volumes with it.
 */
final class LiteVolumes implements VolumeStorage {
    /** Size of the writable layer's tmpfs when a spec has snapshot volumes but no volatile volume. */
    static final long DEFAULT_SCRATCH_BYTES = 1L << 30;
    /** ext4 needs some room for its own structures. */
    static final long MIN_IMAGE_BYTES = 16L << 20;
    static final String TREE = "tree";
    static final String REVISIONS = "revisions";
    static final String VOLATILE_MOUNT = "volatile";
    private static final Pattern REVISION = Pattern.compile("[0-9]{1,19}(\\.img)?");
    /** Characters that mount option strings (comma-separated, colon-separated lower dirs) cannot carry. */
    private static final Pattern OPTION_SAFE_PATH = Pattern.compile("[^,:\\s\\\\]+");

    /** What a domain runs on: its root directory, whether that is read-only, and where its private volume is mounted. */
    record Prepared(Path root, boolean rootReadOnly, Path privateMount) {
    }

    private final HostCommands executor;
    private final MountTable mounts;
    private final Path sysBlock;
    private final Duration timeout;
    private final Clock clock;
    private final ConcurrentMap<Path, Object> storageLocks = new ConcurrentHashMap<>();

    /**
     * @param sysBlock the host's {@code /sys/block}, where a loop device shows its backing file while it is attached
     */
    LiteVolumes(HostCommands executor, MountTable mounts, Path sysBlock, Duration timeout, Clock clock) {
        this.executor = executor;
        this.mounts = mounts;
        this.sysBlock = sysBlock;
        this.timeout = timeout;
        this.clock = clock;
    }

    // ---- storage -------------------------------------------------------------------------------

    static boolean isTree(VolumeSpec volume) {
        return volume.name().equals(VolumeSpec.ROOT);
    }

    /** The volume's current content: the tree directory or the image file. */
    static Path current(VolumeSpec volume) {
        return isTree(volume) ? volume.source().resolve(TREE) : volume.source().resolve(volume.name() + ".img");
    }

    @Override
    public boolean exists(VolumeSpec volume) {
        Path current = current(volume);
        return isTree(volume) ? Files.isDirectory(current, LinkOption.NOFOLLOW_LINKS)
                : Files.isRegularFile(current, LinkOption.NOFOLLOW_LINKS);
    }

    @Override
    public void copy(VolumeSpec from, VolumeSpec to) {
        requireKept(to);
        synchronized (lockOf(to.source())) {
            if (!exists(from)) {
                throw new InvalidStateException("cannot copy volume " + from.name() + ": it has no storage at " + from.source());
            }
            if (exists(to)) {
                throw new InvalidStateException("cannot copy volume " + from.name() + " to " + to.source() + ": there is one already");
            }
            createDirectories(to.source());
            Path temp = to.source().resolve(".copy-" + UUID.randomUUID());
            try {
                copyContent(current(from), temp);
                move(temp, current(to));
            } catch (AdminException e) {
                FileTrees.deleteQuietly(temp);
                throw e;
            }
        }
    }

    @Override
    public void importContent(VolumeSpec volume, Path content) {
        requireKept(volume);
        if (!isTree(volume)) {
            throw new InvalidValueException("volume", volume.name(),
                    "the lite backend imports only a root directory tree; it makes the ext4 image of '" + volume.name() + "' itself");
        }
        if (!Files.isDirectory(content, LinkOption.NOFOLLOW_LINKS)) {
            throw new InvalidValueException("content of volume " + volume.name(), content.toString(), "a directory tree");
        }
        synchronized (lockOf(volume.source())) {
            createDirectories(volume.source());
            Path incoming = volume.source().resolve(".import-" + UUID.randomUUID());
            try {
                Files.move(content, incoming, StandardCopyOption.ATOMIC_MOVE);
            } catch (AtomicMoveNotSupportedException e) {
                copyContent(content, incoming);
                deleteTree(content);
            } catch (IOException e) {
                throw new AdminException("cannot take over " + content + " as volume " + volume.name() + ": " + e.getMessage(), e);
            }
            replaceCurrent(volume, incoming);
        }
    }

    @Override
    public void resize(String domain, VolumeSpec volume, long sizeBytes) {
        if (isTree(volume)) {
            throw new InvalidValueException("volume", volume.name(),
                    "the lite backend keeps a root volume as a directory tree, which has no size to change");
        }
        if (volume.isVolatile() || volume.snapshot()) {
            return; // made anew at each start, at the size given then
        }
        if (sizeBytes < MIN_IMAGE_BYTES) {
            throw new InvalidValueException("size of volume " + volume.name(), Long.toString(sizeBytes), "at least " + MIN_IMAGE_BYTES + " bytes");
        }
        synchronized (lockOf(volume.source())) {
            Path image = current(volume);
            long now = size(image);
            if (sizeBytes < now) {
                throw new InvalidValueException("size of volume " + volume.name(), Long.toString(sizeBytes),
                        "at least its present size " + now + ": volumes only grow");
            }
            List<String> devices = loopDevicesOf(image);
            if (!devices.isEmpty()) {
                // growing a mounted ext4 needs CAP_SYS_RESOURCE, which hosts and CI runners often withhold
                throw new InvalidStateException("volume " + volume.name() + " of '" + domain + "' is in use (" + String.join(", ", devices)
                        + "); the lite backend grows it while its qube is halted");
            }
            // resize2fs insists on a checked file system; e2fsck's exit 1 means it fixed something
            HostCommandResult fsck = executor.run(command("e2fsck", "-f", "-p", image.toString()));
            if (fsck.timedOut() || fsck.exitStatus() > 1) {
                throw command("e2fsck", "-f", "-p", image.toString()).failure(fsck);
            }
            setLength(image, sizeBytes);
            executor.runOrThrow(command("resize2fs", image.toString()));
        }
    }

    @Override
    public long usage(VolumeSpec volume) {
        if (!Files.isDirectory(volume.source()) || volume.snapshot() || volume.isVolatile()) {
            return 0;
        }
        HostCommandResult du = executor.runOrThrow(command("du", "-s", "-B1", volume.source().toString()));
        String first = du.stdoutText().strip().split("\\s+")[0];
        try {
            return Long.parseLong(first);
        } catch (NumberFormatException e) {
            throw new AdminException("'du' printed '" + du.stdoutText().strip() + "' for " + volume.source() + ", not a size");
        }
    }

    @Override
    public List<VolumeRevision> revisions(VolumeSpec volume) {
        Path dir = volume.source().resolve(REVISIONS);
        if (!Files.isDirectory(dir)) {
            return List.of();
        }
        try (Stream<Path> entries = Files.list(dir)) {
            return entries.map(p -> p.getFileName().toString()).filter(n -> REVISION.matcher(n).matches())
                    .map(n -> n.replace(".img", "")).map(n -> new VolumeRevision(n, Instant.ofEpochMilli(Long.parseLong(n))))
                    .sorted(Comparator.comparing(VolumeRevision::time).reversed()).toList();
        } catch (IOException e) {
            throw new AdminException("cannot list the revisions in " + dir + ": " + e.getMessage(), e);
        }
    }

    @Override
    public void revert(VolumeSpec volume, String revision) {
        requireKept(volume);
        synchronized (lockOf(volume.source())) {
            List<VolumeRevision> kept = revisions(volume);
            if (kept.isEmpty()) {
                throw new InvalidStateException("volume " + volume.name() + " has no revision to revert to");
            }
            VolumeRevision chosen = revision == null ? kept.get(0)
                    : kept.stream().filter(r -> r.name().equals(revision)).findFirst().orElseThrow(() -> new InvalidValueException(
                            "revision", revision, "one of " + String.join(", ", kept.stream().map(VolumeRevision::name).toList())));
            replaceCurrent(volume, revisionFile(volume, chosen.name()));
        }
    }

    // ---- a domain's volumes while it runs ---------------------------------------------------------

    /**
     * Mounts what the domain's volumes need under {@code runtime} and keeps revisions of its kept
     * volumes. A root of {@code null} asks for the built-in root. On failure, whatever was mounted is
     * released again.
     */
    Prepared prepare(DomainSpec spec, Path runtime) {
        try {
            Optional<VolumeSpec> root = spec.volume(VolumeSpec.ROOT);
            Optional<VolumeSpec> privateVolume = spec.volume(VolumeSpec.PRIVATE);
            boolean needsScratch = spec.volumes().stream().anyMatch(VolumeSpec::snapshot);
            Path scratch = runtime.resolve(VOLATILE_MOUNT);
            Optional<VolumeSpec> volatileVolume = spec.volume(VolumeSpec.VOLATILE);
            if (needsScratch || volatileVolume.isPresent() || privateVolume.isPresent()) {
                shareUnmounts(runtime);
            }
            if (needsScratch || volatileVolume.isPresent()) {
                mountTmpfs(scratch, volatileVolume.map(VolumeSpec::sizeBytes).filter(s -> s > 0).orElse(DEFAULT_SCRATCH_BYTES));
            }
            Path rootDir = null;
            boolean rootReadOnly = true;
            if (root.isPresent()) {
                rootDir = prepareRoot(root.get(), runtime, scratch);
                rootReadOnly = root.get().readOnly();
            }
            Path privateMount = privateVolume.isPresent() ? preparePrivate(privateVolume.get(), runtime, scratch) : null;
            return new Prepared(rootDir, rootReadOnly, privateMount);
        } catch (RuntimeException e) {
            try {
                release(runtime);
            } catch (AdminException cleanup) {
                e.addSuppressed(cleanup);
            }
            throw e;
        }
    }

    private Path prepareRoot(VolumeSpec root, Path runtime, Path scratch) {
        if (!isTree(root)) {
            throw new InvalidValueException("root volume", root.name(), "a root volume named root");
        }
        Path tree = current(root);
        if (!Files.isDirectory(tree, LinkOption.NOFOLLOW_LINKS)) {
            throw new InvalidStateException("root volume " + root.source() + " has no tree at " + tree);
        }
        if (!root.snapshot()) {
            keepRevision(root);
            return tree;
        }
        Path upper = createDirectories(scratch.resolve("root-upper"));
        Path work = createDirectories(scratch.resolve("root-work"));
        Path mountPoint = createDirectories(runtime.resolve(VolumeSpec.ROOT));
        executor.runOrThrow(command("mount", "-t", "overlay", "-o",
                "lowerdir=" + optionPath(tree) + ",upperdir=" + optionPath(upper) + ",workdir=" + optionPath(work),
                "bulkhead-root", mountPoint.toString()));
        return mountPoint;
    }

    private Path preparePrivate(VolumeSpec volume, Path runtime, Path scratch) {
        Path image;
        if (volume.snapshot()) {
            ensureImage(volume);
            image = scratch.resolve(volume.name() + ".img");
            copyFrozen(current(volume), image);
        } else if (volume.saveOnStop()) {
            ensureImage(volume);
            image = current(volume);
            List<String> inUse = loopDevicesOf(image);
            if (!inUse.isEmpty()) {
                throw new InvalidStateException("volume image " + image + " is in use already (" + String.join(", ", inUse)
                        + "); is its qube running in another instance?");
            }
            keepRevision(volume);
        } else {
            image = scratch.resolve(volume.name() + ".img");
            makeImage(image, volume.sizeBytes());
        }
        Path mountPoint = createDirectories(runtime.resolve(volume.name()));
        executor.runOrThrow(command("mount", "-t", "ext4", "-o", "loop,nosuid,nodev" + (volume.readOnly() ? ",ro" : ""),
                image.toString(), mountPoint.toString()));
        if (!volume.readOnly()) {
            createDirectories(mountPoint.resolve("home"));
        }
        return mountPoint;
    }

    /**
     * Makes the runtime directory a shared mount on itself, so that the volumes mounted below it are
     * unmounted, when the domain stops, from every mount namespace made meanwhile that copied them
     * as slaves ({@code ip netns exec} makes such copies). A private copy would keep an image's file
     * system, and so its loop device, alive after the domain stopped.
     */
    private void shareUnmounts(Path runtime) {
        String dir = createDirectories(runtime).toString();
        executor.runOrThrow(command("mount", "--bind", "--make-shared", dir, dir));
    }

    /**
     * Unmounts everything under the domain's runtime directory and removes the directory: the images
     * first, latest first, then, once their loop devices have let go of their files, the tmpfs and
     * the runtime directory's own mount.
     */
    void release(Path runtime) {
        Path scratch = runtime.resolve(VOLATILE_MOUNT).toAbsolutePath().normalize();
        Path own = runtime.toAbsolutePath().normalize();
        List<MountTable.Mount> images = mounts.below(runtime).stream()
                .filter(m -> !m.mountPoint().equals(scratch) && !m.mountPoint().equals(own)).toList();
        unmount(images);
        for (MountTable.Mount m : images) {
            if (m.source().startsWith("/dev/loop")) {
                awaitDetached(m.source());
            }
        }
        unmount(mounts.below(runtime));
        List<MountTable.Mount> left = mounts.below(runtime);
        if (!left.isEmpty()) {
            // deleting through a mount would delete a volume's content
            throw new AdminException("still mounted after unmounting: " + left.stream().map(m -> m.mountPoint().toString()).toList());
        }
        deleteTree(runtime);
    }

    private void unmount(List<MountTable.Mount> mounted) {
        if (!mounted.isEmpty()) {
            List<String> argv = new ArrayList<>(List.of("umount"));
            mounted.forEach(m -> argv.add(m.mountPoint().toString()));
            executor.runOrThrow(command(argv.toArray(String[]::new)));
        }
    }

    /**
     * The kernel detaches a loop device from its file a moment after the file system on it is
     * unmounted, not always at once; until then its file is in use: an image cannot be mounted
     * again, a tmpfs holding it cannot be unmounted.
     */
    private void awaitDetached(String device) {
        Path backingFile = sysBlock.resolve(Path.of(device).getFileName().toString()).resolve("loop").resolve("backing_file");
        long deadline = System.nanoTime() + timeout.toNanos();
        long pause = 1;
        boolean interrupted = false;
        try {
            while (Files.exists(backingFile)) {
                if (System.nanoTime() > deadline) {
                    throw new AdminException("loop device " + device + " is still attached " + timeout.toSeconds() + " s after its"
                            + " file system was unmounted");
                }
                try {
                    Thread.sleep(pause);
                } catch (InterruptedException e) {
                    // a release cut off here would leave the volume half-released: it waits its bounded time
                    interrupted = true;
                }
                pause = Math.min(pause * 2, 20);
            }
        } finally {
            if (interrupted) {
                Thread.currentThread().interrupt();
            }
        }
    }

    // ---- helpers -------------------------------------------------------------------------------

    private static void requireKept(VolumeSpec volume) {
        if (!volume.saveOnStop()) {
            throw new InvalidValueException("volume", volume.name(), "a volume that is kept across starts");
        }
    }

    /** Makes a missing image of a kept volume (its first start), empty and of its size. */
    private void ensureImage(VolumeSpec volume) {
        synchronized (lockOf(volume.source())) {
            Path image = current(volume);
            if (Files.isRegularFile(image, LinkOption.NOFOLLOW_LINKS)) {
                return;
            }
            createDirectories(volume.source());
            Path temp = volume.source().resolve(".new-" + UUID.randomUUID());
            try {
                makeImage(temp, volume.sizeBytes());
                move(temp, image);
            } catch (AdminException e) {
                FileTrees.deleteQuietly(temp);
                throw e;
            }
        }
    }

    private void makeImage(Path image, long sizeBytes) {
        if (sizeBytes < MIN_IMAGE_BYTES) {
            throw new InvalidValueException("size of volume image " + image.getFileName(), Long.toString(sizeBytes),
                    "at least " + MIN_IMAGE_BYTES + " bytes");
        }
        setLength(image, sizeBytes);
        executor.runOrThrow(command("mkfs.ext4", "-q", "-F", "-m", "0", "-E", "lazy_itable_init=1,lazy_journal_init=1",
                image.toString()));
    }

    /** Keeps the volume's present content as a revision when it keeps any, and drops the oldest beyond the count. */
    private void keepRevision(VolumeSpec volume) {
        synchronized (lockOf(volume.source())) {
            Path dir = volume.source().resolve(REVISIONS);
            if (volume.revisionsToKeep() > 0) {
                createDirectories(dir);
                long now = clock.millis();
                for (VolumeRevision r : revisions(volume)) {
                    now = Math.max(now, r.time().toEpochMilli() + 1);
                }
                Path temp = dir.resolve(".new-" + UUID.randomUUID());
                try {
                    copyContent(current(volume), temp);
                    move(temp, revisionFile(volume, Long.toString(now)));
                } catch (AdminException e) {
                    FileTrees.deleteQuietly(temp);
                    throw e;
                }
            }
            List<VolumeRevision> kept = revisions(volume);
            for (VolumeRevision old : kept.subList(Math.min(volume.revisionsToKeep(), kept.size()), kept.size())) {
                deleteTree(revisionFile(volume, old.name()));
            }
        }
    }

    /** A revision's tree or image: named by the milliseconds it was taken at. */
    private static Path revisionFile(VolumeSpec volume, String revision) {
        return volume.source().resolve(REVISIONS).resolve(revision + (isTree(volume) ? "" : ".img"));
    }

    /** Puts {@code replacement} (a revision or an imported tree) in place of the current content, which is dropped. */
    private void replaceCurrent(VolumeSpec volume, Path replacement) {
        Path current = current(volume);
        Path old = volume.source().resolve(".old-" + UUID.randomUUID());
        boolean hadCurrent = Files.exists(current, LinkOption.NOFOLLOW_LINKS);
        if (hadCurrent) {
            move(current, old);
        }
        try {
            move(replacement, current);
        } catch (AdminException e) {
            if (hadCurrent) {
                move(old, current);
            }
            throw e;
        }
        deleteTree(old);
    }

    /**
     * Copies an image that a running domain may have mounted: its file system is frozen meanwhile, so
     * the copy is a consistent state of it.
     */
    private void copyFrozen(Path image, Path target) {
        List<Path> frozen = new ArrayList<>();
        try {
            for (String device : loopDevicesOf(image)) {
                for (Path mountPoint : mounts.mountPointsOf(device)) {
                    executor.runOrThrow(command("fsfreeze", "--freeze", mountPoint.toString()));
                    frozen.add(mountPoint);
                }
            }
            copyContent(image, target);
        } finally {
            for (Path mountPoint : frozen) {
                executor.runOrThrow(command("fsfreeze", "--unfreeze", mountPoint.toString()));
            }
        }
    }

    /** The loop devices backed by the image. */
    private List<String> loopDevicesOf(Path image) {
        HostCommandResult r = executor.runOrThrow(command("losetup", "--noheadings", "--output", "NAME", "--associated", image.toString()));
        return r.stdoutText().lines().map(String::strip).filter(l -> !l.isEmpty()).toList();
    }

    /** Copies a tree or an image with what it holds: owners, modes, links, holes; instantly where the file system can share blocks. */
    private void copyContent(Path from, Path to) {
        executor.runOrThrow(command("cp", "-a", "--sparse=always", "--reflink=auto", "--no-target-directory",
                from.toString(), to.toString()));
    }

    private void mountTmpfs(Path mountPoint, long sizeBytes) {
        createDirectories(mountPoint);
        executor.runOrThrow(command("mount", "-t", "tmpfs", "-o", "size=" + sizeBytes + ",mode=0700,nosuid,nodev",
                "bulkhead-volatile", mountPoint.toString()));
    }

    private static String optionPath(Path path) {
        String text = path.toString();
        if (!OPTION_SAFE_PATH.matcher(text).matches()) {
            throw new InvalidValueException("volume path", text, "a path without commas, colons, backslashes or spaces (overlayfs cannot take it)");
        }
        return text;
    }

    private HostCommand command(String... argv) {
        return HostCommand.of(timeout, List.of(argv));
    }

    private Object lockOf(Path storage) {
        return storageLocks.computeIfAbsent(storage.toAbsolutePath().normalize(), p -> new Object());
    }

    private static Path createDirectories(Path dir) {
        try {
            return Files.createDirectories(dir);
        } catch (IOException e) {
            throw new AdminException("cannot create " + dir + ": " + e.getMessage(), e);
        }
    }

    private static void move(Path from, Path to) {
        try {
            Files.move(from, to, StandardCopyOption.ATOMIC_MOVE);
        } catch (IOException e) {
            throw new AdminException("cannot move " + from + " to " + to + ": " + e.getMessage(), e);
        }
    }

    private static void deleteTree(Path tree) {
        try {
            FileTrees.deleteRecursively(tree);
        } catch (IOException | UncheckedIOException e) {
            throw new AdminException("cannot remove " + tree + ": " + e.getMessage(), e);
        }
    }

    private static long size(Path file) {
        try {
            return Files.size(file);
        } catch (IOException e) {
            throw new AdminException("cannot read the size of " + file + ": " + e.getMessage(), e);
        }
    }

    private static void setLength(Path image, long sizeBytes) {
        try (RandomAccessFile f = new RandomAccessFile(image.toFile(), "rw")) {
            f.setLength(sizeBytes);
        } catch (IOException e) {
            throw new AdminException("cannot size " + image + " to " + sizeBytes + " bytes: " + e.getMessage(), e);
        }
    }
}
