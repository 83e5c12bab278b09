package dev.bulkhead.volume.store;

import java.io.IOException;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.Clock;
import java.time.Instant;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentMap;
import java.util.function.Consumer;
import java.util.function.Predicate;
import java.util.regex.Pattern;
import java.util.stream.Stream;

import dev.bulkhead.api.AdminException;
import dev.bulkhead.api.InvalidStateException;
import dev.bulkhead.api.InvalidValueException;
import dev.bulkhead.api.VolumeRevision;
import dev.bulkhead.api.host.HostCommandResult;
import dev.bulkhead.api.hypervisor.VolumeSpec;

/**
 * The storage of the volumes a qube keeps, in a volume's storage directory ({@link VolumeSpec#source()}): an ext4
 * image {@code NAME.img}, so that its size is a hard limit, or, for the volumes the backend keeps as trees, a
 * directory {@code tree/}. Kept states are in {@code revisions/}, named by the time in milliseconds they were taken
 * ({@code .img} added for an image). Every change to one storage directory runs under that directory's lock; a
 * change that fails leaves the current content as it was.
 * <p>
 * Where the backend's domain has the image open (a loop mount, a QEMU disk) is the backend's to tell: the operations
 * that must not run then take a check that throws.
 */
public final class KeptVolumes {
    public static final String TREE = "tree";
    public static final String REVISIONS = "revisions";
    private static final Pattern REVISION = Pattern.compile("[0-9]{1,19}(\\.img)?");

    private final VolumeCommands commands;
    private final Clock clock;
    private final Predicate<VolumeSpec> isTree;
    private final ConcurrentMap<Path, Object> storageLocks = new ConcurrentHashMap<>();

    /**
     * @param isTree which volumes the backend keeps as directory trees rather than images
     */
    public KeptVolumes(VolumeCommands commands, Clock clock, Predicate<VolumeSpec> isTree) {
        this.commands = commands;
        this.clock = clock;
        this.isTree = isTree;
    }

    public boolean isTree(VolumeSpec volume) {
        return isTree.test(volume);
    }

    /** The volume's current content: the tree directory or the image file. */
    public Path current(VolumeSpec volume) {
        return isTree(volume) ? volume.source().resolve(TREE) : volume.source().resolve(volume.name() + ".img");
    }

    /** Whether the volume has its current content yet. */
    public boolean exists(VolumeSpec volume) {
        Path current = current(volume);
        return isTree(volume) ? Files.isDirectory(current, LinkOption.NOFOLLOW_LINKS)
                : Files.isRegularFile(current, LinkOption.NOFOLLOW_LINKS);
    }

    /** Makes {@code to}, which has no content yet, a copy of {@code from}'s current content (no revisions). */
    public void copy(VolumeSpec from, VolumeSpec to) {
        requireKept(to);
        synchronized (lockOf(to.source())) {
            if (!exists(from)) {
                throw new InvalidStateException("cannot copy volume " + from.name() + ": it has no storage at " + from.source());
            }
            if (exists(to)) {
                throw new InvalidStateException("cannot copy volume " + from.name() + " to " + to.source() + ": there is one already");
            }
            VolumeFiles.createDirectories(to.source());
            Path temp = to.source().resolve(".copy-" + UUID.randomUUID());
            try {
                commands.copyContent(current(from), temp);
                VolumeFiles.move(temp, current(to));
            } catch (AdminException e) {
                FileTrees.deleteQuietly(temp);
                throw e;
            }
        }
    }

