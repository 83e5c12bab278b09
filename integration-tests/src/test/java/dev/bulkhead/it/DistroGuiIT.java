package dev.bulkhead.it;

import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertTrue;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;

import org.junit.After;
import org.junit.Before;
import org.junit.Test;

import dev.bulkhead.api.host.HostCommandResult;
import dev.bulkhead.api.host.ProcessHostCommands;
import dev.bulkhead.testing.Await;

/**
 * The GUI on the distribution as a user runs it: {@code bin/start}, dom0's display set in
 * {@code etc/dev.bulkhead.gui.cfg}, {@code feature:install gui}, the Debian template, and qubes a (red) and
 * b (blue) with the feature gui, each showing a key recorder on dom0's display (an Xvfb of the test's own)
 * and each running {@code xinput test-xi2 --root}, which on a shared X display records every key typed
 * anywhere on it. What is typed into one qube's window on dom0's display reaches that qube's program, and
 * the other qube's xinput sees no key of it, either way round.
 */
public class DistroGuiIT {
    private static final Duration LIMIT = Duration.ofSeconds(120);
    private static final String TO_A = "4-a!";
    private static final String TO_B = "s3cRet-b";

    private Path home;
    private Process dom0;
    private String display;

    @Before
    public void copyTheDistributionAndStartDom0sDisplay() throws IOException {
        home = DistroCopy.make("bulkhead-gui-");
        // Xvfb writes the display number it took once it accepts clients; it dies with its input, this JVM's pipe.
        dom0 = new ProcessBuilder("sh", "-c", "Xvfb -displayfd 1 -noreset -nolisten tcp -screen 0 1024x768x24 & x=$!; read -r _; kill $x")
                .redirectError(ProcessBuilder.Redirect.DISCARD).start();
        String number = new BufferedReader(new InputStreamReader(dom0.getInputStream(), StandardCharsets.US_ASCII)).readLine();
        if (number == null || !number.strip().matches("[0-9]+")) {
            throw new IOException("Xvfb did not report a display number: " + number);
        }
        display = ":" + number.strip();
    }

    @After
    public void removeIt() throws Exception {
        try {
            if (Files.exists(home.resolve("data/run/bulkhead.pid"))) {
                for (String qube : List.of("a", "b")) {
                    HostCommand.run(bin("client"), "qvm:kill", qube);
                    HostCommand.run(bin("client"), "qvm:remove", qube);
                }
                HostCommand.run(bin("stop"));
            }
        } finally {
            DistroCopy.delete(home);
            dom0.getOutputStream().close();
            dom0.waitFor();
        }
    }

    @Test
    public void keysTypedIntoOneQubesWindowOnDom0sDisplayReachThatQubeAndTheOtherQubesXinputSeesNone() throws Exception {
        check(HostCommand.run(bin("start")));
        Path settings = home.resolve("etc/dev.bulkhead.gui.cfg");
        Files.writeString(settings, Files.readString(settings).replaceAll("(?m)^display = .*$", "display = " + display));
        client("feature:install", "gui");
        String installed = client("qvm:template", "install", debianTemplate().toString());
        assertTrue(installed, installed.contains("installed bulkhead-debian "));
        for (String[] qube : new String[][] { { "a", "red" }, { "b", "blue" } }) {
            client("qvm:create", "--label", qube[1], "--property", "template=bulkhead-debian", qube[0]);
            client("qvm:features", qube[0], "gui", "1");
        }
        // The platform reads the saved settings on its own time: until then a GUI qube is refused.
        Await.until("a to start once the platform has dom0's display", LIMIT,
                () -> HostCommand.run(bin("client"), "qvm:start", "a").exitStatus() == 0, this::log);
        client("qvm:start", "b");

        for (String qube : List.of("a", "b")) {
            // side by side: no window manager places them
            run(qube, "DISPLAY=:0 stdbuf -oL xev -name notes-" + qube + " -geometry 200x200+" + (qube.equals("a") ? 30 : 400)
                    + "+30 -event keyboard </dev/null >/tmp/keys 2>&1 &");
            run(qube, "DISPLAY=:0 xinput test-xi2 --root </dev/null >/tmp/sniffed 2>&1 &");
            Await.until(qube + "'s xinput recording its own display", LIMIT, () -> {
                run(qube, "DISPLAY=:0 xdotool mousemove 700 700 mousemove 690 690");
                return run(qube, "cat /tmp/sniffed").contains("EVENT type");
            }, () -> run(qube, "cat /tmp/sniffed"));
        }
        String aWindow = window("^\\[a\\] notes-a$");
        String bWindow = window("^\\[b\\] notes-b$");

        // Each text has one capital or one '!': its keys and one Shift.
        type(bWindow, TO_B);
        Await.until("b's program to get what was typed into b's window", LIMIT, () -> TO_B.equals(typed("b")), () -> run("b", "cat /tmp/keys"));
        Await.until("b's xinput, on b's display, to see the keys typed into b", LIMIT, () -> keyPresses("b") == TO_B.length() + 1,
                () -> run("b", "cat /tmp/sniffed"));
        assertEquals("a's xinput saw no key typed into b: " + run("a", "cat /tmp/sniffed"), 0, keyPresses("a"));

        type(aWindow, TO_A);
        Await.until("a's program to get what was typed into a's window", LIMIT, () -> TO_A.equals(typed("a")), () -> run("a", "cat /tmp/keys"));
        Await.until("a's xinput, on a's display, to see the keys typed into a", LIMIT, () -> keyPresses("a") == TO_A.length() + 1,
                () -> run("a", "cat /tmp/sniffed"));
        assertEquals("b's xinput saw no key typed into a: " + run("b", "cat /tmp/sniffed"), TO_B.length() + 1, keyPresses("b"));
        assertEquals("b's program got nothing of a's keys", TO_B, typed("b"));
    }

