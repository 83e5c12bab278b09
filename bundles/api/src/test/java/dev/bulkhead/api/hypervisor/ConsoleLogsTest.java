package dev.bulkhead.api.hypervisor;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import dev.bulkhead.api.AdminException;

/** The end of a domain's console log, as the backends read it. */
class ConsoleLogsTest {
    @TempDir
    Path directory;

    @Test
    void aDomainThatNeverWroteToItsConsoleHasAnEmptyLog() {
        assertEquals("", ConsoleLogs.tail("work", directory.resolve("console.log")));
    }

    @Test
    void aLogWithinTheLimitIsReadWhole() throws IOException {
        Path log = Files.writeString(directory.resolve("console.log"), "booted\nlogin: ");
        assertEquals("booted\nlogin: ", ConsoleLogs.tail("work", log));
    }

    @Test
    void ofALongerLogOnlyItsLastLimitBytesAreRead() throws IOException {
        String end = "e".repeat(ConsoleLogs.LIMIT - 4) + "last";
        Path log = Files.writeString(directory.resolve("console.log"), "x".repeat(3 * ConsoleLogs.LIMIT + 7) + end);
        String read = ConsoleLogs.tail("work", log);
        assertEquals(ConsoleLogs.LIMIT, read.length());
        assertEquals(end, read);
    }

    @Test
    void aLogThatCannotBeReadIsAnErrorNamingTheDomain() throws IOException {
        Path notAFile = Files.createDirectory(directory.resolve("console.log"));
        AdminException e = assertThrows(AdminException.class, () -> ConsoleLogs.tail("work", notAFile));
        assertTrue(e.getMessage().startsWith("cannot read the console log of 'work': "), e.getMessage());
    }
}
