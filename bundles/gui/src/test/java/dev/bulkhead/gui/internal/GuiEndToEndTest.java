package dev.bulkhead.gui.internal;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import dev.bulkhead.api.Label;
import dev.bulkhead.api.policy.PolicyAction;

/**
 * Keystroke isolation with real X servers and the real agent: first the control experiment shows
 * that {@code xinput} sees what is typed into another client of the same display; then, with
 * qubes a and b each on a display of its own behind the daemon, what is typed into b's window on
 * dom0's display reaches b's program, a's {@code xinput} sees none of it, and what is typed into
 * a window of dom0's own reaches no qube.
 */
class GuiEndToEndTest {
    private static final String SECRET = "s3cRet!";

    @TempDir
    Path dir;
    private final List<AutoCloseable> cleanup = new ArrayList<>();

    @AfterEach
    void stop() throws Exception {
        for (int i = cleanup.size() - 1; i >= 0; i--) {
            cleanup.get(i).close();
        }
    }

    @Test
    void onOneDisplayXinputRecordsWhatIsTypedIntoAnotherClient() throws Exception {
        Xvfb shared = own(Xvfb.start());
        Path typed = dir.resolve("typed");
        Path sniffed = dir.resolve("sniffed");
        spawn(shared.spawn(dir.resolve("recorder.log"), java(), "-cp", classpath(), KeyRecorder.class.getName(),
                typed.toString(), "victim", "#ffffff"));
        spawn(shared.spawn(sniffed, "xinput", "test-xi2", "--root"));
        String victim = GuiDaemonTest.search(shared, "^victim$");
        awaitFile(sniffed, "xinput listening", s -> s.contains("EVENT type"), () -> shared.run("xdotool", "mousemove", "1", "1"));

        GuiDaemonTest.type(shared, victim, SECRET);

        awaitFile(typed, "the secret typed", s -> s.equals(SECRET), null);
        awaitFile(sniffed, "the sniffed keys", s -> count(s, "(RawKeyPress)") >= SECRET.length(), null);
    }

    @Test
    void keysTypedIntoBsWindowReachOnlyBAndIntoADom0WindowNeither() throws Exception {
        Xvfb dom0 = Dom0Display.get();
        GuiDaemon daemon = new GuiDaemon(GuiDaemonTest.config(dom0.display(), new String[0]));
        cleanup.add(daemon::stop);
        Path aTyped = dir.resolve("a-typed");
        Path bTyped = dir.resolve("b-typed");
        Path aSniffed = dir.resolve("a-sniffed");
        Xvfb a = qube(daemon, "a", Label.RED, aTyped);
        qube(daemon, "b", Label.BLUE, bTyped);
        spawn(a.spawn(aSniffed, "xinput", "test-xi2", "--root"));
        awaitFile(aSniffed, "xinput listening in a", s -> s.contains("EVENT type"), () -> a.run("xdotool", "mousemove", "1", "1"));

        String aWindow = GuiDaemonTest.search(dom0, "^\\[a\\] notes-a$");
        String bWindow = GuiDaemonTest.search(dom0, "^\\[b\\] notes-b$");
        GuiDaemonTest.awaitPixels(dom0, GuiDaemonTest.geometry(dom0, aWindow), 0xcc0000, 0xeeeeee);
        GuiDaemonTest.awaitPixels(dom0, GuiDaemonTest.geometry(dom0, bWindow), 0x3465a4, 0xeeeeee);

        GuiDaemonTest.type(dom0, bWindow, SECRET);
        awaitFile(bTyped, "the secret in b", s -> s.equals(SECRET), null);
        GuiDaemonTest.type(dom0, aWindow, "zz");
        awaitFile(aTyped, "the marker in a", s -> s.equals("zz"), null);

        Path dom0Typed = dir.resolve("dom0-typed");
        spawn(dom0.spawn(dir.resolve("dom0-recorder.log"), java(), "-cp", classpath(), KeyRecorder.class.getName(),
                dom0Typed.toString(), "dom0-notes", "#ffffff", "720"));
        GuiDaemonTest.type(dom0, GuiDaemonTest.search(dom0, "^dom0-notes$"), "dom0only");
        awaitFile(dom0Typed, "dom0's own window's keys", s -> s.equals("dom0only"), null);

        String sniffed = Files.readString(aSniffed, StandardCharsets.UTF_8);
        assertEquals(2, count(sniffed, "(RawKeyPress)"), "a's xinput saw the two marker keys typed into a, nothing of b's secret");
        assertEquals(SECRET, Files.readString(bTyped), "b got nothing of a's marker");
        assertTrue(daemon.session("a").get().isOpen() && daemon.session("b").get().isOpen());
    }

