package dev.bulkhead.backend.qemu.internal;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

import dev.bulkhead.api.AdminException;
import dev.bulkhead.api.VolumeRevision;
import dev.bulkhead.api.hypervisor.VolumeSpec;
import dev.bulkhead.api.hypervisor.VolumeStorage;

/**
 * The volume operations of the qemu backend: a root volume's are {@link QemuRootDisks}' (import, copy, usage); a
 * private volume exists once its image was made, and its other operations (revisions, resize, copy, import) are
 * refused, naming the backend. Revisions are not kept on this backend.
 */
final class QemuVolumeStorage implements VolumeStorage {
    private final QemuRootDisks roots;

    QemuVolumeStorage(QemuRootDisks roots) {
        this.roots = roots;
    }

    private static boolean isRoot(VolumeSpec volume) {
        return volume.name().equals(VolumeSpec.ROOT);
    }

    private static AdminException notHere(String what, VolumeSpec volume) {
        return new AdminException("the qemu backend cannot " + what + " the " + volume.name() + " volume yet (" + volume.source()
                + "): only a root is imported and copied on qemu");
    }

    @Override
    public boolean exists(VolumeSpec volume) {
        return isRoot(volume) ? roots.exists(volume) : Files.isRegularFile(volume.source().resolve(volume.name() + ".img"));
    }

    @Override
    public void copy(VolumeSpec from, VolumeSpec to) {
        if (!isRoot(from) || !isRoot(to)) {
            throw notHere("copy", from);
        }
        roots.copy(from, to);
    }

    @Override
    public void importContent(VolumeSpec volume, Path content) {
        if (!isRoot(volume)) {
            throw notHere("import", volume);
        }
        roots.importContent(volume, content);
    }

    @Override
    public void resize(String domain, VolumeSpec volume, long sizeBytes) {
        throw notHere("resize", volume);
    }

    @Override
    public long usage(VolumeSpec volume) {
        if (isRoot(volume)) {
            return roots.usage(volume);
        }
        Path image = volume.source().resolve(volume.name() + ".img");
        try {
            return Files.isRegularFile(image) ? Files.size(image) : 0;
        } catch (IOException e) {
            throw new AdminException("cannot read the size of " + image + ": " + e.getMessage(), e);
        }
    }

    @Override
    public List<VolumeRevision> revisions(VolumeSpec volume) {
        return List.of();
    }

    @Override
    public void revert(VolumeSpec volume, String revision) {
        throw notHere("revert", volume);
    }
}
