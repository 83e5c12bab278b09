package dev.bulkhead.role.vpn.internal;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.Optional;

import org.osgi.framework.BundleContext;
import org.osgi.service.component.annotations.Activate;
import org.osgi.service.component.annotations.Component;

import dev.bulkhead.api.AdminException;
import dev.bulkhead.api.InvalidValueException;
import dev.bulkhead.api.QubeNames;

/**
 * The imported WireGuard configurations, one file per VPN-VM under {@code <data>/vpn}, readable by
 * the platform's user only (directory 0700, files 0600): they hold private keys. A file is written
 * whole or not at all: temp file, fsync, rename, fsync of the directory.
 */
@Component(service = VpnStore.class)
public final class VpnStore {
    /** Framework property naming the platform's data directory. */
    static final String DATA_PROPERTY = "bulkhead.data";
    private final Path directory;

    @Activate
    public VpnStore(BundleContext context) {
        this(directory(context.getProperty(DATA_PROPERTY)));
    }

    VpnStore(Path directory) {
        this.directory = directory;
    }

    private static Path directory(String data) {
        if (data == null || data.isBlank() || !Path.of(data).isAbsolute()) {
            throw new IllegalStateException("framework property " + DATA_PROPERTY + " must name the platform's data directory"
                    + " as an absolute path, found: " + data);
        }
        return Path.of(data).resolve("vpn");
    }

    Path file(String qube) {
        return directory.resolve(QubeNames.validate(qube) + ".conf");
    }

    /**
     * The configuration imported for the qube, if any.
     *
     * @throws AdminException naming the file, when it cannot be read or is not a configuration any more
     */
    Optional<WgQuickConfig> read(String qube) {
        Path file = file(qube);
        String text;
        try {
            text = Files.readString(file, StandardCharsets.UTF_8);
        } catch (NoSuchFileException e) {
            return Optional.empty();
        } catch (IOException e) {
            throw new AdminException("cannot read the WireGuard configuration of '" + qube + "' in " + file + ": " + e.getMessage(), e);
        }
        try {
            return Optional.of(WgQuickConfig.parse(text));
        } catch (InvalidValueException e) {
            throw new AdminException("the stored WireGuard configuration of '" + qube + "' in " + file
                    + " is not valid any more; import it again: " + e.getMessage(), e);
        }
    }

    void write(String qube, WgQuickConfig config) {
        Path file = file(qube);
        Path temp = null;
        try {
            Files.createDirectories(directory, PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rwx------")));
            temp = Files.createTempFile(directory, qube + ".", ".tmp",
                    PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rw-------")));
            try (FileChannel ch = FileChannel.open(temp, StandardOpenOption.WRITE)) {
                ByteBuffer bytes = ByteBuffer.wrap(config.toWgQuick().getBytes(StandardCharsets.UTF_8));
                while (bytes.hasRemaining()) {
                    ch.write(bytes);
                }
                ch.force(true);
            }
            Files.move(temp, file, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
            temp = null;
            syncDirectory();
        } catch (IOException e) {
            throw new AdminException("cannot store the WireGuard configuration of '" + qube + "' in " + file + ": " + e.getMessage(), e);
        } finally {
            if (temp != null) {
                try {
                    Files.deleteIfExists(temp);
                } catch (IOException e) {
                    // the failure above is what the caller hears of
                }
            }
        }
    }

    void delete(String qube) {
        Path file = file(qube);
        try {
            if (Files.deleteIfExists(file)) {
                syncDirectory();
            }
        } catch (IOException e) {
            throw new AdminException("cannot remove the WireGuard configuration of '" + qube + "' in " + file + ": " + e.getMessage(), e);
        }
    }

    private void syncDirectory() throws IOException {
        try (FileChannel d = FileChannel.open(directory, StandardOpenOption.READ)) {
            d.force(true);
        }
    }
}
