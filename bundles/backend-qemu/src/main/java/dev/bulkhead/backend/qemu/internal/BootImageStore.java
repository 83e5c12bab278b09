package dev.bulkhead.backend.qemu.internal;

import java.io.IOException;
import java.io.RandomAccessFile;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.List;
import java.util.Optional;

import dev.bulkhead.api.AdminException;
import dev.bulkhead.api.InvalidValueException;
import dev.bulkhead.api.host.HostCommand;
import dev.bulkhead.api.host.HostCommands;
import dev.bulkhead.api.hypervisor.VolumeSpec;

/**
 * The boot images of qubes with {@code virt_mode=hvm}, kept in the storage directory of their root volume: a disk
 * image ({@value #DISK}, raw or qcow2) that the firmware boots, and, for an installer ISO, the ISO ({@value #ISO}) next
 * to an empty raw disk of the root's size to install onto. What the user hands in is hostile: a regular file of at most
 * {@link #MAX_BYTES}, whose format is told by its content alone, checked on the copy that boots. A qcow2 image that
 * names a backing file or an external data file is refused: QEMU would open that host file for the guest.
 */
final class BootImageStore {
    static final String DISK = "disk.img";
    static final String ISO = "boot.iso";
    static final long MAX_BYTES = 64L << 30;
    private static final Duration COPY_TIMEOUT = Duration.ofMinutes(30);
    private static final byte[] QCOW2_MAGIC = { 'Q', 'F', 'I', (byte) 0xfb };
    private static final long ISO_MAGIC_OFFSET = 0x8001;
    private static final byte[] ISO_MAGIC = "CD001".getBytes(StandardCharsets.US_ASCII);

    /** A format the firmware boots, told by content: QEMU is always given it, never left to guess. */
    enum Format {
        ISO("ISO 9660 image", "raw"), QCOW2("qcow2 disk image", "qcow2"), RAW("raw disk image", "raw");

        final String description;
        final String qemuFormat;

        Format(String description, String qemuFormat) {
            this.description = description;
            this.qemuFormat = qemuFormat;
        }
    }

    /** What a domain boots: its disk and its format, and the installer ISO if it has one. */
    record Boot(Path disk, Format diskFormat, Optional<Path> iso) {
    }

    private final HostCommands commands;

    BootImageStore(HostCommands commands) {
        this.commands = commands;
    }

