package dev.bulkhead.gui.internal;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.lang.annotation.Annotation;
import java.nio.ByteBuffer;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.function.BooleanSupplier;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import dev.bulkhead.api.InvalidStateException;
import dev.bulkhead.api.InvalidValueException;
import dev.bulkhead.api.Label;
import dev.bulkhead.api.policy.PolicyAction;
import dev.bulkhead.api.gui.GuiSession;
import dev.bulkhead.api.gui.GuiWindow;
import dev.bulkhead.gui.protocol.GuiMessage;
import dev.bulkhead.gui.protocol.MessageType;

/**
 * The daemon on a real X server as dom0's display, fed by scripted qubes over real unix sockets:
 * frames and titles as a screenshot shows them, input only to the owning qube, clipboard by the
 * user's keys only, and hostile streams that end only their own session.
 */
class GuiDaemonTest {
    private static final int RED = 0xcc0000;
    private static final int BLUE = 0x3465a4;

    @TempDir
    Path dir;
    private GuiDaemon daemon;

    @AfterEach
    void stop() {
        if (daemon != null) {
            daemon.stop();
        }
    }

    @Test
    void withoutADisplayGuiQubesAreRefusedWithAClearMessage() throws Exception {
        daemon = new GuiDaemon(config("", new String[0]));
        try (ScriptedQube a = ScriptedQube.connect(dir)) {
            InvalidStateException e = assertThrows(InvalidStateException.class, () -> daemon.attach("a", Label.RED, a.dom0End));
            assertEquals("GUI qubes are refused: no dom0 display is configured; set display in the configuration"
                    + " dev.bulkhead.gui (e.g. :0)", e.getMessage());
            assertFalse(a.dom0End.isOpen(), "the refused stream is closed");
            assertTrue(daemon.sessions().isEmpty());
        }
    }

    @Test
    void badSettingsAreRefusedByNameAndChangeNothing() {
        daemon = new GuiDaemon(config("", new String[0]));
        assertEquals("invalid border_width '0': 1 to 32 pixels", assertThrows(InvalidValueException.class,
                () -> daemon.configure(config("", new String[0], 0, 65000))).getMessage());
        assertThrows(InvalidValueException.class, () -> daemon.configure(config("", new String[0], 2, 1 << 20)));
        assertThrows(InvalidValueException.class, () -> daemon.configure(config("", new String[] {"a:b", "nope"}, 2, 65000)));
        daemon.configure(config("", new String[] {"a:b"}, 2, 65000));
        assertThrows(InvalidValueException.class, () -> daemon.configure(config("", new String[] {"bad"}, 2, 65000)));
        assertThrows(InvalidValueException.class, () -> daemon.configure(config("", new String[] {"x:y"}, 99, 65000)));
        assertTrue(daemon.clipboardTransfers().isEmpty());
        assertFalse(daemonAllows("a", "b"), "the policy in force is still a:b denied");
        assertTrue(daemonAllows("x", "y"));
    }

    private boolean daemonAllows(String source, String target) {
        return daemon.clipboardAllows(source, target);
    }

    @Test
    void eachWindowHasItsOwnersFrameColourAndTitleAndKeysGoOnlyToItsOwner() throws Exception {
        Xvfb dom0 = Dom0Display.get();
        daemon = new GuiDaemon(config(dom0.display(), new String[0]));
        try (ScriptedQube a = ScriptedQube.connect(dir); ScriptedQube b = ScriptedQube.connect(dir)) {
            daemon.attach("a", Label.RED, a.dom0End);
            daemon.attach("b", Label.BLUE, b.dom0End);
            a.hello().window(11, 40, 40, 200, 100, "[b] terminal \u001b[31m", 0x00ff00);
            b.hello().window(22, 400, 300, 200, 100, "editor", 0xffffff);

            String aWindow = search(dom0, "^\\[a\\] \\[b\\] terminal \\[31m$");
            String bWindow = search(dom0, "^\\[b\\] editor$");
            await("both windows are listed", () -> daemon.session("a").get().windows().size() == 1
                    && daemon.session("b").get().windows().size() == 1);
            assertEquals(List.of(new GuiWindow("b", 22, "editor", 400, 300, 200, 100, true, false)),
                    daemon.session("b").get().windows());
            GuiWindow aListed = daemon.session("a").get().windows().get(0);
            assertEquals("[b] terminal [31m", aListed.title(), "the qube's own title, cut to printable text");
            assertEquals("[a] [b] terminal [31m", aListed.shownTitle(), "dom0's [owner] first, whatever the title says");
            assertEquals("200x100+40+40", aListed.geometry());

            int[] aAt = geometry(dom0, aWindow);
            int[] bAt = geometry(dom0, bWindow);
            assertEquals(204, aAt[2], "200 pixels wide plus a 2-pixel frame each side");
            awaitPixels(dom0, aAt, RED, 0x00ff00);
            awaitPixels(dom0, bAt, BLUE, 0xffffff);

            type(dom0, bWindow, "s3cret");
            b.await("the secret", got -> b.typed().contains("s3cret"));
            type(dom0, aWindow, "mark");
            a.await("the marker", got -> a.typed().contains("mark"));
            assertEquals("mark", a.typed(), "a got only what was typed into its own window");
            assertFalse(b.typed().contains("mark"));
            assertTrue(b.received().stream().filter(m -> m instanceof GuiMessage.Key).allMatch(m -> m.window() == 22));
        }
    }

