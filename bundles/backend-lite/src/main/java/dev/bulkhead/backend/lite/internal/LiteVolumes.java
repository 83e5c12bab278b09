package dev.bulkhead.backend.lite.internal;

import java.io.IOException;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.Comparator;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentMap;
import java.util.function.Supplier;
import java.util.regex.Pattern;
import java.util.stream.Stream;

import dev.bulkhead.api.AdminException;
import dev.bulkhead.api.InvalidStateException;
import dev.bulkhead.api.InvalidValueException;
import dev.bulkhead.api.VolumeRevision;
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
 * While a domain runs, {@link VolumeMounts} has its volumes mounted.
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

    /**
     * What a domain runs on: its root directory, whether that is read-only, where its private volume is
     * mounted ({@code null} for none), the host directory it sees as {@code /home}, and the one it sees as
     * {@code /usr/local} ({@code null}: its root's own).
     */
    record Prepared(Path root, boolean rootReadOnly, Path privateMount, Path home, Path usrLocal) {
    }

    private final VolumeCommands commands;
    private final VolumeMounts running;
    private final Clock clock;
    private final ConcurrentMap<Path, Object> storageLocks = new ConcurrentHashMap<>();

    /**
     * @param sysBlock the host's {@code /sys/block}, where a loop device shows its backing file while it is attached
     */
    LiteVolumes(HostCommands executor, MountTable mounts, Path sysBlock, Duration timeout, Clock clock) {
        this.commands = new VolumeCommands(executor, timeout);
        this.running = new VolumeMounts(this, commands, mounts, sysBlock, timeout);
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
            long now = VolumeFiles.size(image);
            if (sizeBytes < now) {
                throw new InvalidValueException("size of volume " + volume.name(), Long.toString(sizeBytes),
                        "at least its present size " + now + ": volumes only grow");
            }
            List<String> devices = commands.loopDevicesOf(image);
            if (!devices.isEmpty()) {
                // growing a mounted ext4 needs CAP_SYS_RESOURCE, which hosts and CI runners often withhold
                throw new InvalidStateException("volume " + volume.name() + " of '" + domain + "' is in use (" + String.join(", ", devices)
                        + "); the lite backend grows it while its qube is halted");
            }
            // resize2fs insists on a checked file system; e2fsck's exit 1 means it fixed something
            HostCommandResult fsck = commands.attempt("e2fsck", "-f", "-p", image.toString());
            if (fsck.timedOut() || fsck.exitStatus() > 1) {
                throw commands.command("e2fsck", "-f", "-p", image.toString()).failure(fsck);
            }
            VolumeCommands.setLength(image, sizeBytes);
            commands.run("resize2fs", image.toString());
        }
    }

    @Override
    public long usage(VolumeSpec volume) {
        if (!Files.isDirectory(volume.source()) || volume.snapshot() || volume.isVolatile()) {
            return 0;
        }
        // The tree changes while du walks it: a revision is taken or dropped, a running guest writes its root.
        // (in the C locale, whose messages onlyVanished knows)
        HostCommandResult du = commands.attempt(commands.command("du", "-s", "-B1", volume.source().toString())
                .withEnvironment(java.util.Map.of("LC_ALL", "C")));
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
    static boolean onlyVanished(String stderr) {
        List<String> lines = stderr.lines().filter(l -> !l.isBlank()).toList();
        return !lines.isEmpty() && lines.stream().allMatch(l -> l.startsWith("du: ") && l.endsWith(": No such file or directory"));
    }

    @Override
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
     * volumes. A spec without a root volume runs on {@code builtinRoot}. On failure, whatever was
     * mounted is released again.
     */
    Prepared prepare(DomainSpec spec, Path runtime, Supplier<Path> builtinRoot) {
        return running.prepare(spec, runtime, builtinRoot);
    }

    /** Unmounts everything under the domain's runtime directory and removes the directory. */
    void release(Path runtime) {
        running.release(runtime);
    }

    // ---- helpers -------------------------------------------------------------------------------

    private static void requireKept(VolumeSpec volume) {
        if (!volume.saveOnStop()) {
            throw new InvalidValueException("volume", volume.name(), "a volume that is kept across starts");
        }
    }

    /** Makes a missing image of a kept volume (its first start), empty and of its size. */
    void ensureImage(VolumeSpec volume) {
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
    void keepRevision(VolumeSpec volume) {
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