    @Test
    void keysTypedIntoANewWindowThatHasTheFocusReachItsQubeWithoutAClickInside() throws Exception {
        Xvfb dom0 = Dom0Display.get();
        GuiDaemon daemon = new GuiDaemon(GuiDaemonTest.config(dom0.display(), new String[0]));
        cleanup.add(daemon::stop);
        Path aTyped = dir.resolve("a-typed");
        Path bTyped = dir.resolve("b-typed");
        qube(daemon, "a", Label.RED, aTyped);
        GuiDaemonTest.search(dom0, "^\\[a\\] notes-a$");
        qube(daemon, "b", Label.BLUE, bTyped);
        GuiDaemonTest.search(dom0, "^\\[b\\] notes-b$");
        // A new window gets the focus as it appears (here AWT asks for it; a window manager gives it): the user types at once.
        GuiDaemonTest.await("b's new window focused in dom0", () -> focusedTitle().equals("[b] notes-b"));

        dom0.run("xdotool", "type", "--delay", "20", "at once");

        awaitFile(bTyped, "the keys in b", s -> s.equals("at once"), null);
        assertTrue(GuiDaemonTest.typedNothing(aTyped), "a got nothing typed into b's window");
    }

    /** The title of the window of this JVM (the daemon's) that AWT gives the keys to, or "" for none. */
    private static String focusedTitle() {
        java.awt.Window w = java.awt.KeyboardFocusManager.getCurrentKeyboardFocusManager().getFocusedWindow();
        return w instanceof java.awt.Frame f ? f.getTitle() : "";
    }

    @Test
    void theClipboardGoesFromAToBOnTheUsersKeysAsThePolicySays() throws Exception {
        Xvfb dom0 = Dom0Display.get();
        ScriptedPolicy policy = new ScriptedPolicy().set("a", "b", PolicyAction.DENY);
        GuiDaemon daemon = policy.bindTo(new GuiDaemon(GuiDaemonTest.config(dom0.display(), new String[0])));
        cleanup.add(daemon::stop);
        Xvfb a = qube(daemon, "a", Label.RED, dir.resolve("a-typed"));
        Xvfb b = qube(daemon, "b", Label.BLUE, dir.resolve("b-typed"));
        Path owner = dir.resolve("a-clipboard");
        spawn(a.spawn(owner, java(), "-cp", classpath(), ClipboardTool.class.getName(), "own", "from a \u00e9"));
        awaitFile(owner, "a owning its clipboard", s -> s.contains("owned"), null);
        String aWindow = GuiDaemonTest.search(dom0, "^\\[a\\] notes-a$");
        String bWindow = GuiDaemonTest.search(dom0, "^\\[b\\] notes-b$");

        GuiDaemonTest.keys(dom0, aWindow, "ctrl+shift+c");
        GuiDaemonTest.await("the copy from a", () -> daemon.clipboardTransfers().toString().contains("copied: 9 bytes from a"));

        GuiDaemonTest.keys(dom0, bWindow, "ctrl+shift+v");
        GuiDaemonTest.await("the denial", () -> daemon.clipboardTransfers().toString().contains("denied: 9 bytes from a to b"));
        assertEquals("", b.run(java(), "-cp", classpath(), ClipboardTool.class.getName(), "print"), "nothing pasted under deny");

        policy.set("a", "b", PolicyAction.ASK);
        GuiDaemonTest.keys(dom0, bWindow, "ctrl+shift+v");
        GuiDaemonTest.await("the prompt", () -> policy.pending().size() == 1);
        assertEquals("", b.run(java(), "-cp", classpath(), ClipboardTool.class.getName(), "print"), "nothing pasted before the answer");
        policy.answer(policy.pending().get(0).id(), true, "b", "gui");
        GuiDaemonTest.await("the paste", () -> daemon.clipboardTransfers().toString().contains("pasted: 9 bytes from a to b"));
        assertEquals("from a \u00e9", awaitOutput(b, "print"), "b's programs read what a copied");
        assertTrue(GuiDaemonTest.typedNothing(dir.resolve("a-typed")) && GuiDaemonTest.typedNothing(dir.resolve("b-typed")),
                "the clipboard keys reached neither qube's program");
    }

