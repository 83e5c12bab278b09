package dev.bulkhead.console.internal;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.lang.reflect.Proxy;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.time.Duration;
import java.time.Instant;
import java.util.Map;
import java.util.Set;

import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import com.fasterxml.jackson.core.JsonGenerator;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;

import dev.bulkhead.api.NoSuchQubeException;
import dev.bulkhead.api.PowerState;
import dev.bulkhead.api.Qube;
import dev.bulkhead.api.QubeAdmin;
import dev.bulkhead.api.QubeClass;
import dev.bulkhead.api.gui.GuiService;
import dev.bulkhead.api.gui.GuiWindow;
import dev.bulkhead.api.json.JsonMappers;
import dev.bulkhead.testing.FakeGuiService;

/**
 * {@code GET /api/qubes/NAME/windows}, without a server: the windows of the qube's GUI session as the
 * daemon lists them, and an empty list that says why when there is no daemon, no session, or an ended one.
 * Qubes {@code a}, {@code b} and {@code quiet} exist.
 */
class WindowsApiTest {
    private static final ObjectMapper JSON = JsonMappers.create();

    @TempDir
    Path etc;
    private final FakeGuiService daemon = new FakeGuiService();
    /** The daemon the API sees now: null is the gui feature not installed. */
    private GuiService installed = daemon;
    private AdminApi api;

    @BeforeEach
    void setUp() throws IOException {
        TestClock clock = new TestClock(Instant.parse("2025-01-01T00:00:00Z"));
        ApiTokenStore tokens = new ApiTokenStore(etc.resolve("tokens.json"), new SecureRandom(), clock);
        ConsoleSecurity security = new ConsoleSecurity(etc, Duration.ofMinutes(10), new SecureRandom(), clock, tokens);
        QubeAdmin admin = (QubeAdmin) Proxy.newProxyInstance(getClass().getClassLoader(), new Class<?>[] { QubeAdmin.class },
                (proxy, method, args) -> {
                    if (method.getName().equals("get") && Set.of("a", "b", "quiet").contains(args[0])) {
                        return new Qube((String) args[0], 3, QubeClass.AppVM, PowerState.Running, Map.of(), Map.of("gui", "1"),
                                Set.of());
                    }
                    throw new NoSuchQubeException(String.valueOf(args == null ? method.getName() : args[0]));
                });
        api = new AdminApi(admin, security, JSON, "{}".getBytes(StandardCharsets.UTF_8), () -> installed);
    }

    private ApiResponse get(String path) {
        return api.handle(new ApiRequest("GET", path, new byte[0], Principal.BEARER, null, "127.0.0.1"));
    }

    /** The answer as it goes on the wire. */
    private static JsonNode body(ApiResponse answer) throws IOException {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        try (JsonGenerator g = JSON.getFactory().createGenerator(out)) {
            answer.json().write(g);
        }
        return JSON.readTree(out.toByteArray());
    }

    @Test
    void anOpenSessionsWindowsAreListedWithTheQubesOwnTitlesAndTheirGeometry() throws IOException {
        daemon.open("a", new GuiWindow("a", 12, "notes <b>&amp;", 30, 40, 200, 150, true, false),
                new GuiWindow("a", 13, "", -5, 7, 80, 40, false, true));
        daemon.open("b", new GuiWindow("b", 1, "b's", 0, 0, 10, 10, true, false));
        ApiResponse answer = get("/qubes/a/windows");
        assertEquals(200, answer.status());
        assertEquals("application/json", answer.contentType());
        assertEquals(JSON.readTree("""
                {"qube": "a", "gui_installed": true, "session": "open", "windows": [
                  {"id": 12, "title": "notes <b>&amp;", "x": 30, "y": 40, "width": 200, "height": 150,
                   "geometry": "200x150+30+40", "mapped": true, "override_redirect": false},
                  {"id": 13, "title": "", "x": -5, "y": 7, "width": 80, "height": 40,
                   "geometry": "80x40+-5+7", "mapped": false, "override_redirect": true}]}
                """), body(answer));
    }

    @Test
    void withoutTheGuiDaemonTheListIsEmptyAndSaysGuiNotInstalled() throws IOException {
        daemon.open("a", new GuiWindow("a", 12, "notes", 30, 40, 200, 150, true, false));
        installed = null;
        ApiResponse answer = get("/qubes/a/windows");
        assertEquals(200, answer.status());
        assertEquals(JSON.readTree("""
                {"qube": "a", "gui_installed": false, "session": "none", "note": "GUI not installed", "windows": []}
                """), body(answer));
        installed = daemon;
        assertEquals(1, body(get("/qubes/a/windows")).path("windows").size(), "the daemon is used again once it is back");
    }

    @Test
    void withoutASessionOrWithAnEndedOneTheListIsEmptyAndSaysWhy() throws IOException {
        JsonNode none = body(get("/qubes/quiet/windows"));
        assertEquals("none", none.path("session").asText());
        assertEquals("no GUI session: the qube needs the feature gui and to be running", none.path("note").asText());
        assertEquals(0, none.path("windows").size());
        daemon.ended("b", "protocol violation: window 9 was never created", new GuiWindow("b", 1, "stale", 0, 0, 10, 10, true, false));
        JsonNode ended = body(get("/qubes/b/windows"));
        assertEquals("ended", ended.path("session").asText());
        assertEquals("the GUI session ended: protocol violation: window 9 was never created", ended.path("note").asText());
        assertEquals(0, ended.path("windows").size(), "an ended session's windows are no longer on dom0's display");
    }

    @Test
    void aTitleLongerThanTheDecodersBoundIsCutToIt() throws IOException {
        String title = "\uD83D\uDE00".repeat(Json.MAX_TITLE_CHARS + 50);
        daemon.open("a", new GuiWindow("a", 1, title, 0, 0, 10, 10, true, false));
        String shown = body(get("/qubes/a/windows")).path("windows").path(0).path("title").asText();
        assertEquals("\uD83D\uDE00".repeat(Json.MAX_TITLE_CHARS), shown);
    }

    @Test
    void anUnknownQubeIs404AndOnlyGetIsAllowed() throws IOException {
        ApiResponse unknown = get("/qubes/nosuch/windows");
        assertEquals(404, unknown.status());
        assertEquals("no such qube: 'nosuch'", body(unknown).path("detail").asText());
        ApiResponse post = api.handle(new ApiRequest("POST", "/qubes/a/windows", new byte[0], Principal.BEARER, null, "127.0.0.1"));
        assertEquals(405, post.status());
        assertEquals("GET", post.headers().get("Allow"));
        assertEquals(404, get("/qubes/a/windows/12").status());
    }
}