    /**
     * Takes {@code content} over (moved where it can be, copied and removed otherwise) as the volume's current
     * content, keeping the revisions; the content it replaces is dropped. What the content must be is the caller's to check.
     */
    public void replaceWith(VolumeSpec volume, Path content) {
        requireKept(volume);
        synchronized (lockOf(volume.source())) {
            VolumeFiles.createDirectories(volume.source());
            Path incoming = volume.source().resolve(".import-" + UUID.randomUUID());
            try {
                Files.move(content, incoming, StandardCopyOption.ATOMIC_MOVE);
            } catch (AtomicMoveNotSupportedException e) {
                commands.copyContent(content, incoming);
                VolumeFiles.deleteTree(content);
            } catch (IOException e) {
                throw new AdminException("cannot take over " + content + " as volume " + volume.name() + ": " + e.getMessage(), e);
            }
            replaceCurrent(volume, incoming);
        }
    }

    /**
     * Grows a kept volume's image and its file system to {@code sizeBytes}. {@code requireIdle} is given the image
     * under the storage's lock and throws when a domain has it open: the image is grown while nothing uses it.
     */
    public void growImage(VolumeSpec volume, long sizeBytes, Consumer<Path> requireIdle) {
        if (sizeBytes < VolumeCommands.MIN_IMAGE_BYTES) {
            throw new InvalidValueException("size of volume " + volume.name(), Long.toString(sizeBytes),
                    "at least " + VolumeCommands.MIN_IMAGE_BYTES + " bytes");
        }
        synchronized (lockOf(volume.source())) {
            Path image = current(volume);
            long now = VolumeFiles.size(image);
            if (sizeBytes < now) {
                throw new InvalidValueException("size of volume " + volume.name(), Long.toString(sizeBytes),
                        "at least its present size " + now + ": volumes only grow");
            }
            requireIdle.accept(image);
            // resize2fs insists on a checked file system; e2fsck's exit 1 means it fixed something
            HostCommandResult fsck = commands.attempt("e2fsck", "-f", "-p", image.toString());
            if (fsck.timedOut() || fsck.exitStatus() > 1) {
                throw commands.command("e2fsck", "-f", "-p", image.toString()).failure(fsck);
            }
            VolumeCommands.setLength(image, sizeBytes);
            commands.run("resize2fs", image.toString());
        }
    }

    /** Bytes the volume and its revisions take on the host; 0 for a volume made anew at each start. */
    public long usage(VolumeSpec volume) {
        if (!Files.isDirectory(volume.source()) || volume.snapshot() || volume.isVolatile()) {
            return 0;
        }
        // The tree changes while du walks it: a revision is taken or dropped, a running guest writes its root.
        // (in the C locale, whose messages onlyVanished knows)
        HostCommandResult du = commands.attempt(commands.command("du", "-s", "-B1", volume.source().toString())
                .withEnvironment(Map.of("LC_ALL", "C")));
        if (du.exitStatus() != 0 && !(du.exitStatus() == 1 && onlyVanished(du.stderrText()))) {
            throw new AdminException("cannot measure volume " + volume.name() + " in " + volume.source() + ": 'du' exited with "
                    + du.exitStatus() + ": " + du.stderrText().strip());
        }
        if (du.stdoutText().isBlank() && du.exitStatus() == 1) {
            return 0; // the whole tree went meanwhile: its qube was removed
        }
        String first = du.stdoutText().strip().split("\\s+")[0];
        try {
            return Long.parseLong(first);
        } catch (NumberFormatException e) {
            throw new AdminException("'du' printed '" + du.stdoutText().strip() + "' for " + volume.source() + ", not a size");
        }
    }

    /**
     * Whether du's complaints are all about entries gone between listing a directory and measuring
     * them: its total then counts the tree as it was a moment later, which is what a size of a changing
     * tree can be.
     */
    public static boolean onlyVanished(String stderr) {
        List<String> lines = stderr.lines().filter(l -> !l.isBlank()).toList();
        return !lines.isEmpty() && lines.stream().allMatch(l -> l.startsWith("du: ") && l.endsWith(": No such file or directory"));
    }