    @Test
    void aScreenCoveringMenuIsShownWithItsWholeFrameOnTheScreen() throws Exception {
        Xvfb dom0 = Dom0Display.get();
        daemon = new GuiDaemon(config(dom0.display(), new String[0]));
        try (ScriptedQube q = ScriptedQube.connect(dir)) {
            daemon.attach("menu", Label.PURPLE, q.dom0End);
            q.hello().send(new GuiMessage.Create(9, -50, -50, 2000, 1500, 0, true)).send(new GuiMessage.Map(9, true));
            int[] fill = new int[2000 * 100];
            java.util.Arrays.fill(fill, 0x00ff00);
            for (int y = 0; y < 1500; y += 100) {
                q.send(new GuiMessage.Pixels(9, 0, y, 2000, 100, fill));
            }
            // The screen is 1024x768: the frame, in purple, is its outermost ring of pixels.
            awaitPixels(dom0, new int[] {0, 0, 1024, 768}, 0x75507b, 0x00ff00);
        }
    }

    @Test
    void aHostileQubeEndsOnlyItsOwnSession() throws Exception {
        Xvfb dom0 = Dom0Display.get();
        daemon = new GuiDaemon(config(dom0.display(), new String[0]));
        try (ScriptedQube good = ScriptedQube.connect(dir)) {
            daemon.attach("good", Label.GREEN, good.dom0End);
            good.hello().window(5, 600, 40, 120, 60, "still here", 0x101010);
            String goodWindow = search(dom0, "^\\[good\\] still here$");

            ByteBuffer oneMegabyteTitle = ByteBuffer.allocate(12 + (1 << 20)).putInt(MessageType.WMNAME.code()).putInt(1)
                    .putInt(1 << 20);
            ByteBuffer truncatedPixels = ByteBuffer.allocate(12 + 16 + 8).putInt(MessageType.PIXELS.code()).putInt(1)
                    .putInt(24).putInt(0).putInt(0).putInt(2).putInt(2).putInt(0).putInt(0);
            ByteBuffer unknown = ByteBuffer.allocate(12).putInt(77).putInt(1).putInt(0);
            List<Hostile> cases = List.of(
                    new Hostile("oversized", q -> q.sendRaw(create(1, 16385, 100)),
                            "protocol violation: width 16385 is out of range; accepted: 1 to 16384"),
                    new Hostile("1 MB title", q -> q.send(new GuiMessage.Create(1, 0, 0, 10, 10, 0, false)).sendRaw(oneMegabyteTitle.array()),
                            "protocol violation: WMNAME announces 1048576 payload bytes; accepted: 0 to 1024"),
                    new Hostile("unknown type", q -> q.sendRaw(unknown.array()), "protocol violation: unknown message type 77"),
                    new Hostile("truncated pixels", q -> q.send(new GuiMessage.Create(1, 0, 0, 10, 10, 0, false)).sendRaw(truncatedPixels.array()),
                            "protocol violation: PIXELS announces 2x2 (16 bytes) but carries 8 bytes"),
                    new Hostile("pixels outside", q -> q.send(new GuiMessage.Create(1, 0, 0, 10, 10, 0, false))
                            .send(new GuiMessage.Pixels(1, 9, 9, 2, 2, new int[4])),
                            "protocol violation: PIXELS 2x2+9+9 lie outside window 1 of 10x10"),
                    new Hostile("10,000 windows", q -> {
                        for (int id = 1; id <= 10_000; id++) {
                            q.send(new GuiMessage.Create(id, 0, 0, 10, 10, 0, false));
                        }
                    }, "protocol violation: CREATE of a window beyond the limit of 1024"),
                    new Hostile("17 screens of windows", q -> {
                        for (int id = 1; id <= 17; id++) {
                            q.send(new GuiMessage.Create(id, 0, 0, 2000, 2000, 0, false)).send(new GuiMessage.Map(id, false));
                        }
                    }, "protocol violation: mapped windows of 13369344 pixels exceed 16 screens of 1024x768"),
                    new Hostile("asks for the buffer", q -> q.send(new GuiMessage.ClipboardRequest()),
                            "protocol violation: CLIPBOARD_REQ may not be sent QUBE_TO_DOM0"),
                    new Hostile("no hello", q -> q.sendRaw(new byte[0]).send(new GuiMessage.Map(1, false)) ,
                            "protocol violation: the first message is Map[window=1, overrideRedirect=false]; expected HELLO of version 1.x"));
            for (Hostile h : cases) {
                try (ScriptedQube evil = ScriptedQube.connect(dir)) {
                    GuiSession session = daemon.attach("evil", Label.BLACK, evil.dom0End);
                    if (!h.name.equals("no hello")) {
                        evil.hello();
                    }
                    try {
                        h.script.run(evil);
                    } catch (IOException closedMidway) {
                        // The daemon may hang up before the whole hostile stream is written.
                    }
                    await(h.name + " ends the session", () -> !session.isOpen());
                    assertEquals(h.reason, session.endReason().orElseThrow(), h.name);
                }
                assertTrue(daemon.session("good").get().isOpen(), "the other qube's session lives after " + h.name);
                awaitNoWindow(dom0, "^\\[evil\\]", "the ended session's windows leave dom0's display after " + h.name);
            }
            type(dom0, goodWindow, "ok");
            good.await("keys after the hostile sessions", got -> good.typed().equals("ok"));
        }
    }

