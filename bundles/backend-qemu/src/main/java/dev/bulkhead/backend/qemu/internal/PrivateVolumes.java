package dev.bulkhead.backend.qemu.internal;

import java.io.IOException;
import java.io.RandomAccessFile;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Optional;

import dev.bulkhead.api.AdminException;
import dev.bulkhead.api.InvalidValueException;
import dev.bulkhead.api.host.HostCommand;
import dev.bulkhead.api.host.HostCommands;
import dev.bulkhead.api.hypervisor.DomainSpec;
import dev.bulkhead.api.hypervisor.VolumeSpec;

/**
 * The private volume as the guest's first virtio disk, mounted at {@code /rw} by its init. The storage has the
 * lite backend's layout, an ext4 image {@code private.img} in the volume's directory, made sparse at the first
 * start; a snapshot (a disposable's copy of its template's) runs on QEMU's own snapshot mode, whose writes are
 * discarded when QEMU ends. Revisions are not kept by this backend.
 */
final class PrivateVolumes {
    static final long MIN_IMAGE_BYTES = 16L << 20;

    private final HostCommands commands;
    private final Duration commandTimeout;

    PrivateVolumes(HostCommands commands, Duration commandTimeout) {
        this.commands = commands;
        this.commandTimeout = commandTimeout;
    }

    /** The disk to give the domain, made if needed: empty when the spec has no private volume. */
    Optional<Disk> prepare(DomainSpec spec) {
        Optional<VolumeSpec> volume = spec.volume(VolumeSpec.PRIVATE);
        if (volume.isEmpty() || volume.get().isVolatile()) {
            return Optional.empty();
        }
        VolumeSpec v = volume.get();
        Path image = v.source().resolve(VolumeSpec.PRIVATE + ".img");
        if (v.snapshot()) {
            return Files.isRegularFile(image) ? Optional.of(new Disk(image, true)) : Optional.empty();
        }
        if (!Files.isRegularFile(image)) {
            make(v, image);
        }
        return Optional.of(new Disk(image, v.readOnly()));
    }

    /** An image file and whether the guest's writes to it are discarded. */
    record Disk(Path image, boolean snapshot) {
    }

    private void make(VolumeSpec volume, Path image) {
        if (volume.sizeBytes() < MIN_IMAGE_BYTES) {
            throw new InvalidValueException("size of volume " + volume.name(), Long.toString(volume.sizeBytes()),
                    "at least " + MIN_IMAGE_BYTES + " bytes");
        }
        Path partial = image.resolveSibling(image.getFileName() + ".part");
        try {
            Files.createDirectories(image.getParent());
            try (RandomAccessFile f = new RandomAccessFile(partial.toFile(), "rw")) {
                f.setLength(volume.sizeBytes());
            }
            commands.runOrThrow(HostCommand.of(commandTimeout, "mkfs.ext4", "-q", "-F", "-m", "0", "-E",
                    "lazy_itable_init=1,lazy_journal_init=1", partial.toString()));
            Files.move(partial, image);
        } catch (IOException e) {
            throw new AdminException("cannot make the private volume " + image + ": " + e.getMessage(), e);
        } finally {
            try {
                Files.deleteIfExists(partial);
            } catch (IOException e) {
                // the failure above is the one worth reporting
            }
        }
    }
}