    /** Copies the image into the root's storage, replacing the boot image there; returns the format found. */
    String install(VolumeSpec root, Path image) {
        Path source = requireImageFile(image);
        Format format = detect(source);
        Path storage = root.source();
        try {
            Files.createDirectories(storage);
            Files.setPosixFilePermissions(storage, PosixFilePermissions.fromString("rwx------"));
            Path copy = Files.createTempFile(storage, ".install-", ".tmp");
            try {
                commands.runOrThrow(HostCommand.of(COPY_TIMEOUT, List.of("cp", "--sparse=always", "--", source.toString(),
                        copy.toString())));
                // what boots is the copy: the file given may have changed since it was read above
                Format copied = detect(copy);
                if (copied != format) {
                    throw new InvalidValueException("boot image", image.toString(), "a file that does not change while it is copied");
                }
                if (format == Format.ISO) {
                    Files.move(copy, storage.resolve(ISO), StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
                    emptyDisk(storage.resolve(DISK), root.sizeBytes());
                } else {
                    Files.move(copy, storage.resolve(DISK), StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
                    Files.deleteIfExists(storage.resolve(ISO));
                }
            } finally {
                Files.deleteIfExists(copy);
            }
        } catch (IOException e) {
            throw new AdminException("cannot install the boot image " + image + " in " + storage + ": " + e.getMessage(), e);
        }
        return format.description;
    }

    boolean installed(VolumeSpec root) {
        return Files.isRegularFile(root.source().resolve(DISK));
    }

    /**
     * The domain's boot disk and ISO, their formats checked again. The disk may hold anything the guest wrote (an
     * installer's target starts empty): only whether it is qcow2, and a safe one, matters.
     */
    Boot boot(String domain, VolumeSpec root) {
        Path disk = root.source().resolve(DISK);
        if (!Files.isRegularFile(disk)) {
            throw new InvalidValueException("root volume of '" + domain + "'", root.source().toString(), "a boot image: install one"
                    + " with qvm:volume import " + domain + ":root FILE (a bootable disk image or ISO)");
        }
        Format format = diskFormat(disk);
        Path iso = root.source().resolve(ISO);
        if (Files.isRegularFile(iso) && detect(iso) == Format.ISO) {
            return new Boot(disk, format, Optional.of(iso));
        }
        return new Boot(disk, format, Optional.empty());
    }

    /** An installer's target: a sparse raw disk of the root's size, unless one is there. */
    private static void emptyDisk(Path disk, long sizeBytes) throws IOException {
        if (Files.exists(disk)) {
            return;
        }
        try (RandomAccessFile file = new RandomAccessFile(disk.toFile(), "rw")) {
            file.setLength(sizeBytes);
        }
    }

    private static Path requireImageFile(Path image) {
        Path real;
        try {
            real = image.toRealPath();
        } catch (IOException e) {
            throw new InvalidValueException("boot image", image.toString(), "an existing file");
        }
        if (!Files.isRegularFile(real)) {
            throw new InvalidValueException("boot image", image.toString(), "a regular file (a bootable disk image or ISO)");
        }
        return real;
    }

    /**
     * The format of a bootable image, by its content: a qcow2 header (without backing or external data file), the ISO
     * 9660 volume descriptor at 0x8001, or else a raw disk with the boot signature at 510.
     */
    static Format detect(Path image) {
        try (FileChannel channel = FileChannel.open(image, StandardOpenOption.READ)) {
            long size = channel.size();
            if (size > MAX_BYTES) {
                throw new InvalidValueException("boot image", image.toString(), "at most " + (MAX_BYTES >> 30) + " GiB");
            }
            if (size < 512) {
                throw new InvalidValueException("boot image", image.toString(), "a bootable disk image or ISO: it has only "
                        + size + " bytes");
            }
            ByteBuffer head = read(channel, 0, 512);
            if (startsWith(head, 0, QCOW2_MAGIC)) {
                checkQcow2(image, head);
                return Format.QCOW2;
            }
            if (size >= ISO_MAGIC_OFFSET + ISO_MAGIC.length && startsWith(read(channel, ISO_MAGIC_OFFSET, ISO_MAGIC.length), 0, ISO_MAGIC)) {
                return Format.ISO;
            }
            if ((head.get(510) & 0xff) == 0x55 && (head.get(511) & 0xff) == 0xaa) {
                return Format.RAW;
            }
            throw new InvalidValueException("boot image", image.toString(), "a bootable disk image or ISO, by its content: an ISO 9660"
                    + " image (CD001 at 0x8001), a qcow2 image, or a raw disk with a boot signature (55 AA at 510)");
        } catch (IOException e) {
            throw new InvalidValueException("boot image", image.toString(), "a readable file (" + e.getMessage() + ")");
        }
    }

    /** A disk's format at boot: qcow2 by its magic (checked as at install), raw otherwise. */
    static Format diskFormat(Path disk) {
        try (FileChannel channel = FileChannel.open(disk, StandardOpenOption.READ)) {
            ByteBuffer head = read(channel, 0, 512);
            if (startsWith(head, 0, QCOW2_MAGIC)) {
                checkQcow2(disk, head);
                return Format.QCOW2;
            }
            return Format.RAW;
        } catch (IOException e) {
            throw new InvalidValueException("boot disk", disk.toString(), "a readable file (" + e.getMessage() + ")");
        }
    }

    /** Version 2 or 3, no backing file, and none of the incompatible features but those QEMU reads inside the image. */
    private static void checkQcow2(Path image, ByteBuffer head) {
        if (head.limit() < 104) {
            throw new InvalidValueException("boot image", image.toString(), "a whole qcow2 header (104 bytes)");
        }
        int version = head.getInt(4);
        if (version != 2 && version != 3) {
            throw new InvalidValueException("boot image", image.toString(), "a qcow2 image of version 2 or 3, not " + version);
        }
        if (head.getLong(8) != 0) {
            throw new InvalidValueException("boot image", image.toString(), "a qcow2 image without a backing file (QEMU would"
                    + " open that file of the host's for the guest): flatten it first (qemu-img convert -O qcow2)");
        }
        // incompatible features: bit 0 dirty and bit 3 compression type are the image's own; bit 1 corrupt, bit 2 an
        // external data file (a file of the host's) and any unknown bit are refused
        if (version == 3 && (head.getLong(72) & ~0b1001L) != 0) {
            throw new InvalidValueException("boot image", image.toString(), "a qcow2 image that is not marked corrupt and keeps"
                    + " its data inside (incompatible features 0x" + Long.toHexString(head.getLong(72)) + ")");
        }
    }

    private static ByteBuffer read(FileChannel channel, long offset, int length) throws IOException {
        ByteBuffer buffer = ByteBuffer.allocate(length);
        while (buffer.hasRemaining()) {
            if (channel.read(buffer, offset + buffer.position()) < 0) {
                break;
            }
        }
        return buffer.flip();
    }

    private static boolean startsWith(ByteBuffer buffer, int at, byte[] prefix) {
        if (buffer.limit() < at + prefix.length) {
            return false;
        }
        for (int i = 0; i < prefix.length; i++) {
            if (buffer.get(at + i) != prefix[i]) {
                return false;
            }
        }
        return true;
    }
}
