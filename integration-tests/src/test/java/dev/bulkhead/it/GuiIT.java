package dev.bulkhead.it;

import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertThrows;
import static org.junit.Assert.assertTrue;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Dictionary;
import java.util.Hashtable;
import java.util.List;
import java.util.Map;
import java.util.function.Supplier;

import org.junit.Test;
import org.osgi.service.cm.ConfigurationAdmin;

import dev.bulkhead.api.EventVetoedException;
import dev.bulkhead.api.InvalidValueException;
import dev.bulkhead.api.Label;
import dev.bulkhead.api.QubeClass;
import dev.bulkhead.api.QubeSpec;
import dev.bulkhead.api.gui.GuiService;
import dev.bulkhead.api.gui.GuiSession;
import dev.bulkhead.api.host.HostCommands;

/**
 * The GUI on the real platform: qubes a (red) and b (blue) on the Debian template, each with the
 * feature gui, show their windows on dom0's display, an Xvfb of the test's own, through the agent the
 * platform starts inside them. What is typed into b's window reaches b's program, and a's
 * {@code xinput test-xi2 --root}, which on one shared display records every key, sees none of it;
 * what is typed into a's window reaches a's program only; what is typed into a window of dom0's own
 * reaches neither. An xterm in b shows its window and runs what is typed into it. A screenshot of
 * dom0's display shows each window in a frame of its qube's label colour, titled {@code [qube] ...}.
 * One test: the template is unpacked once.
 */
public class GuiIT extends BulkheadTestSupport {
    private static final String GUI_PID = "dev.bulkhead.gui";
    private static final String SECRET = "s3cRet!";
    private static final String MARKER = "m4rk";
    private static final String DOM0_TEXT = "dom0only";
    /** What an xev key recorder writing to /tmp/keys got: what its key presses give (not their releases), modifiers giving nothing. */
    private static final String TYPED_TEXT = "awk '/^KeyPress/ {p = 1} /^KeyRelease/ {p = 0} p' /tmp/keys"
            + " | sed -n 's/^ *XLookupString gives [1-9] bytes: ([0-9a-f ]*) \"\\(.*\\)\"$/\\1/p' | tr -d '\\n'";
    /** dom0's display: AWT binds the test JVM to one display for its life, so it lives as long as the JVM. */
    private static String dom0;

    @Override
    protected List<String> bundles() {
        List<String> bundles = new ArrayList<>(BUNDLES);
        bundles.addAll(List.of("jna", "dev.bulkhead.gui.protocol", "dev.bulkhead.gui"));
        return bundles;
    }

