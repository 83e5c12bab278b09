package dev.bulkhead.it;

import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertFalse;
import static org.junit.Assert.assertNotNull;
import static org.junit.Assert.assertNull;
import static org.junit.Assert.assertTrue;
import static org.junit.Assert.fail;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import org.junit.Before;
import org.junit.Test;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;

/**
 * What hardens the console against a hostile client on dom0's loopback: every answer, Jetty's own
 * errors included, carries the security headers and a problem body of the console's own; wrong
 * logins are slowed down and logged; programs use revocable API tokens, never the login secret.
 */
public class ConsoleHardeningIT extends ConsoleTestSupport {
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final Map<String, String> SECURITY_HEADERS = Map.of(
            "X-Content-Type-Options", "nosniff",
            "X-Frame-Options", "DENY",
            "Referrer-Policy", "no-referrer",
            "Cache-Control", "no-store");
    private static final Pattern TOKEN = Pattern.compile("bht_[A-Za-z0-9_-]{43}");
    private int port;

    @Before
    public void startConsole() {
        port = startConsoleOnLoopback();
    }

    private HttpExchange http(String method, String path) {
        return new HttpExchange("127.0.0.1", port).request(method, path);
    }

    private String origin() {
        return "http://127.0.0.1:" + port;
    }

    /** Sends bytes as they are, however malformed, and reads the answer until the server closes. */
    private HttpExchange.Response raw(String request) {
        return rawFrom("127.0.0.1", request);
    }

    /** The same from another loopback source address: a client of its own, as far as the console can tell. */
    private HttpExchange.Response rawFrom(String source, String request) {
        try (Socket socket = new Socket()) {
            socket.bind(new InetSocketAddress(source, 0));
            socket.connect(new InetSocketAddress("127.0.0.1", port), 30_000);
            socket.setSoTimeout(30_000);
            OutputStream out = socket.getOutputStream();
            out.write(request.getBytes(StandardCharsets.ISO_8859_1));
            out.flush();
            InputStream in = socket.getInputStream();
            return HttpExchange.parse(in.readAllBytes());
        } catch (IOException e) {
            throw new UncheckedIOException(request.lines().findFirst().orElse(""), e);
        }
    }

    private static JsonNode json(HttpExchange.Response r) {
        try {
            return JSON.readTree(r.body());
        } catch (IOException e) {
            throw new AssertionError("not JSON: " + r, e);
        }
    }

    /** The console's own error: its status, every security header, a problem body, nothing of Jetty. */
    private static void assertOwnError(String what, int status, HttpExchange.Response r) {
        assertEquals(what + ": " + r, status, r.status());
        SECURITY_HEADERS.forEach((name, value) -> assertEquals(what + ": " + name + " in " + r, value, r.header(name)));
        String csp = r.header("Content-Security-Policy");
        assertNotNull(what + ": no CSP in " + r, csp);
        assertTrue(what + ": " + csp, csp.contains("default-src 'none'") && csp.contains("frame-ancestors 'none'"));
        assertEquals(what + ": " + r, "application/problem+json", r.header("Content-Type").split(";")[0].strip());
        JsonNode p = json(r);
        assertEquals(what + ": " + r, status, p.path("status").asInt());
        assertTrue(what + ": " + r, p.path("type").asText().startsWith("urn:bulkhead:problem:"));
        assertFalse(what + ": " + r, p.path("detail").asText().isBlank());
        assertNull(what + ": the server is not named: " + r, r.header("Server"));
        assertFalse(what + ": nothing names Jetty: " + r, r.toString().toLowerCase().contains("jetty"));
        assertFalse(what + ": no stack trace: " + r, r.body().contains("\tat ") || r.body().contains("Exception"));
    }

    private String host() {
        return "Host: 127.0.0.1:" + port + "\r\n";
    }