    /** The kept revisions, newest first. */
    public List<VolumeRevision> revisions(VolumeSpec volume) {
        Path dir = volume.source().resolve(REVISIONS);
        try (Stream<Path> entries = Files.list(dir)) {
            return entries.map(p -> p.getFileName().toString()).filter(n -> REVISION.matcher(n).matches())
                    .map(n -> n.replace(".img", "")).map(n -> new VolumeRevision(n, Instant.ofEpochMilli(Long.parseLong(n))))
                    .sorted(Comparator.comparing(VolumeRevision::time).reversed()).toList();
        } catch (java.nio.file.NoSuchFileException | java.nio.file.NotDirectoryException e) {
            // none kept yet, or the volume went meanwhile (its qube removed while its volumes were read)
            return List.of();
        } catch (IOException e) {
            throw new AdminException("cannot list the revisions in " + dir + ": " + e.getMessage(), e);
        }
    }

    /** Makes a revision ({@code null}: the newest) the current content again; the revision is used up. */
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

    /** Makes a missing image of a kept volume (its first start), empty and of its size. */
    public void ensureImage(VolumeSpec volume) {
        synchronized (lockOf(volume.source())) {
            Path image = current(volume);
            if (Files.isRegularFile(image, LinkOption.NOFOLLOW_LINKS)) {
                return;
            }
            VolumeFiles.createDirectories(volume.source());
            Path temp = volume.source().resolve(".new-" + UUID.randomUUID());
            try {
                commands.makeImage(temp, volume.sizeBytes());
                VolumeFiles.move(temp, image);
            } catch (AdminException e) {
                FileTrees.deleteQuietly(temp);
                throw e;
            }
        }
    }

    /** Keeps the volume's present content as a revision when it keeps any, and drops the oldest beyond the count. */
    public void keepRevision(VolumeSpec volume) {
        synchronized (lockOf(volume.source())) {
            Path dir = volume.source().resolve(REVISIONS);
            if (volume.revisionsToKeep() > 0) {
                VolumeFiles.createDirectories(dir);
                long now = clock.millis();
                for (VolumeRevision r : revisions(volume)) {
                    now = Math.max(now, r.time().toEpochMilli() + 1);
                }
                Path temp = dir.resolve(".new-" + UUID.randomUUID());
                try {
                    commands.copyContent(current(volume), temp);
                    VolumeFiles.move(temp, revisionFile(volume, Long.toString(now)));
                } catch (AdminException e) {
                    FileTrees.deleteQuietly(temp);
                    throw e;
                }
            }
            List<VolumeRevision> kept = revisions(volume);
            for (VolumeRevision old : kept.subList(Math.min(volume.revisionsToKeep(), kept.size()), kept.size())) {
                VolumeFiles.deleteTree(revisionFile(volume, old.name()));
            }
        }
    }

    /** Refuses a volume that is made anew at each start: only a kept one has storage to change. */
    public static void requireKept(VolumeSpec volume) {
        if (!volume.saveOnStop()) {
            throw new InvalidValueException("volume", volume.name(), "a volume that is kept across starts");
        }
    }

    /** A revision's tree or image: named by the milliseconds it was taken at. */
    private Path revisionFile(VolumeSpec volume, String revision) {
        return volume.source().resolve(REVISIONS).resolve(revision + (isTree(volume) ? "" : ".img"));
    }

    /** Puts {@code replacement} (a revision or an imported content) in place of the current content, which is dropped. */
    private void replaceCurrent(VolumeSpec volume, Path replacement) {
        Path current = current(volume);
        Path old = volume.source().resolve(".old-" + UUID.randomUUID());
        boolean hadCurrent = Files.exists(current, LinkOption.NOFOLLOW_LINKS);
        if (hadCurrent) {
            VolumeFiles.move(current, old);
        }
        try {
            VolumeFiles.move(replacement, current);
        } catch (AdminException e) {
            if (hadCurrent) {
                VolumeFiles.move(old, current);
            }
            throw e;
        }
        VolumeFiles.deleteTree(old);
    }

    private Object lockOf(Path storage) {
        return storageLocks.computeIfAbsent(storage.toAbsolutePath().normalize(), p -> new Object());
    }
}