    @Test
    public void keysTypedIntoOneQubesWindowReachOnlyItAndEachWindowHasItsQubesFrameAndTitle() throws Exception {
        String installed = shell("qvm:template install " + DebianTemplateIT.debianTemplate());
        assertTrue(installed, installed.contains("installed " + DebianTemplateIT.DEBIAN + " "));
        admin().create(new QubeSpec("a", QubeClass.AppVM, Label.RED, Map.of("template", DebianTemplateIT.DEBIAN)));
        admin().create(new QubeSpec("b", QubeClass.AppVM, Label.BLUE, Map.of("template", DebianTemplateIT.DEBIAN)));
        InvalidValueException badValue = assertThrows(InvalidValueException.class, () -> admin().setFeature("a", "gui", "yes"));
        assertTrue(badValue.getMessage(), badValue.getMessage().contains("invalid gui 'yes'"));
        admin().setFeature("a", "gui", "1");
        admin().setFeature("b", "gui", "True");

        GuiService gui = service(GuiService.class, null);
        EventVetoedException refused = assertThrows(EventVetoedException.class, () -> admin().start("a"));
        assertTrue(refused.getMessage(), refused.getMessage().contains("dom0 has no display for its windows"));
        assertEquals("a stays halted", "Halted", admin().get("a").state().name());

        String display = dom0Display();
        configureDisplay(display);
        awaitTrue("a to start once dom0 has a display", QUBE_TIMEOUT, () -> startsNow("a"), () -> admin().get("a").state().name());
        admin().start("b");
        awaitTrue("a's and b's GUI sessions", QUBE_TIMEOUT, () -> isOpen(gui, "a") && isOpen(gui, "b"),
                () -> gui.sessions() + "; a's agent: " + run("a", "cat", "/tmp/gui-agent.log").stdoutText());

        // Each qube's key recorder, printing every event as it comes; side by side, since no window manager places them.
        for (String qube : new String[] {"a", "b"}) {
            runOk(qube, "sh", "-c", "DISPLAY=:0 stdbuf -oL xev -name notes-" + qube + " -geometry 200x200+" + (qube.equals("a") ? 30 : 400)
                    + "+30 -event keyboard </dev/null >/tmp/keys 2>&1 &");
        }
        runOk("a", "sh", "-c", "DISPLAY=:0 xinput test-xi2 --root </dev/null >/tmp/sniffed 2>&1 &");
        awaitTrue("a's xinput listening", QUBE_TIMEOUT, () -> {
            run("a", "sh", "-c", "DISPLAY=:0 xdotool mousemove 700 700");
            return run("a", "cat", "/tmp/sniffed").stdoutText().contains("EVENT type");
        }, () -> run("a", "cat", "/tmp/sniffed").stdoutText());

        String aWindow = search(gui, display, "^\\[a\\] notes-a$", () -> inside("a"));
        String bWindow = search(gui, display, "^\\[b\\] notes-b$", () -> inside("b"));
        type(display, bWindow, SECRET);
        awaitTrue("the secret in b's program", QUBE_TIMEOUT, () -> SECRET.equals(typed("b")), () -> run("b", "cat", "/tmp/keys").stdoutText());
        String sniffed = runOk("a", "cat", "/tmp/sniffed");
        assertEquals("a's xinput saw no key of b's secret: " + sniffed, 0, count(sniffed, "(RawKeyPress)"));
        assertEquals("a's program got nothing", "", typed("a"));

        type(display, aWindow, MARKER);
        awaitTrue("the marker in a's program", QUBE_TIMEOUT, () -> MARKER.equals(typed("a")),
                () -> run("a", "sh", "-c", "cat /tmp/keys /tmp/gui-agent.log; DISPLAY=:0 xdotool getwindowfocus").stdoutText());
        assertEquals("b's program got nothing of a's marker", SECRET, typed("b"));
        assertEquals("a's xinput saw a's own keys", MARKER.length(), count(runOk("a", "cat", "/tmp/sniffed"), "(RawKeyPress)"));

        Path dom0Keys = Files.createTempFile("bulkhead-dom0-keys", ".txt");
        // dom0's own window lies over a's, as windows do on a desktop
        Process dom0Notes = new ProcessBuilder("env", "DISPLAY=" + display, "stdbuf", "-oL", "xev", "-name", "dom0-notes", "-geometry",
                "200x200+0+0", "-event", "keyboard").redirectErrorStream(true).redirectOutput(dom0Keys.toFile()).start();
        try {
            type(display, search(gui, display, "^dom0-notes$", () -> HostCommand.run("cat", dom0Keys.toString()).stdout()), DOM0_TEXT);
            awaitTrue("dom0's own window to get what was typed into it", QUBE_TIMEOUT,
                    () -> DOM0_TEXT.equals(HostCommand.run("sh", "-c", TYPED_TEXT.replace("/tmp/keys", dom0Keys.toString())).stdout()),
                    () -> HostCommand.run("cat", dom0Keys.toString()).stdout());
            assertEquals("a's program got nothing typed into dom0's window", MARKER, typed("a"));
            assertEquals("b's program got nothing typed into dom0's window", SECRET, typed("b"));
            assertEquals("a's xinput saw nothing typed into dom0's window", MARKER.length(),
                    count(runOk("a", "cat", "/tmp/sniffed"), "(RawKeyPress)"));

            // back to a's window, from under dom0's: a gets it, and dom0's window nothing more
            type(display, aWindow, MARKER);
            awaitTrue("the marker in a's program again", QUBE_TIMEOUT, () -> (MARKER + MARKER).equals(typed("a")), () -> inside("a"));
            assertEquals("dom0's window got nothing typed into a's", DOM0_TEXT,
                    HostCommand.run("sh", "-c", TYPED_TEXT.replace("/tmp/keys", dom0Keys.toString())).stdout());
        } finally {
            dom0Notes.destroy();
            dom0Notes.waitFor();
            Files.delete(dom0Keys);
        }

        // xterm, started by the qube's root, needs its pseudo-terminal and to set its groups before it runs its shell
        runOk("b", "sh", "-c", "DISPLAY=:0 xterm -T term-b -geometry 40x10+400+300 </dev/null >/tmp/xterm.log 2>&1 &");
        String term = search(gui, display, "^\\[b\\] term-b$", () -> inside("b") + run("b", "cat", "/tmp/xterm.log").stdoutText());
        type(display, term, "touch /tmp/typed-in-xterm\n");
        awaitTrue("the command typed into b's xterm run by its shell", QUBE_TIMEOUT,
                () -> run("b", "test", "-e", "/tmp/typed-in-xterm").exitStatus() == 0, () -> run("b", "cat", "/tmp/xterm.log").stdoutText());

        assertFramed(display, aWindow, 0xcc0000);
        assertFramed(display, bWindow, 0x3465a4);

        admin().kill("a");
        awaitTrue("a's session to end with a", QUBE_TIMEOUT, () -> !isOpen(gui, "a"), () -> gui.sessions().toString());
        awaitTrue("a's window to leave dom0's display", QUBE_TIMEOUT,
                () -> HostCommand.run("env", "DISPLAY=" + display, "xdotool", "search", "--onlyvisible", "--name", "^\\[a\\]").stdout().isBlank(),
                () -> "a's window is still shown");
        assertTrue("b keeps its GUI", isOpen(gui, "b"));
    }