    @Test
    public void jettysOwnErrorsCarryTheSecurityHeadersAndAProblemOfTheConsolesOwn() {
        assertOwnError("a line feed encoded in the path", 400,
                raw("GET /api/qubes/a%0Ab HTTP/1.1\r\n" + host() + "Connection: close\r\n\r\n"));
        assertOwnError("an ambiguous encoded separator", 400,
                raw("GET /api/qubes/a%2Fb HTTP/1.1\r\n" + host() + "Connection: close\r\n\r\n"));
        assertOwnError("a URI too long", 414,
                raw("GET /" + "a".repeat(20_000) + " HTTP/1.1\r\n" + host() + "Connection: close\r\n\r\n"));
        assertOwnError("headers too large", 431,
                raw("GET / HTTP/1.1\r\n" + host() + "X-Filler: " + "b".repeat(20_000) + "\r\nConnection: close\r\n\r\n"));
        assertOwnError("a request line that is not HTTP", 400, raw("NONSENSE\r\n\r\n"));
        assertOwnError("a header without a colon", 400,
                raw("GET / HTTP/1.1\r\n" + host() + "no colon here\r\nConnection: close\r\n\r\n"));
        assertOwnError("an unknown HTTP version", 505, raw("GET / HTTP/7.3\r\n" + host() + "\r\n"));
        assertOwnError("a path climbing out with encoded dots", 400,
                raw("GET /%2e%2e/%2e%2e/etc/passwd HTTP/1.1\r\n" + host() + "Connection: close\r\n\r\n"));
        assertOwnError("two Host headers", 400,
                raw("GET / HTTP/1.1\r\n" + host() + host() + "Connection: close\r\n\r\n"));
        assertOwnError("a body longer than its Content-Length says, chunked as well", 400,
                raw("POST /api/login HTTP/1.1\r\n" + host() + "Content-Length: 3\r\nTransfer-Encoding: chunked\r\n"
                        + "Connection: close\r\n\r\n0\r\n\r\n"));
        assertOwnError("no such page", 404, http("GET", "/no/such/page.png").send());
        assertOwnError("a method the page does not take", 405, http("PUT", "/").header("Origin", origin()).json("{}").send());
        assertOwnError("TRACE, which would echo the request", 405, http("TRACE", "/").header("Origin", origin()).send());
    }

    @Test
    public void the401SaysHowToLogInWithoutNamingAnyPath() {
        String etc = etcDir().toString();
        for (HttpExchange.Response r : List.of(http("GET", "/api/qubes").send(),
                http("GET", "/api/qubes").header("Authorization", "Bearer wrong").send(),
                http("POST", "/api/login").header("Origin", origin()).json("{\"secret\": \"wrong\"}").send())) {
            assertEquals(r.toString(), 401, r.status());
            String detail = json(r).path("detail").asText();
            assertFalse("names no path: " + detail, detail.contains(etc) || detail.contains("/console.secret")
                    || detail.contains(secretFile().toString()));
            assertTrue("says how to log in: " + detail, detail.contains("log in") || detail.contains("token"));
        }
    }

    private HttpExchange.Response loginFrom(String source, String secret) {
        String body = "{\"secret\": \"" + secret + "\"}";
        return rawFrom(source, "POST /api/login HTTP/1.0\r\n" + host() + "Origin: " + origin()
                + "\r\nContent-Type: application/json\r\nContent-Length: " + body.length() + "\r\n\r\n" + body);
    }

    @Test
    public void wrongLoginsAreRefusedForAWhileAndLoggedWithoutTheAttempt() {
        List<String> log = captureConsoleLog();
        // A source address of its own, so that the back-off it earns slows no other test's logins.
        String client = "127.0.0.77";
        String wrong = "wrong-secret-" + System.nanoTime();
        int failures = 0;
        HttpExchange.Response refused = null;
        for (int i = 0; i < 50 && refused == null; i++) {
            HttpExchange.Response r = loginFrom(client, wrong);
            if (r.status() == 429) {
                refused = r;
            } else {
                assertEquals(r.toString(), 401, r.status());
                failures++;
            }
        }
        assertNotNull("a run of wrong logins is refused at some point", refused);
        assertTrue("a few wrong logins are answered first: " + failures, failures >= 3 && failures <= 10);
        assertOwnProblem(429, refused);
        assertTrue(refused.toString(), Integer.parseInt(refused.header("Retry-After")) >= 1);

        HttpExchange.Response right = loginFrom(client, secret());
        assertEquals("while backing off even the right secret waits: " + right, 429, right.status());
        HttpExchange.Response elsewhere = loginFrom("127.0.0.1", secret());
        assertEquals("another client logs in: " + elsewhere, 200, elsewhere.status());

        List<String> failed = log.stream().filter(l -> l.contains("failed console login")).toList();
        assertTrue(String.join("\n", log), failed.size() >= failures);
        assertTrue(failed.get(0), failed.get(0).contains(client));
        assertTrue("the attempted secret is never logged", log.stream().noneMatch(l -> l.contains(wrong)));
    }