    @Test
    void closingAWindowInDom0AsksItsProgramToCloseAndTheWindowLeaves() throws Exception {
        Xvfb dom0 = Dom0Display.get();
        GuiDaemon daemon = new GuiDaemon(GuiDaemonTest.config(dom0.display(), new String[0]));
        cleanup.add(daemon::stop);
        Path typed = dir.resolve("a-typed");
        qube(daemon, "a", Label.RED, typed);
        GuiDaemonTest.search(dom0, "^\\[a\\] notes-a$");
        QubeGuiSession session = (QubeGuiSession) daemon.session("a").orElseThrow();

        // What dom0's close button does (no window manager runs on the test display to press it).
        session.close(session.windows().get(0).id());

        awaitFile(typed, "the program asked to close", s -> s.equals("<closed>"), null);
        GuiDaemonTest.awaitNoWindow(dom0, "^\\[a\\]", "a's closed window leaves dom0's display");
        GuiDaemonTest.await("a's window list empty", () -> session.windows().isEmpty());
    }

    @Test
    void aQubeWithMoreWindowsThanTheLimitKeepsItsGui() throws Exception {
        Xvfb dom0 = Dom0Display.get();
        GuiDaemon daemon = new GuiDaemon(GuiDaemonTest.config(dom0.display(), new String[0]));
        cleanup.add(daemon::stop);
        Xvfb a = qube(daemon, "a", Label.RED, dir.resolve("a-typed"));
        Path shown = dir.resolve("many");
        spawn(a.spawn(shown, java(), "-cp", classpath(), ManyWindows.class.getName(), "1100"));
        awaitFile(shown, "1100 windows in a", s -> s.contains("shown"), null);

        GuiDaemonTest.await("1024 windows of a listed", () -> daemon.session("a").orElseThrow().windows().size() == 1024);
        assertTrue(daemon.session("a").orElseThrow().isOpen(), "the agent shows at most the limit, so the session lives");
    }

    /** The output of the clipboard tool on {@code display} once it is not empty, within 20 s. */
    private static String awaitOutput(Xvfb display, String command) throws Exception {
        Instant end = Instant.now().plus(Duration.ofSeconds(120));
        while (true) {
            String out = display.run(java(), "-cp", classpath(), ClipboardTool.class.getName(), command);
            if (!out.isEmpty() || Instant.now().isAfter(end)) {
                return out;
            }
        }
    }

    /** A qube: its own Xvfb, a key recorder window on it, and the agent joined to the daemon by a unix socket. */
    private Xvfb qube(GuiDaemon daemon, String name, Label label, Path typed) throws Exception {
        Xvfb display = own(Xvfb.start());
        spawn(display.spawn(dir.resolve(name + "-recorder.log"), java(), "-cp", classpath(), KeyRecorder.class.getName(),
                typed.toString(), "notes-" + name, "#eeeeee", name.equals("a") ? "30" : "400"));
        GuiDaemonTest.search(display, "^notes-" + name + "$");
        Path socket = Files.createDirectory(dir.resolve(name + "-channel")).resolve("gui");
        ServerSocketChannel server = ServerSocketChannel.open(StandardProtocolFamily.UNIX);
        server.bind(UnixDomainSocketAddress.of(socket));
        cleanup.add(server);
        spawn(new ProcessBuilder(java(), "-cp", classpath(), "dev.bulkhead.gui.agent.GuiAgent", "--display", display.display(),
                "--channel", socket.toString()).redirectErrorStream(true).redirectOutput(dir.resolve(name + "-agent.log").toFile())
                .start());
        SocketChannel stream = server.accept();
        daemon.attach(name, label, stream);
        return display;
    }

    private Xvfb own(Xvfb x) {
        cleanup.add(x);
        return x;
    }

    private void spawn(Process p) {
        cleanup.add(() -> {
            p.destroy();
            p.waitFor();
        });
    }

    private static String java() {
        return Path.of(System.getProperty("java.home"), "bin", "java").toString();
    }

    private static String classpath() {
        return System.getProperty("java.class.path");
    }

    private static int count(String text, String what) {
        return (text.length() - text.replace(what, "").length()) / what.length();
    }

    @FunctionalInterface
    private interface Action {
        void run() throws Exception;
    }

    /** Waits, at most 20 s, until the file's text holds {@code condition}, doing {@code nudge} between looks. */
    private static void awaitFile(Path file, String what, java.util.function.Predicate<String> condition, Action nudge)
            throws Exception {
        Instant end = Instant.now().plus(Duration.ofSeconds(120));
        while (true) {
            String text = Files.exists(file) ? Files.readString(file, StandardCharsets.UTF_8) : "";
            if (condition.test(text)) {
                return;
            }
            if (Instant.now().isAfter(end)) {
                throw new AssertionError("never " + what + "; " + file.getFileName() + " holds: " + text);
            }
            if (nudge != null) {
                nudge.run();
            }
            Thread.sleep(50);
        }
    }
}