    private boolean startsNow(String qube) {
        try {
            admin().start(qube);
            return true;
        } catch (EventVetoedException e) {
            return false;
        }
    }

    private static boolean isOpen(GuiService gui, String qube) {
        return gui.session(qube).map(GuiSession::isOpen).orElse(false);
    }

    private void configureDisplay(String display) throws IOException {
        awaitService("(objectClass=" + ConfigurationAdmin.class.getName() + ")");
        ConfigurationAdmin configAdmin = context.getService(context.getServiceReference(ConfigurationAdmin.class));
        Dictionary<String, Object> settings = new Hashtable<>(Map.of("display", display));
        configAdmin.getConfiguration(GUI_PID, "?").update(settings);
    }

    /**
     * An Xvfb for dom0, killed once the JVM has exited: it holds the Xvfb's input pipe, and the shell
     * kills Xvfb when the pipe closes.
     */
    private static synchronized String dom0Display() throws IOException {
        if (dom0 == null) {
            // never closed: the JVM's end of the held stdin closes when the JVM exits
            HostCommands.Streaming xvfb = HostCommand.HOST.stream(dev.bulkhead.api.host.HostCommand.of(QUBE_TIMEOUT, "sh", "-c",
                    "Xvfb -displayfd 1 -noreset -nolisten tcp -screen 0 1024x768x24 & x=$!; read -r _; kill $x").withStdinHeldOpen()
                    .withOutputCap(64 * 1024));
            String number = xvfb.nextLine(QUBE_TIMEOUT).orElse("").strip();
            if (!number.matches("[0-9]+")) {
                xvfb.stop();
                throw new IOException("Xvfb did not report a display number within " + QUBE_TIMEOUT.toSeconds() + " s: " + number);
            }
            dom0 = ":" + number;
        }
        return dom0;
    }

    private static String x(String display, String... command) {
        List<String> line = new ArrayList<>(List.of("env", "DISPLAY=" + display));
        line.addAll(List.of(command));
        HostCommand.Result r = HostCommand.run(line.toArray(String[]::new));
        if (r.exitStatus() != 0) {
            throw new AssertionError(line + " failed: " + r.stderr());
        }
        return r.stdout();
    }

