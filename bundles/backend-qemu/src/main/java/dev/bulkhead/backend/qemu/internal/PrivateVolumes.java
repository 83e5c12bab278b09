package dev.bulkhead.backend.qemu.internal;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.Optional;

import dev.bulkhead.api.host.HostCommands;
import dev.bulkhead.api.hypervisor.DomainSpec;
import dev.bulkhead.api.hypervisor.VolumeSpec;
import dev.bulkhead.api.hypervisor.VolumeStorage;
import dev.bulkhead.volume.store.KeptVolumes;
import dev.bulkhead.volume.store.VolumeCommands;

/**
 * The private volume as the guest's first virtio disk, mounted at {@code /rw} by its init. The storage has the
 * lite backend's layout ({@link QemuVolumes}), an ext4 image {@code private.img} in the volume's directory, made
 * sparse at the first start, with the revisions the volume keeps taken before each start; a snapshot (a disposable's
 * copy of its template's) runs on QEMU's own snapshot mode, whose writes are discarded when QEMU ends.
 */
final class PrivateVolumes {
    private final QemuVolumes storage;

    PrivateVolumes(HostCommands commands, Duration commandTimeout, QemuRootDisks roots) {
        this(new QemuVolumes(new KeptVolumes(new VolumeCommands(commands, commandTimeout), Clock.systemUTC(), v -> false),
                DiskLocks::inUse, roots));
    }

    PrivateVolumes(QemuVolumes storage) {
        this.storage = storage;
    }

    /** The volumes' storage, for {@code qvm-volume} and {@code qvm-clone}: roots' too. */
    VolumeStorage storage() {
        return storage;
    }

    /** The disk to give the domain, made if needed: empty when the spec has no private volume. */
    Optional<Disk> prepare(DomainSpec spec) {
        Optional<VolumeSpec> volume = spec.volume(VolumeSpec.PRIVATE);
        if (volume.isEmpty() || volume.get().isVolatile()) {
            return Optional.empty();
        }
        VolumeSpec v = volume.get();
        if (v.snapshot()) {
            Path image = storage.image(v);
            return Files.isRegularFile(image) ? Optional.of(new Disk(image, true)) : Optional.empty();
        }
        return Optional.of(new Disk(storage.prepareKept(v), v.readOnly()));
    }

    /** An image file and whether the guest's writes to it are discarded. */
    record Disk(Path image, boolean snapshot) {
    }
}
