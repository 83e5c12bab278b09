package dev.bulkhead.console.internal;

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
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;

import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The request checks, without a server: Host, credentials, Origin and the CSRF token. */
class ConsoleSecurityTest {
    private static final int PORT = 8137;
    private static final String OWN = "127.0.0.1:" + PORT;
    private static final String ORIGIN = "http://" + OWN;

    private static final String CLIENT = "127.0.0.1";

    @TempDir
    Path etc;
    TestClock clock = new TestClock(Instant.parse("2025-01-01T00:00:00Z"));
    ApiTokenStore tokens;
    ConsoleSecurity security;
    String secret;
    String token;

    @BeforeEach
    void setUp() throws IOException {
        tokens = new ApiTokenStore(etc.resolve("data/console/tokens.json"), new SecureRandom(), clock);
        security = new ConsoleSecurity(etc, Duration.ofMinutes(10), new SecureRandom(), clock, tokens);
        secret = Files.readString(etc.resolve(SecretFile.FILE_NAME)).strip();
        token = tokens.create("test", null).secret();
    }

    private static RequestFacts request(String method, String path, String host, String origin, String cookie,
            String authorization, String csrf) {
        return new RequestFacts(method, path, host, origin, "127.0.0.1", PORT, cookie, authorization, csrf);
    }

    private ConsoleSecurity.Verdict check(String method, String path, String origin, String cookie, String authorization,
            String csrf) {
        return security.check(request(method, path, OWN, origin, cookie, authorization, csrf));
    }

    private static void refused(int status, ConsoleSecurity.Verdict v) {
        assertFalse(v.allowed(), "refused");
        assertEquals(status, v.refusal().status(), v.refusal().detail());
        assertFalse(v.refusal().detail().isBlank());
    }

    @Test
    void theApiNeedsCredentialsButThePageAndTheLoginDoNot() {
        refused(401, check("GET", "/api/qubes", null, null, null, null));
        refused(401, check("GET", "/api", null, null, null, null));
        refused(401, check("GET", "/api/events", null, null, null, null));
        refused(401, check("GET", "/api/qubes", null, "stale-session", null, null));
        assertTrue(check("GET", "/", null, null, null, null).allowed());
        assertTrue(check("GET", "/app.js", null, null, null, null).allowed());
        assertTrue(check("GET", "/api/openapi.json", null, null, null, null).allowed());
        assertTrue(check("GET", "/api/session", null, null, null, null).allowed());
        assertTrue(check("POST", "/api/login", ORIGIN, null, null, null).allowed());
    }

    @Test
    void anApiTokenIsAcceptedAsBearerAndAnythingElseIs401() {
        ConsoleSecurity.Verdict v = check("GET", "/api/qubes", null, null, "Bearer " + token, null);
        assertTrue(v.allowed());
        assertEquals(Principal.BEARER, v.principal());
        assertTrue(check("GET", "/api/qubes", null, null, "bearer " + token, null).allowed(), "the scheme is case-insensitive");
        refused(401, check("GET", "/api/qubes", null, null, "Bearer " + token + "x", null));
        refused(401, check("GET", "/api/qubes", null, null, "Basic " + token, null));
        refused(401, check("GET", "/", null, null, "Bearer nope", null));
    }

    @Test
    void theLoginSecretIsNoBearerToken() {
        refused(401, check("GET", "/api/qubes", null, null, "Bearer " + secret, null));
        refused(401, check("POST", "/api/qubes", null, null, "Bearer " + secret, null));
    }

    @Test
    void aRevokedTokenFailsAtOnce() {
        assertTrue(check("GET", "/api/qubes", null, null, "Bearer " + token, null).allowed());
        tokens.revoke(tokens.list().get(0).id());
        refused(401, check("GET", "/api/qubes", null, null, "Bearer " + token, null));
    }

    @Test
    void no401NamesAFile() {
        for (ConsoleSecurity.Verdict v : new ConsoleSecurity.Verdict[] { check("GET", "/api/qubes", null, null, null, null),
                check("GET", "/api/qubes", null, null, "Bearer " + secret, null), check("GET", "/api/qubes", null, null, "Basic x", null) }) {
            refused(401, v);
            assertFalse(v.refusal().detail().contains("/"), v.refusal().detail());
        }
        ApiException e = assertThrows(ApiException.class, () -> security.login("guess", CLIENT));
        assertFalse(e.problem().detail().contains("/"), e.problem().detail());
        assertTrue(e.problem().detail().contains("log in"), e.problem().detail());
    }

