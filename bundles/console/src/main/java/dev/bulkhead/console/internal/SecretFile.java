package dev.bulkhead.console.internal;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.PosixFilePermission;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.SecureRandom;
import java.util.Base64;
import java.util.EnumSet;
import java.util.Set;

/**
 * The console's one secret, {@code console.secret} in the platform's etc directory: made at first
 * start from 32 random bytes, readable and writable by its owner only. There is no default password;
 * whoever can read this file (root) can log in.
 */
final class SecretFile {
    static final String FILE_NAME = "console.secret";
    /** Shortest secret accepted from a file a person wrote. */
    static final int MIN_LENGTH = 32;
    private static final Set<PosixFilePermission> OWNER_ONLY = EnumSet.of(PosixFilePermission.OWNER_READ,
            PosixFilePermission.OWNER_WRITE);

    private final Path file;
    private final SecureRandom random;

    SecretFile(Path etcDirectory, SecureRandom random) {
        this.file = etcDirectory.resolve(FILE_NAME);
        this.random = random;
    }

    Path path() {
        return file;
    }

    /**
     * The secret, made first if there is none yet.
     *
     * @throws IllegalStateException with a one-line reason when the file is unusable: readable by
     *         others, or holding too short or unprintable a secret
     */
    String loadOrCreate() throws IOException {
        if (!Files.exists(file)) {
            try {
                create();
            } catch (FileAlreadyExistsException e) {
                // made at the same moment by another start: read that one
            }
        }
        Set<PosixFilePermission> mode = Files.getPosixFilePermissions(file);
        if (!OWNER_ONLY.containsAll(mode)) {
            throw new IllegalStateException(file + " is open to others (" + PosixFilePermissions.toString(mode)
                    + "); it must be rw------- (chmod 600), or delete it to have a new secret made at the next start");
        }
        String secret = Files.readString(file, StandardCharsets.US_ASCII).strip();
        if (secret.length() < MIN_LENGTH || !secret.chars().allMatch(c -> c > 0x20 && c < 0x7f)) {
            throw new IllegalStateException(file + " holds no usable secret: it needs at least " + MIN_LENGTH
                    + " printable ASCII characters without spaces, found " + secret.length() + " characters");
        }
        return secret;
    }

    /** Written whole or not at all: a temporary file with owner-only mode, synced, then renamed into place. */
    private void create() throws IOException {
        byte[] bytes = new byte[32];
        random.nextBytes(bytes);
        String secret = Base64.getUrlEncoder().withoutPadding().encodeToString(bytes) + "\n";
        Path dir = file.getParent();
        Files.createDirectories(dir);
        Path temp = Files.createTempFile(dir, "." + FILE_NAME + ".tmp-", "", PosixFilePermissions.asFileAttribute(OWNER_ONLY));
        try {
            try (FileChannel ch = FileChannel.open(temp, StandardOpenOption.WRITE)) {
                ByteBuffer buf = ByteBuffer.wrap(secret.getBytes(StandardCharsets.US_ASCII));
                while (buf.hasRemaining()) {
                    ch.write(buf);
                }
                ch.force(true);
            }
            // A link, not a rename: it fails instead of replacing a secret another start made meanwhile.
            Files.createLink(file, temp);
            try (FileChannel d = FileChannel.open(dir, StandardOpenOption.READ)) {
                d.force(true);
            }
        } finally {
            Files.deleteIfExists(temp);
        }
    }
}