    private static void assertOwnProblem(int status, HttpExchange.Response r) {
        assertEquals(r.toString(), status, r.status());
        assertEquals(r.toString(), "application/problem+json", r.header("Content-Type").split(";")[0]);
        assertEquals("nosniff", r.header("X-Content-Type-Options"));
        assertEquals(status, json(r).path("status").asInt());
    }

    @Test
    public void apiTokensAreMadeListedAndRevokedThroughTheShellAndTheSecretIsNoBearer() throws Exception {
        HttpExchange.Response withSecret = http("GET", "/api/qubes").header("Authorization", "Bearer " + secret()).send();
        assertEquals("the login secret is not a bearer token: " + withSecret, 401, withSecret.status());

        String created = shell("qvm:console token create --name ci-robot --expires 30d");
        Matcher m = TOKEN.matcher(created);
        assertTrue(created, m.find());
        String token = m.group();
        HttpExchange.Response list = http("GET", "/api/qubes").header("Authorization", "Bearer " + token).send();
        assertEquals(list.toString(), 200, list.status());
        assertEquals(admin().list().size(), json(list).path("qubes").size());

        String listed = shell("qvm:console token list");
        assertTrue(listed, listed.contains("ci-robot"));
        assertFalse("the token is shown once only: " + listed, listed.contains(token));
        String row = listed.lines().filter(l -> l.contains("ci-robot")).findFirst().orElseThrow();
        List<String> cells = List.of(row.strip().split("\\s+"));
        assertEquals("ID NAME CREATED EXPIRES LAST-USED: " + row, 5, cells.size());
        String id = cells.get(0);
        assertEquals(row, "ci-robot", cells.get(1));
        assertFalse("it expires: " + row, cells.get(3).equals("never"));
        assertFalse("its use was recorded: " + row, cells.get(4).equals("never"));

        Path tokens = dataDir().resolve("console").resolve("tokens.json");
        assertEquals("rw-------", PosixFilePermissions.toString(Files.getPosixFilePermissions(tokens)));
        String stored = Files.readString(tokens);
        assertFalse("only a hash is stored: " + stored, stored.contains(token) || stored.contains(token.substring(4)));
        assertTrue(stored, stored.contains("ci-robot"));

        shell("qvm:console token revoke " + id);
        HttpExchange.Response revoked = http("GET", "/api/qubes").header("Authorization", "Bearer " + token).send();
        assertOwnProblem(401, revoked);
        assertFalse(shell("qvm:console token list").contains("ci-robot"));
        try {
            shell("qvm:console token revoke no-such-id");
            fail("revoking an unknown id was accepted");
        } catch (Exception e) {
            assertTrue(String.valueOf(e.getMessage()), String.valueOf(e.getMessage()).contains("no-such-id"));
        }
        try {
            shell("qvm:console token create --expires soon");
            fail("an unreadable expiry was accepted");
        } catch (Exception e) {
            assertTrue(String.valueOf(e.getMessage()), String.valueOf(e.getMessage()).contains("soon"));
        }
        assertEquals("refused commands change nothing", 0, Files.readString(tokens).split("\"id\"").length - 1);
        // the shell's help, as the shell and bin/client find it for a plain "help" (Felix's own help cannot read a qvm command)
        String help = shell("shell:help qvm:console");
        assertTrue(help, help.startsWith("Usage: qvm:console"));
    }
}
