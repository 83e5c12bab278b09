package dev.bulkhead.backend.lite.internal;

import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.List;
import java.util.function.Supplier;

import dev.bulkhead.api.InvalidStateException;
import dev.bulkhead.api.InvalidValueException;
import dev.bulkhead.api.VolumeRevision;
import dev.bulkhead.api.host.HostCommands;
import dev.bulkhead.api.hypervisor.DomainSpec;
import dev.bulkhead.api.hypervisor.VolumeSpec;
import dev.bulkhead.api.hypervisor.VolumeStorage;
import dev.bulkhead.volume.store.KeptVolumes;
import dev.bulkhead.volume.store.VolumeCommands;

/**
 * The lite backend's volumes. In a volume's storage directory ({@link VolumeSpec#source()}) a root
 * volume is a directory tree {@code tree/}; any other volume is an ext4 image {@code NAME.img}, so
 * that its size is a hard limit. Kept states are in {@code revisions/}, named by the time in
 * milliseconds they were taken ({@code .img} added for an image): {@link KeptVolumes}, which the qemu
 * backend keeps its images with too.
 * While a domain runs, {@link VolumeMounts} has its volumes mounted.
 */
final class LiteVolumes implements VolumeStorage {
    /** Size of the writable layer's tmpfs when a spec has snapshot volumes but no volatile volume. */
    static final long DEFAULT_SCRATCH_BYTES = 1L << 30;
    /** ext4 needs some room for its own structures. */
    static final long MIN_IMAGE_BYTES = VolumeCommands.MIN_IMAGE_BYTES;
    static final String TREE = KeptVolumes.TREE;
    static final String REVISIONS = KeptVolumes.REVISIONS;
    static final String VOLATILE_MOUNT = "volatile";

    /**
     * What a domain runs on: its root directory, whether that is read-only, where its private volume is
     * mounted ({@code null} for none), the host directory it sees as {@code /home}, and the one it sees as
     * {@code /usr/local} ({@code null}: its root's own).
     */
    record Prepared(Path root, boolean rootReadOnly, Path privateMount, Path home, Path usrLocal) {
    }

    private final VolumeCommands commands;
    private final KeptVolumes kept;
    private final VolumeMounts running;

    /**
     * @param sysBlock the host's {@code /sys/block}, where a loop device shows its backing file while it is attached
     */
    LiteVolumes(HostCommands executor, MountTable mounts, Path sysBlock, Duration timeout, Clock clock) {
        this.commands = new VolumeCommands(executor, timeout);
        this.kept = new KeptVolumes(commands, clock, LiteVolumes::isTree);
        this.running = new VolumeMounts(this, commands, mounts, sysBlock, timeout);
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
        return kept.exists(volume);
    }

    @Override
    public void copy(VolumeSpec from, VolumeSpec to) {
        kept.copy(from, to);
    }

    @Override
    public void importContent(VolumeSpec volume, Path content) {
        KeptVolumes.requireKept(volume);
        if (!isTree(volume)) {
            throw new InvalidValueException("volume", volume.name(),
                    "the lite backend imports only a root directory tree; it makes the ext4 image of '" + volume.name() + "' itself");
        }
        if (!Files.isDirectory(content, LinkOption.NOFOLLOW_LINKS)) {
            throw new InvalidValueException("content of volume " + volume.name(), content.toString(), "a directory tree");
        }
        kept.replaceWith(volume, content);
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
        kept.growImage(volume, sizeBytes, image -> {
            List<String> devices = loopDevicesOf(commands, image);
            if (!devices.isEmpty()) {
                // growing a mounted ext4 needs CAP_SYS_RESOURCE, which hosts and CI runners often withhold
                throw new InvalidStateException("volume " + volume.name() + " of '" + domain + "' is in use (" + String.join(", ", devices)
                        + "); the lite backend grows it while its qube is halted");
            }
        });
    }

    @Override
    public long usage(VolumeSpec volume) {
        return kept.usage(volume);
    }

    @Override
    public List<VolumeRevision> revisions(VolumeSpec volume) {
        return kept.revisions(volume);
    }

    @Override
    public void revert(VolumeSpec volume, String revision) {
        kept.revert(volume, revision);
    }

    /** The loop devices backed by the image. */
    static List<String> loopDevicesOf(VolumeCommands commands, Path image) {
        return commands.run("losetup", "--noheadings", "--output", "NAME", "--associated", image.toString()).stdoutText()
                .lines().map(String::strip).filter(l -> !l.isEmpty()).toList();
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

    /** Makes a missing image of a kept volume (its first start), empty and of its size. */
    void ensureImage(VolumeSpec volume) {
        kept.ensureImage(volume);
    }

    /** Keeps the volume's present content as a revision when it keeps any, and drops the oldest beyond the count. */
    void keepRevision(VolumeSpec volume) {
        kept.keepRevision(volume);
    }
}
