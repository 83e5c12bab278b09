package dev.bulkhead.console.internal;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.SecureRandom;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The secret file against a real file system: mode, content, and what is refused. */
class SecretFileTest {
    @TempDir
    Path etc;

    @Test
    void theFirstStartMakesARandomOwnerOnlySecretAndLaterStartsReadIt() throws IOException {
        SecretFile file = new SecretFile(etc.resolve("etc"), new SecureRandom());
        String made = file.loadOrCreate();

        assertEquals("rw-------", PosixFilePermissions.toString(Files.getPosixFilePermissions(file.path())));
        assertTrue(made.length() >= SecretFile.MIN_LENGTH, made);
        assertEquals(made, new SecretFile(etc.resolve("etc"), new SecureRandom()).loadOrCreate());
        assertNotEquals(made, new SecretFile(etc.resolve("other"), new SecureRandom()).loadOrCreate(), "each platform its own");
        try (var left = Files.list(etc.resolve("etc"))) {
            assertEquals(1, left.count(), "no temporary file is left");
        }
    }

    @Test
    void aSecretOpenToOthersIsRefusedNamingItsMode() throws IOException {
        Path file = etc.resolve(SecretFile.FILE_NAME);
        Files.writeString(file, "s".repeat(40));
        Files.setPosixFilePermissions(file, PosixFilePermissions.fromString("rw-rw----"));

        IllegalStateException e = assertThrows(IllegalStateException.class, () -> new SecretFile(etc, new SecureRandom()).loadOrCreate());
        assertTrue(e.getMessage().contains("rw-rw----"), e.getMessage());
    }

    @Test
    void aShortSecretWrittenByHandIsRefused() throws IOException {
        Path file = etc.resolve(SecretFile.FILE_NAME);
        Files.writeString(file, "password\n");
        Files.setPosixFilePermissions(file, PosixFilePermissions.fromString("rw-------"));

        IllegalStateException e = assertThrows(IllegalStateException.class, () -> new SecretFile(etc, new SecureRandom()).loadOrCreate());
        assertTrue(e.getMessage().contains("at least " + SecretFile.MIN_LENGTH), e.getMessage());
    }
}
