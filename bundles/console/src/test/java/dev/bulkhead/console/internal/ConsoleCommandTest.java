package dev.bulkhead.console.internal;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import dev.bulkhead.api.InvalidValueException;

/** {@code qvm:console token ...} on a real token file. */
class ConsoleCommandTest {
    @TempDir
    Path data;
    TestClock clock = new TestClock(Instant.parse("2025-01-01T00:00:00.123456789Z"));
    ApiTokenStore store;
    ConsoleCommand command;

    @BeforeEach
    void setUp() {
        store = new ApiTokenStore(data.resolve("tokens.json"), new SecureRandom(), clock);
        command = new ConsoleCommand(store, clock);
    }

    private String run(String line) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        command.run(List.of(line.split(" ")), new PrintStream(out, true, StandardCharsets.UTF_8));
        return out.toString(StandardCharsets.UTF_8);
    }

    @Test
    void createPrintsTheTokenOnceAndListShowsEverythingButIt() {
        String created = run("token create --name deploy --expires 12h");
        Matcher m = Pattern.compile("bht_[A-Za-z0-9_-]{43}").matcher(created);
        assertTrue(m.find(), created);
        assertEquals(clock.instant().plus(Duration.ofHours(12)), store.list().get(0).expires());

        List<String> lines = run("token list").lines().toList();
        assertEquals(List.of("ID", "NAME", "CREATED", "EXPIRES", "LAST-USED"), List.of(lines.get(0).split("\\s+")));
        assertEquals(2, lines.size());
        assertFalse(lines.get(1).contains(m.group()));
        assertEquals(lines.get(0).indexOf("NAME"), lines.get(1).indexOf("deploy"), "aligned under its header");
        assertTrue(lines.get(1).endsWith("never"), lines.get(1));
        assertTrue(lines.get(1).contains(" 2025-01-01T00:00:00Z "), "times to the second: " + lines.get(1));
    }

    @Test
    void createTakesItsOptionsAsEveryShellCommandDoes() {
        run("token create --expires=90m --name=ci");
        assertEquals("ci", store.list().get(0).name());
        assertEquals(clock.instant().plus(Duration.ofMinutes(90)), store.list().get(0).expires());
        InvalidValueException e = assertThrows(InvalidValueException.class, () -> run("token create --name x extra"));
        assertTrue(e.getMessage().contains("extra") && e.getMessage().contains("usage"), e.getMessage());
        assertEquals(1, store.list().size(), "nothing was made by a refused command");
    }

    @Test
    void expiriesAreSpansDatesOrTimes() {
        assertEquals(clock.instant().plus(Duration.ofMinutes(90)), command.when("90m"));
        assertEquals(clock.instant().plus(Duration.ofDays(30)), command.when("30d"));
        assertEquals(Instant.parse("2027-01-31T00:00:00Z"), command.when("2027-01-31"));
        assertEquals(Instant.parse("2027-01-31T12:00:00Z"), command.when("2027-01-31T12:00:00Z"));
        for (String bad : new String[] { "soon", "0d", "-1d", "12", "1y", "2027-02-30", "" }) {
            InvalidValueException e = assertThrows(InvalidValueException.class, () -> command.when(bad), bad);
            assertTrue(e.getMessage().contains("'" + bad + "'") || e.getMessage().contains(bad), e.getMessage());
        }
    }

    @Test
    void revokeRemovesTheTokenAndUnknownWordsAreRefused() {
        run("token create");
        String id = store.list().get(0).id();
        assertEquals("revoked " + id + "\n", run("token revoke " + id));
        assertTrue(store.list().isEmpty());
        assertThrows(InvalidValueException.class, () -> run("token revoke " + id));
        assertThrows(InvalidValueException.class, () -> run("tokens list"));
        assertThrows(InvalidValueException.class, () -> run("token rename x"));
        assertThrows(InvalidValueException.class, () -> run("token create --label x"));
        assertThrows(InvalidValueException.class, () -> run("token create --name"));
        assertThrows(InvalidValueException.class, () -> run("token list extra"));
        assertTrue(store.list().isEmpty(), "nothing was made by a refused command");
    }
}