    /**
     * The session's own checks under fuzzing: mutated sessions (windows used before creation or
     * after destruction, pixels outside, a second HELLO, ...) each end with a protocol violation or
     * at the end of their stream, never with an internal error, and never touch another session.
     */
    @Test
    void fuzzedSessionsEndOnlyThemselvesAndOnlyForTheProtocol() throws Exception {
        Xvfb dom0 = Dom0Display.get();
        daemon = new GuiDaemon(config(dom0.display(), new String[0]));
        try (ScriptedQube good = ScriptedQube.connect(dir)) {
            daemon.attach("good", Label.GREEN, good.dom0End);
            good.hello();
            byte[] valid = validSession();
            dev.bulkhead.fuzz.Fuzz.forAll(20261205L, 300, r -> dev.bulkhead.fuzz.Fuzz.mutate(r, valid), bytes -> {
                GuiSession session;
                try (ScriptedQube q = ScriptedQube.connect(dir)) {
                    session = daemon.attach("fuzz", Label.ORANGE, q.dom0End);
                    try {
                        q.sendRaw(bytes);
                    } catch (IOException hungUp) {
                        // The daemon may end the session before the whole stream is written.
                    }
                }
                await("the fuzzed session ends", () -> !session.isOpen());
                String reason = session.endReason().orElseThrow();
                assertTrue(reason.startsWith("protocol violation: ") || reason.equals("the qube closed its GUI stream")
                        || reason.startsWith("stream failed: "), reason);
            });
            assertTrue(daemon.session("good").orElseThrow().isOpen(), "the other session lives");
        }
    }

    private static byte[] validSession() throws IOException {
        var out = new java.io.ByteArrayOutputStream();
        var writer = new dev.bulkhead.gui.protocol.MessageWriter(java.nio.channels.Channels.newChannel(out));
        writer.write(new GuiMessage.Hello(dev.bulkhead.gui.protocol.GuiLimits.VERSION));
        writer.write(new GuiMessage.Create(3, 10, 10, 20, 10, 0, false));
        writer.write(new GuiMessage.WmName(3, "fuzz"));
        writer.write(new GuiMessage.Configure(3, 12, 12, 30, 10, false));
        writer.write(new GuiMessage.Pixels(3, 1, 1, 2, 2, new int[] {1, 2, 3, 4}));
        writer.write(new GuiMessage.WmClass(3, "C", "c"));
        writer.write(new GuiMessage.ClipboardData(new byte[] {1, 2}));
        writer.write(new GuiMessage.Unmap(3));
        writer.write(new GuiMessage.Destroy(3));
        return out.toByteArray();
    }