    @Test
    void aBearerChangeNeedsNoCsrfTokenButAForeignOriginIsRefused() {
        assertTrue(check("POST", "/api/qubes", null, null, "Bearer " + token, null).allowed());
        assertTrue(check("POST", "/api/qubes", ORIGIN, null, "Bearer " + token, null).allowed());
        refused(403, check("POST", "/api/qubes", "http://evil.example", null, "Bearer " + token, null));
    }

    @Test
    void wrongLoginsBackOffPerClientAndTheRightSecretWorksOnceTheWaitIsOver() {
        for (int i = 0; i < LoginThrottle.FREE_FAILURES; i++) {
            assertEquals(401, assertThrows(ApiException.class, () -> security.login("guess", CLIENT)).problem().status());
        }
        assertEquals(401, assertThrows(ApiException.class, () -> security.login("guess", CLIENT)).problem().status(),
                "the failure past the allowance is still answered");
        ApiException waiting = assertThrows(ApiException.class, () -> security.login(secret, CLIENT));
        assertEquals(429, waiting.problem().status(), "even the right secret waits");
        assertEquals("1", waiting.headers().get("Retry-After"));
        assertTrue(security.login(secret, "127.0.0.9") != null, "another client is not held up");

        clock.advance(Duration.ofSeconds(1));
        assertEquals(401, assertThrows(ApiException.class, () -> security.login("guess", CLIENT)).problem().status());
        assertEquals("2", assertThrows(ApiException.class, () -> security.login(secret, CLIENT)).headers().get("Retry-After"),
                "each further failure doubles the wait");
        clock.advance(Duration.ofSeconds(1));
        assertEquals(429, assertThrows(ApiException.class, () -> security.login(secret, CLIENT)).problem().status());
        clock.advance(Duration.ofSeconds(1));
        assertTrue(security.session(security.login(secret, CLIENT).id()).isPresent(), "the right secret works after the wait");
        for (int i = 0; i < LoginThrottle.FREE_FAILURES; i++) {
            assertEquals(401, assertThrows(ApiException.class, () -> security.login("guess", CLIENT)).problem().status(),
                    "a right secret gave the client its allowance back");
        }
    }

    @Test
    void allClientsTogetherHaveAnAllowanceToo() {
        int client = 0;
        for (int i = 0; i < LoginThrottle.FREE_FAILURES_ALL; i++) {
            String from = "127.0.1." + (client++ % 200);
            assertEquals(401, assertThrows(ApiException.class, () -> security.login("guess", from)).problem().status());
        }
        assertEquals(401, assertThrows(ApiException.class, () -> security.login("guess", "127.0.2.1")).problem().status());
        assertEquals(429, assertThrows(ApiException.class, () -> security.login(secret, "127.0.2.2")).problem().status(),
                "a fresh address does not escape the wait");
        clock.advance(Duration.ofSeconds(1));
        assertTrue(security.login(secret, "127.0.2.2") != null);
    }

    @Test
    void aSessionChangeNeedsItsCsrfTokenAndTheOwnOrigin() {
        Sessions.Session s = security.login(secret, CLIENT);
        ConsoleSecurity.Verdict read = check("GET", "/api/qubes", null, s.id(), null, null);
        assertTrue(read.allowed());
        assertEquals(Principal.SESSION, read.principal());

        assertTrue(check("DELETE", "/api/qubes/work", ORIGIN, s.id(), null, s.csrfToken()).allowed());
        refused(403, check("DELETE", "/api/qubes/work", ORIGIN, s.id(), null, null));
        refused(403, check("DELETE", "/api/qubes/work", ORIGIN, s.id(), null, s.csrfToken() + "x"));
        refused(403, check("DELETE", "/api/qubes/work", null, s.id(), null, s.csrfToken()));
        refused(403, check("DELETE", "/api/qubes/work", "http://evil.example", s.id(), null, s.csrfToken()));
        refused(403, check("DELETE", "/api/qubes/work", "http://127.0.0.1:9999", s.id(), null, s.csrfToken()));
        refused(403, check("DELETE", "/api/qubes/work", "null", s.id(), null, s.csrfToken()));
        Sessions.Session other = security.login(secret, CLIENT);
        refused(403, check("DELETE", "/api/qubes/work", ORIGIN, s.id(), null, other.csrfToken()));
    }