    /** The one viewable window whose name matches, once there: X refuses to focus a window before it is mapped. */
    private String search(GuiService gui, String display, String name, Supplier<String> observed) {
        String[] found = new String[1];
        awaitTrue("a window named " + name + " on dom0's display", QUBE_TIMEOUT, () -> {
            found[0] = HostCommand.run("env", "DISPLAY=" + display, "xdotool", "search", "--onlyvisible", "--name", name).stdout().strip();
            return !found[0].isEmpty();
        }, () -> "the daemon's windows: " + gui.sessions().stream().flatMap(s -> s.windows().stream()).toList() + "; " + observed.get());
        String[] ids = found[0].split("\\s+");
        assertEquals("one window named " + name, 1, ids.length);
        return ids[0];
    }

    /** What {@code qube}'s key recorder wrote, its agent's log and its windows. */
    private String inside(String qube) {
        return "in " + qube + ": " + run(qube, "sh", "-c", "cat /tmp/keys /tmp/gui-agent.log; DISPLAY=:0 xwininfo -root -children").stdoutText();
    }

    /** The text {@code qube}'s key recorder (xev) got. */
    private String typed(String qube) {
        return runOk(qube, "sh", "-c", TYPED_TEXT);
    }

    /**
     * Types {@code text} into the window, as a user does after clicking it. The window is raised first, as a window
     * manager raises a clicked window (none runs here), so that the click lands on it and not on a window above.
     */
    private static void type(String display, String window, String text) {
        x(display, "xdotool", "windowraise", window);
        x(display, "xdotool", "windowfocus", "--sync", window);
        x(display, "xdotool", "mousemove", "--window", window, "10", "10", "click", "1");
        x(display, "xdotool", "type", "--delay", "20", text);
    }

    /** A screenshot shows the window's edges in {@code colour}, dom0's frame of the owner's label. */
    private static void assertFramed(String display, String window, int colour) throws IOException {
        String info = x(display, "xwininfo", "-id", window);
        int x = field(info, "Absolute upper-left X:");
        int y = field(info, "Absolute upper-left Y:");
        int w = field(info, "Width:");
        int h = field(info, "Height:");
        Path shot = Files.createTempFile("bulkhead-gui", ".xwd");
        try {
            x(display, "xwd", "-root", "-silent", "-out", shot.toString());
            ByteBuffer image = ByteBuffer.wrap(Files.readAllBytes(shot));
            int[][] frame = {{x, y}, {x + 1, y + 1}, {x + w - 1, y + h - 1}, {x + w / 2, y}, {x, y + h / 2}, {x + w - 2, y + h / 2}};
            for (int[] p : frame) {
                assertEquals("pixel " + p[0] + "," + p[1] + " of " + window + "'s frame", Integer.toHexString(colour),
                        Integer.toHexString(rgb(image, p[0], p[1])));
            }
        } finally {
            Files.delete(shot);
        }
    }

    /** The pixel at (x, y) of an {@code xwd} screenshot in 32-bit TrueColor, as 0xRRGGBB. */
    private static int rgb(ByteBuffer xwd, int x, int y) {
        assertEquals("bits per pixel", 32, xwd.getInt(44));
        ByteOrder order = xwd.getInt(28) == 0 ? ByteOrder.LITTLE_ENDIAN : ByteOrder.BIG_ENDIAN;
        int pixels = xwd.getInt(0) + 12 * xwd.getInt(76);
        return xwd.duplicate().order(order).getInt(pixels + y * xwd.getInt(48) + 4 * x) & 0xffffff;
    }

    private static int field(String xwininfo, String name) {
        return xwininfo.lines().map(String::strip).filter(l -> l.startsWith(name))
                .map(l -> Integer.parseInt(l.substring(name.length()).strip())).findFirst().orElseThrow();
    }

    private static int count(String text, String what) {
        return (text.length() - text.replace(what, "").length()) / what.length();
    }
}