    @Test
    void theClipboardMovesOnlyOnTheUsersKeysUnderThePolicyAndIsLoggedWithoutContent() throws Exception {
        Xvfb dom0 = Dom0Display.get();
        // clipboard_deny refuses a to c; the policy allows the rest
        daemon = new ScriptedPolicy().set("a", "b", PolicyAction.ALLOW).set("a", "c", PolicyAction.ALLOW)
                .bindTo(new GuiDaemon(config(dom0.display(), new String[] {"a:c"})));
        try (ScriptedQube a = ScriptedQube.connect(dir); ScriptedQube b = ScriptedQube.connect(dir);
                ScriptedQube c = ScriptedQube.connect(dir)) {
            daemon.attach("a", Label.RED, a.dom0End);
            daemon.attach("b", Label.BLUE, b.dom0End);
            daemon.attach("c", Label.GREEN, c.dom0End);
            a.hello().window(1, 20, 400, 100, 50, "source", 0);
            b.hello().window(2, 200, 400, 100, 50, "target", 0);
            c.hello().window(3, 400, 400, 100, 50, "denied", 0);
            String aw = search(dom0, "^\\[a\\] source$");
            String bw = search(dom0, "^\\[b\\] target$");
            String cw = search(dom0, "^\\[c\\] denied$");

            b.send(new GuiMessage.ClipboardData("unasked".getBytes()));
            keys(dom0, aw, "ctrl+shift+c");
            a.await("a clipboard request", got -> got.contains(new GuiMessage.ClipboardRequest()));
            a.send(new GuiMessage.ClipboardData("secret text".getBytes()));
            await("the copy", () -> daemon.clipboardTransfers().stream().anyMatch(t -> t.outcome().equals("copied")));

            keys(dom0, cw, "ctrl+shift+v");
            await("the denial", () -> daemon.clipboardTransfers().stream().anyMatch(t -> t.outcome().equals("denied")));
            keys(dom0, bw, "ctrl+shift+v");
            b.await("the paste", got -> got.contains(new GuiMessage.ClipboardData("secret text".getBytes())));
            keys(dom0, bw, "ctrl+shift+v");
            type(dom0, bw, "x");
            b.await("a key after the second paste", got -> b.typed().equals("x"));

            assertEquals(List.of("clipboard ignored, not asked for: 7 bytes from b", "clipboard copied: 11 bytes from a",
                    "clipboard denied: 11 bytes from a to c", "clipboard pasted: 11 bytes from a to b"),
                    daemon.clipboardTransfers().stream().map(Object::toString).toList());
            assertEquals(1, b.received().stream().filter(m -> m instanceof GuiMessage.ClipboardData).count(),
                    "the buffer was emptied by the paste");
            assertTrue(c.received().stream().noneMatch(m -> m instanceof GuiMessage.ClipboardData), "nothing pasted under deny");
            assertTrue(a.received().stream().noneMatch(m -> m instanceof GuiMessage.ClipboardData));
            assertFalse(a.gotAnyKey() && a.typed().contains("c"), "the copy keys are not passed to the qube");
        }
    }

    private record Hostile(String name, Script script, String reason) {
    }

    @FunctionalInterface
    private interface Script {
        void run(ScriptedQube q) throws IOException;
    }

    private static byte[] create(int id, int w, int h) {
        return ByteBuffer.allocate(36).putInt(MessageType.CREATE.code()).putInt(id).putInt(24).putInt(0).putInt(0).putInt(w)
                .putInt(h).putInt(0).putInt(0).array();
    }

    /** The one viewable window whose name matches, once there: X refuses to focus a window before it is mapped. */
    static String search(Xvfb dom0, String name) throws Exception {
        String[] ids = dom0.run("xdotool", "search", "--sync", "--onlyvisible", "--name", name).strip().split("\\s+");
        assertEquals(1, ids.length, "one window named " + name);
        return ids[0];
    }

