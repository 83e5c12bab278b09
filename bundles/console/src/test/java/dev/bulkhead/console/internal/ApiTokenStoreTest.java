package dev.bulkhead.console.internal;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.SecureRandom;
import java.time.Duration;
import java.time.Instant;
import java.util.List;

import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import dev.bulkhead.api.InvalidValueException;

/** The API token store on a real file: hashing, expiry, revocation, last use, and files it must not trust. */
class ApiTokenStoreTest {
    @TempDir
    Path data;
    Path file;
    TestClock clock = new TestClock(Instant.parse("2025-01-01T00:00:00Z"));
    ApiTokenStore store;

    @BeforeEach
    void setUp() {
        file = data.resolve("console/tokens.json");
        store = new ApiTokenStore(file, new SecureRandom(), clock);
    }

    @Test
    void aNewTokenIsRandomShownOnceAndOnlyItsHashIsKeptOwnerOnly() throws IOException {
        ApiTokenStore.Created a = store.create("ci", null);
        ApiTokenStore.Created b = store.create("ci", null);
        assertTrue(a.secret().matches("bht_[A-Za-z0-9_-]{43}"), a.secret());
        assertFalse(a.secret().equals(b.secret()));
        assertFalse(a.token().id().equals(b.token().id()));
        String stored = Files.readString(file);
        assertFalse(stored.contains(a.secret().substring(4)), stored);
        assertTrue(stored.contains(ApiTokenStore.hash(a.secret())), stored);
        assertEquals("rw-------", PosixFilePermissions.toString(Files.getPosixFilePermissions(file)));
        try (var listing = Files.list(file.getParent())) {
            assertEquals(List.of(file), listing.toList(), "no temporary file is left behind");
        }
    }

    @Test
    void aTokenOpensUntilItIsRevokedOrExpires() {
        ApiTokenStore.Created forever = store.create("forever", null);
        ApiTokenStore.Created brief = store.create("brief", clock.instant().plus(Duration.ofHours(1)));
        assertEquals("forever", store.verify(forever.secret()).orElseThrow().name());
        assertTrue(store.verify(brief.secret()).isPresent());
        assertTrue(store.verify(forever.secret() + "x").isEmpty());
        assertTrue(store.verify(forever.secret().substring(0, 20)).isEmpty());
        assertTrue(store.verify("").isEmpty());
        assertTrue(store.verify(null).isEmpty());

        clock.advance(Duration.ofHours(1));
        assertTrue(store.verify(brief.secret()).isEmpty(), "expired");
        store.revoke(forever.token().id());
        assertTrue(store.verify(forever.secret()).isEmpty(), "revoked");
        assertTrue(new ApiTokenStore(file, new SecureRandom(), clock).verify(forever.secret()).isEmpty(), "revoked for good");
    }

    @Test
    void theLastUseIsRecordedAndSurvivesARestart() {
        ApiTokenStore.Created t = store.create("ci", null);
        assertNull(store.list().get(0).lastUsed());
        clock.advance(Duration.ofMinutes(5));
        store.verify(t.secret());
        assertEquals(clock.instant(), store.list().get(0).lastUsed());
        assertEquals(clock.instant(), new ApiTokenStore(file, new SecureRandom(), clock).list().get(0).lastUsed());
    }

    @Test
    void badRequestsAreRefusedNamingTheValueAndChangeNothing() throws IOException {
        store.create("ci", null);
        byte[] before = Files.readAllBytes(file);
        InvalidValueException unknown = assertThrows(InvalidValueException.class, () -> store.revoke("ffffffff"));
        assertTrue(unknown.getMessage().contains("ffffffff"), unknown.getMessage());
        assertThrows(InvalidValueException.class, () -> store.create("no spaces", null));
        assertThrows(InvalidValueException.class, () -> store.create("x".repeat(65), null));
        assertThrows(InvalidValueException.class, () -> store.create("ci", clock.instant()));
        assertArrayEquals(before, Files.readAllBytes(file));
    }

    @Test
    void aFileOpenToOthersIsNotTrustedAndNothingIsWritten() throws IOException {
        ApiTokenStore.Created t = store.create("ci", null);
        Files.setPosixFilePermissions(file, PosixFilePermissions.fromString("rw-r--r--"));
        byte[] before = Files.readAllBytes(file);
        ApiTokenStore reopened = new ApiTokenStore(file, new SecureRandom(), clock);
        assertTrue(reopened.problem().orElseThrow().contains("rw-r--r--"));
        assertTrue(reopened.verify(t.secret()).isEmpty(), "fails closed");
        assertThrows(IllegalStateException.class, () -> reopened.create("other", null));
        assertThrows(IllegalStateException.class, reopened::list);
        assertArrayEquals(before, Files.readAllBytes(file));
    }

    @Test
    void aMalformedFileIsNotTrustedAndNothingIsWritten() throws IOException {
        Files.createDirectories(file.getParent());
        Files.writeString(file, "{\"format\": 1, \"tokens\": [{\"id\": \"zz\"}]}");
        Files.setPosixFilePermissions(file, PosixFilePermissions.fromString("rw-------"));
        ApiTokenStore reopened = new ApiTokenStore(file, new SecureRandom(), clock);
        assertTrue(reopened.problem().orElseThrow().contains("token 0"), reopened.problem().get());
        assertThrows(IllegalStateException.class, () -> reopened.create("other", null));
        assertEquals("{\"format\": 1, \"tokens\": [{\"id\": \"zz\"}]}", Files.readString(file));
    }

    @Test
    void aLinkInPlaceOfTheFileIsNotFollowed() throws IOException {
        Path elsewhere = Files.writeString(data.resolve("elsewhere.json"), "{\"format\": 1, \"tokens\": []}");
        Files.setPosixFilePermissions(elsewhere, PosixFilePermissions.fromString("rw-------"));
        Files.createDirectories(file.getParent());
        Files.createSymbolicLink(file, elsewhere);
        assertTrue(new ApiTokenStore(file, new SecureRandom(), clock).problem().isPresent());
    }
}
