package dev.bulkhead.backend.qemu.internal;

import java.nio.file.Path;
import java.util.List;
import java.util.function.Predicate;

import dev.bulkhead.api.InvalidStateException;
import dev.bulkhead.api.InvalidValueException;
import dev.bulkhead.api.VolumeRevision;
import dev.bulkhead.api.hypervisor.VolumeSpec;
import dev.bulkhead.api.hypervisor.VolumeStorage;
import dev.bulkhead.volume.store.KeptVolumes;

/**
 * The qemu backend's kept volumes, in lite's layout and through the same {@link KeptVolumes}: a private volume is the
 * ext4 image {@code private.img} in its storage directory, its revisions {@code revisions/MILLIS.img}, taken before
 * each start. So a qube's private volume, revisions included, is the same on either backend. An image a QEMU has open
 * ({@link DiskLocks}) is neither grown nor copied: a copy of a disk a running guest writes would be a torn file
 * system, and the guest image has no {@code resize2fs} to grow its own while it runs. A grown volume is seen at its
 * qube's next start. A root volume (a template's image, or a StandaloneVM's) is {@link QemuRootDisks}': it exists,
 * is imported from a template's VM payload, copied for {@code qvm:clone} and counted there; it keeps no revisions and
 * is neither grown nor reverted on this backend.
 */
final class QemuVolumes implements VolumeStorage {
    private final KeptVolumes kept;
    private final Predicate<Path> inUse;
    private final QemuRootDisks roots;

    /**
     * @param inUse whether a QEMU has the image open
     * @param roots the root disks, for root volumes
     */
    QemuVolumes(KeptVolumes kept, Predicate<Path> inUse, QemuRootDisks roots) {
        this.kept = kept;
        this.inUse = inUse;
        this.roots = roots;
    }

    @Override
    public boolean exists(VolumeSpec volume) {
        return isRoot(volume) ? roots.exists(volume) : kept.exists(volume);
    }

    @Override
    public void copy(VolumeSpec from, VolumeSpec to) {
        if (isRoot(from) && isRoot(to)) {
            roots.copy(from, to);
            return;
        }
        requireImage(from, "copy");
        requireImage(to, "copy");
        if (kept.exists(from)) {
            requireIdle(kept.current(from), from, "copied");
        }
        kept.copy(from, to);
    }

    @Override
    public void importContent(VolumeSpec volume, Path content) {
        if (isRoot(volume)) {
            roots.importContent(volume, content);
            return;
        }
        throw new InvalidValueException("volume", volume.name(),
                "the qemu backend makes the ext4 image of '" + volume.name() + "' itself and imports none");
    }

    @Override
    public void resize(String domain, VolumeSpec volume, long sizeBytes) {
        requireImage(volume, "resize");
        if (volume.isVolatile() || volume.snapshot()) {
            return; // made anew at each start, at the size given then
        }
        kept.growImage(volume, sizeBytes, image -> requireIdle(image, volume, "grown"));
    }

    @Override
    public long usage(VolumeSpec volume) {
        return isRoot(volume) ? roots.usage(volume) : kept.usage(volume);
    }

    @Override
    public List<VolumeRevision> revisions(VolumeSpec volume) {
        return isRoot(volume) ? List.of() : kept.revisions(volume);
    }

    /** A guest that runs on an image reverted meanwhile keeps the file it opened; the revert is seen at its next start. */
    @Override
    public void revert(VolumeSpec volume, String revision) {
        requireImage(volume, "revert");
        kept.revert(volume, revision);
    }

    /**
     * The kept volume's image for a start: made at the first, and kept as a revision before each when the volume keeps
     * any. Refused while a QEMU has it open (a qube of another platform instance on the same data).
     */
    Path prepareKept(VolumeSpec volume) {
        kept.ensureImage(volume);
        Path image = kept.current(volume);
        if (inUse.test(image)) {
            throw new InvalidStateException("volume image " + image + " is in use by another QEMU: a disposable started from this"
                    + " qube, or the qube running in another platform instance");
        }
        kept.keepRevision(volume);
        return image;
    }

    /** The image of a volume with storage of its own. */
    Path image(VolumeSpec volume) {
        return kept.current(volume);
    }

    private void requireIdle(Path image, VolumeSpec volume, String what) {
        if (inUse.test(image)) {
            throw new InvalidStateException("volume " + volume.name() + " at " + volume.source() + " is in use by a running QEMU"
                    + " (its qube, or a disposable started from it): the qemu backend has it " + what + " while no guest has it open");
        }
    }

    private static boolean isRoot(VolumeSpec volume) {
        return volume.name().equals(VolumeSpec.ROOT);
    }

    private static void requireImage(VolumeSpec volume, String operation) {
        if (isRoot(volume)) {
            throw new InvalidValueException("volume", volume.name(), "cannot " + operation + " it: the qemu backend keeps no"
                    + " revisions of a root image, neither grows nor reverts one, and copies one only to another root");
        }
    }
}