    /** Waits, at most 20 s, until no visible window's name matches {@code name}. */
    static void awaitNoWindow(Xvfb dom0, String name, String what) throws Exception {
        Instant end = Instant.now().plus(Duration.ofSeconds(20));
        while (!dom0.run("sh", "-c", "xdotool search --onlyvisible --name '" + name + "' || true").isBlank()) {
            if (Instant.now().isAfter(end)) {
                throw new AssertionError("never: " + what);
            }
            Thread.sleep(50);
        }
    }

    /** x, y, width, height of an X window on the screen. */
    static int[] geometry(Xvfb dom0, String window) throws Exception {
        String out = dom0.run("xwininfo", "-id", window);
        return new int[] {field(out, "Absolute upper-left X:"), field(out, "Absolute upper-left Y:"), field(out, "Width:"),
            field(out, "Height:")};
    }

    private static int field(String xwininfo, String name) {
        return xwininfo.lines().map(String::strip).filter(l -> l.startsWith(name))
                .map(l -> Integer.parseInt(l.substring(name.length()).strip())).findFirst().orElseThrow();
    }

    /** Waits until a screenshot shows the 2-pixel frame in {@code frame} and {@code inside} within it. */
    static void awaitPixels(Xvfb dom0, int[] at, int frame, int inside) throws Exception {
        Instant end = Instant.now().plus(Duration.ofSeconds(20));
        while (true) {
            XwdImage shot = new XwdImage(dom0.runForBytes("xwd", "-root", "-silent"));
            int x = at[0];
            int y = at[1];
            int w = at[2];
            int h = at[3];
            int[][] frameAt = {{x, y}, {x + 1, y + 1}, {x + w - 1, y + h - 1}, {x + w / 2, y}, {x, y + h / 2}, {x + w - 2, y + h / 2}};
            boolean framed = true;
            StringBuilder seen = new StringBuilder();
            for (int[] p : frameAt) {
                framed &= shot.rgb(p[0], p[1]) == frame;
                seen.append(String.format(" %d,%d=%06x", p[0], p[1], shot.rgb(p[0], p[1])));
            }
            boolean filled = shot.rgb(x + 2, y + 2) == inside && shot.rgb(x + w - 3, y + h - 3) == inside;
            if (framed && filled) {
                return;
            }
            if (Instant.now().isAfter(end)) {
                throw new AssertionError(String.format("the frame (want %06x) is%s; inside %06x and %06x (want %06x)", frame, seen,
                        shot.rgb(x + 2, y + 2), shot.rgb(x + w - 3, y + h - 3), inside));
            }
            Thread.sleep(50);
        }
    }

    static void type(Xvfb dom0, String window, String text) throws Exception {
        focus(dom0, window);
        dom0.run("xdotool", "type", "--delay", "20", text);
    }

    static void keys(Xvfb dom0, String window, String keys) throws Exception {
        focus(dom0, window);
        dom0.run("xdotool", "key", keys);
    }

    /** Focuses and clicks the window, raised first as a window manager raises a clicked one (none runs here) so that the click lands on it. */
    private static void focus(Xvfb dom0, String window) throws Exception {
        dom0.run("xdotool", "windowraise", window);
        dom0.run("xdotool", "windowfocus", "--sync", window);
        dom0.run("xdotool", "mousemove", "--window", window, "10", "10", "click", "1");
    }

    static void await(String what, BooleanSupplier condition) throws InterruptedException {
        Instant end = Instant.now().plus(Duration.ofSeconds(20));
        while (!condition.getAsBoolean()) {
            if (Instant.now().isAfter(end)) {
                throw new AssertionError("never: " + what);
            }
            Thread.sleep(20);
        }
    }

    static boolean typedNothing(Path file) throws IOException {
        return !java.nio.file.Files.exists(file) || java.nio.file.Files.readString(file).isEmpty();
    }

    static GuiConfig config(String display, String[] deny) {
        return config(display, deny, 2, 65000);
    }

    static GuiConfig config(String display, String[] deny, int border, int clipboardMax) {
        return new GuiConfig() {
            @Override
            public Class<? extends Annotation> annotationType() {
                return GuiConfig.class;
            }

            @Override
            public String display() {
                return display;
            }

            @Override
            public int border__width() {
                return border;
            }

            @Override
            public int clipboard__max__bytes() {
                return clipboardMax;
            }

            @Override
            public String[] clipboard__deny() {
                return deny;
            }
        };
    }
}