    @Test
    void aLoginFromAForeignOrWithoutAnOriginIsRefused() {
        refused(403, check("POST", "/api/login", "http://evil.example", null, null, null));
        refused(403, check("POST", "/api/login", null, null, null, null));
    }

    @Test
    void theWrongSecretDoesNotLogIn() {
        ApiException e = assertThrows(ApiException.class, () -> security.login("guess", CLIENT));
        assertEquals(401, e.problem().status());
        assertThrows(ApiException.class, () -> security.login(null, CLIENT));
    }

    @Test
    void aLoggedOutSessionIsGone() {
        Sessions.Session s = security.login(secret, CLIENT);
        security.logout(s.id());
        refused(401, check("GET", "/api/qubes", null, s.id(), null, null));
    }

    @Test
    void onlyThisConsolesHostNamesAreAccepted() {
        for (String host : new String[] { OWN, "localhost:" + PORT, "LOCALHOST:" + PORT, "[::1]:" + PORT, "127.0.0.2:" + PORT }) {
            assertTrue(security.check(request("GET", "/", host, null, null, null, null)).allowed(), host);
        }
        for (String host : new String[] { "evil.example:" + PORT, "evil.example", "127.0.0.1", "127.0.0.1:8138",
                "localhost.evil.example:" + PORT, "10.0.0.1:" + PORT, "::1:" + PORT, "[::2]:" + PORT, "", "127.0.0.1:" + PORT + "x" }) {
            refused(421, security.check(request("GET", "/", host, null, null, null, null)));
        }
        refused(421, security.check(request("GET", "/", null, null, null, null, null)));
        refused(421, security.check(request("GET", "/api/qubes", "rebound.example:" + PORT, null, null, "Bearer " + token, null)));
        assertTrue(ConsoleSecurity.isOwnHost("localhost", 80));
    }

    @Test
    void aConnectionOnAnAddressThatIsNotLoopbackIsRefused() {
        refused(403, security.check(new RequestFacts("GET", "/", OWN, null, "192.0.2.7", PORT, null, "Bearer " + token, null)));
    }

    @Test
    void sessionsEndAfterTheIdleTime() {
        Sessions.Session s = security.login(secret, CLIENT);
        clock.advance(Duration.ofMinutes(9));
        assertTrue(security.session(s.id()).isPresent(), "used within the idle time");
        clock.advance(Duration.ofMinutes(9));
        assertTrue(security.session(s.id()).isPresent(), "each use starts the idle time again");
        clock.advance(Duration.ofMinutes(10));
        assertTrue(security.session(s.id()).isEmpty(), "idle too long");
    }

    @Test
    void anUnusableSecretRefusesEveryLoginWith503() throws IOException {
        Path open = Files.createDirectory(etc.resolve("open"));
        Path file = open.resolve(SecretFile.FILE_NAME);
        Files.writeString(file, "x".repeat(40));
        Files.setPosixFilePermissions(file, PosixFilePermissions.fromString("rw-r--r--"));
        ConsoleSecurity unusable = new ConsoleSecurity(open, Duration.ofMinutes(10), new SecureRandom(), Clock.systemUTC(), tokens);

        ApiException e = assertThrows(ApiException.class, () -> unusable.login("x".repeat(40), CLIENT));
        assertEquals(503, e.problem().status());
        assertFalse(e.problem().detail().contains(open.toString()), "the answer names no file: " + e.problem().detail());
        assertTrue(e.problem().detail().contains("log"), e.problem().detail());
        assertTrue(unusable.check(request("GET", "/api/qubes", OWN, null, null, "Bearer " + token, null)).allowed(),
                "API tokens do not need the login secret");
        assertNull(unusable.check(request("GET", "/", OWN, null, null, null, null)).refusal(), "the page still loads");
    }
}