    /** How many key presses {@code qube}'s {@code xinput test-xi2 --root} has recorded on its display. */
    private int keyPresses(String qube) {
        return count(run(qube, "cat /tmp/sniffed"), "(RawKeyPress)");
    }

    private String bin(String name) {
        return home.resolve("bin").resolve(name).toString();
    }

    private static HostCommand.Result check(HostCommand.Result r) {
        assertEquals("exit status; stdout: " + r.stdout() + " stderr: " + r.stderr(), 0, r.exitStatus());
        return r;
    }

    /** bin/client with these arguments, each passed as it is; its output once it succeeded. */
    private String client(String... args) {
        List<String> command = new ArrayList<>(List.of(bin("client")));
        command.addAll(List.of(args));
        HostCommandResult r = new ProcessHostCommands().run(dev.bulkhead.api.host.HostCommand.of(LIMIT, command));
        assertEquals(command + ": " + r.stdoutText() + r.stderrText(), 0, r.exitStatus());
        return r.stdoutText();
    }

    /** A shell command line in the qube (qvm:run's one argument, as with Qubes' qvm-run); its output. */
    private String run(String qube, String line) {
        return client("qvm:run", qube, line);
    }

    /** The Debian template package the distribution was built with. */
    private static Path debianTemplate() throws IOException {
        try (Stream<Path> files = Files.list(DistroCopy.DISTRO.resolve("templates"))) {
            return files.filter(f -> f.getFileName().toString().startsWith("bulkhead-debian-")).findFirst()
                    .orElseThrow(() -> new AssertionError("no bulkhead-debian package in the distribution: build it first"));
        }
    }

    private String log() {
        try {
            return Files.readString(home.resolve("data/log/bulkhead.log"));
        } catch (IOException e) {
            return "(no log: " + e.getMessage() + ")";
        }
    }

    private String x(String... command) {
        List<String> line = new ArrayList<>(List.of("env", "DISPLAY=" + display));
        line.addAll(List.of(command));
        return check(HostCommand.run(line.toArray(String[]::new))).stdout();
    }

    /** The one viewable window on dom0's display whose name matches, once there. */
    private String window(String name) {
        String[] found = new String[1];
        Await.until("a window named " + name + " on dom0's display", LIMIT, () -> {
            found[0] = HostCommand.run("env", "DISPLAY=" + display, "xdotool", "search", "--onlyvisible", "--name", name).stdout().strip();
            return !found[0].isEmpty();
        }, () -> x("xwininfo", "-root", "-children"));
        String[] ids = found[0].split("\\s+");
        assertEquals("one window named " + name, 1, ids.length);
        return ids[0];
    }

    /** Types {@code text} into the window on dom0's display, as a user does after clicking it. */
    private void type(String window, String text) {
        x("xdotool", "windowfocus", "--sync", window);
        x("xdotool", "mousemove", "--window", window, "10", "10", "click", "1");
        x("xdotool", "type", "--delay", "20", text);
    }

    /** The text {@code qube}'s xev got: what its key presses give (not their releases), modifiers giving nothing. */
    private String typed(String qube) {
        return run(qube, "awk '/^KeyPress/ {p = 1} /^KeyRelease/ {p = 0} p' /tmp/keys"
                + " | sed -n 's/^ *XLookupString gives [1-9] bytes: ([0-9a-f ]*) \"\\(.*\\)\"$/\\1/p' | tr -d '\\n'");
    }

    private static int count(String text, String what) {
        return (text.length() - text.replace(what, "").length()) / what.length();
    }
}
