package dev.bulkhead.it;

import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertFalse;
import static org.junit.Assert.assertNotEquals;
import static org.junit.Assert.assertTrue;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.regex.Pattern;

import org.junit.AfterClass;
import org.junit.BeforeClass;
import org.junit.FixMethodOrder;
import org.junit.Test;
import org.junit.runners.MethodSorters;

/**
 * {@code bin/bulkhead} on a terminal, as a person uses it: {@code script} gives it a pseudo-terminal (an xterm), the
 * test types keys (Tab, arrows, Ctrl-C as byte 3, Ctrl-D as byte 4) and reads what the terminal shows, escape
 * sequences taken out. The platform stays up across the tests; the last one stops it with Ctrl-D.
 */
@FixMethodOrder(MethodSorters.NAME_ASCENDING)
public class InteractiveShellIT {
    private static final Duration START = Duration.ofSeconds(90);
    private static final Duration ANSWER = Duration.ofSeconds(20);
    private static final String PROMPT = "g! ";
    private static final Pattern ESCAPES = Pattern.compile("\u001b\\[[0-9;?>=]*[ -/]*[@-~]|\u001b[()][A-Z0-9]|\u001b[=>]|\u001b\\][^\u0007]*\u0007|\r");
    /** Lines in the history file before the start: more than the shell keeps. */
    private static final int OLD_HISTORY = 1500;

    private static Path home;
    private static Process terminal;
    private static OutputStream keys;
    private static final StringBuilder screen = new StringBuilder();

    @BeforeClass
    public static void startTheShellOnATerminal() throws Exception {
        home = DistroCopy.make("bulkhead-shell-");
        Path history = home.resolve("data/shell/history");
        Files.createDirectories(history.getParent());
        List<String> old = new ArrayList<>();
        for (int i = 0; i < OLD_HISTORY; i++) {
            old.add((1_700_000_000_000L + i) + ":gogo:echo old " + i);
        }
        Files.write(history, old);
        ProcessBuilder pty = new ProcessBuilder("script", "-qfec", "stty cols 200 rows 50; exec " + home.resolve("bin/bulkhead"), "/dev/null")
                .redirectErrorStream(true);
        // a terminal whose keys (arrows among them) JLine knows, whatever the build's environment says
        pty.environment().put("TERM", "xterm-256color");
        terminal = pty.start();
        keys = terminal.getOutputStream();
        Thread reader = new Thread(() -> read(terminal.getInputStream()), "terminal-reader");
        reader.setDaemon(true);
        reader.start();
        awaitScreen(0, PROMPT, START);
        Path socket = home.resolve("data/run/client.sock");
        long deadline = System.nanoTime() + START.toNanos();
        while (!Files.exists(socket) && System.nanoTime() < deadline) {
            Thread.sleep(50);
        }
    }

    private static void read(InputStream in) {
        byte[] buffer = new byte[4096];
        try {
            for (int n = in.read(buffer); n >= 0; n = in.read(buffer)) {
                synchronized (screen) {
                    screen.append(new String(buffer, 0, n, StandardCharsets.UTF_8));
                    screen.notifyAll();
                }
            }
        } catch (IOException closed) {
            // the terminal went away
        }
    }

    @AfterClass
    public static void stopAndRemoveIt() throws Exception {
        if (terminal != null && terminal.isAlive()) {
            terminal.destroy();
            if (!terminal.waitFor(30, TimeUnit.SECONDS)) {
                terminal.destroyForcibly();
            }
        }
        if (home != null && Files.exists(home.resolve("data/run/bulkhead.pid"))) {
            HostCommand.run(home.resolve("bin/stop").toString());
        }
        DistroCopy.delete(home);
    }

    /** What the terminal showed from {@code from} on, without escape sequences. */
    private static String shown(int from) {
        synchronized (screen) {
            return ESCAPES.matcher(screen.substring(Math.min(from, screen.length()))).replaceAll("");
        }
    }

    private static int mark() {
        synchronized (screen) {
            return screen.length();
        }
    }

    /** Waits until the terminal shows {@code text} after {@code from}; what it showed. */
    private static String awaitScreen(int from, String text, Duration timeout) throws InterruptedException {
        return awaitScreen(from, "'" + text + "'", shown -> shown.contains(text), timeout);
    }

    /** Waits until the terminal shows a new prompt after {@code from}, after a line ended; what it showed. */
    private static String awaitPrompt(int from) throws InterruptedException {
        return awaitScreen(from, "a new prompt", shown -> shown.contains("\n") && shown.stripTrailing().endsWith(PROMPT.strip()), ANSWER);
    }

    private static String awaitScreen(int from, String what, java.util.function.Predicate<String> seen, Duration timeout)
            throws InterruptedException {
        long deadline = System.nanoTime() + timeout.toNanos();
        synchronized (screen) {
            while (!seen.test(shown(from))) {
                long left = deadline - System.nanoTime();
                if (left <= 0) {
                    throw new AssertionError("the terminal did not show " + what + " within " + timeout.toSeconds() + " s; it showed:\n"
                            + shown(from));
                }
                screen.wait(Math.max(1, TimeUnit.NANOSECONDS.toMillis(left)));
            }
            return shown(from);
        }
    }

    private static void type(String text) throws IOException {
        keys.write(text.getBytes(StandardCharsets.UTF_8));
        keys.flush();
    }

    /** Types a line and waits for the next prompt; what the terminal showed meanwhile. */
    private static String line(String text) throws Exception {
        int from = mark();
        type(text + "\r");
        return awaitPrompt(from);
    }

    private static HostCommand.Result client(String... args) {
        String[] command = new String[args.length + 1];
        command[0] = home.resolve("bin/client").toString();
        System.arraycopy(args, 0, command, 1, args.length);
        return HostCommand.run(command);
    }

    @Test
    public void a_theTerminalShowsTheBannerAndPromptButNoLogLines() throws Exception {
        String start = shown(0);
        assertTrue(start, start.contains("Bulkhead ") && start.contains("help lists the commands"));
        assertFalse("no log line over the prompt:\n" + start, Pattern.compile("\\b(INFO|WARNING|SEVERE)\\b").matcher(start).find());
        String log = Files.readString(home.resolve("data/log/bulkhead.log"));
        assertTrue("the foreground platform logs to data/log/bulkhead.log:\n" + log, log.contains("feature core installed"));
    }

    @Test
    public void b_tabCompletesQubeNamesPropertiesAndValues() throws Exception {
        HostCommand.Result created = client("qvm:create", "--label", "orange", "workbench");
        assertEquals(created.stderr(), 0, created.exitStatus());
        int from = mark();
        // qvm:prefs workb<Tab> lab<Tab><Enter>: the line run is 'qvm:prefs workbench label'
        type("qvm:prefs workb\t");
        awaitScreen(from, "workbench ", ANSWER);
        type("lab\t");
        awaitScreen(from, "label ", ANSWER);
        String shown = line("");
        assertTrue(shown, shown.contains("\norange\n"));
        // a plain name completes as the qvm command it runs
        from = mark();
        type("start workb\t");
        awaitScreen(from, "start workbench ", ANSWER);
        type("\u0003");
        awaitPrompt(from);
    }

    @Test
    public void c_ctrlCCancelsTheLineAndTheCommandButNotThePlatform() throws Exception {
        int from = mark();
        type("qvm:create --label red cancelled");
        awaitScreen(from, "cancelled", ANSWER);
        type("\u0003");
        awaitPrompt(from);
        line("");
        assertNotEquals("the cancelled line did not run", 0, client("qvm:prefs", "cancelled", "label").exitStatus());

        from = mark();
        long started = System.nanoTime();
        type("gogo:sleep 60\r");
        awaitScreen(from, "sleep 60", ANSWER);
        Thread.sleep(500);
        type("\u0003");
        String shown = awaitPrompt(from);
        assertTrue("Ctrl-C ended the command at once", System.nanoTime() - started < Duration.ofSeconds(30).toNanos());
        assertTrue(shown, shown.contains("interrupted"));
        assertTrue("the platform runs on", terminal.isAlive());
        assertEquals(0, client("qvm:ls", "--raw-list").exitStatus());
    }

    @Test
    public void d_errorsAreOnePlainLineAndPlainNamesReachTheQvmCommands() throws Exception {
        String start = line("start nosuch");
        assertTrue(start, start.contains("\nqvm:start: no such qube: 'nosuch'\n"));
        assertFalse(start, start.contains("Exception") || start.contains("felix"));
        assertTrue(line("qvm-ls").contains("\nqvm-ls: use qvm:ls\n"));
        String usage = line("qvm:ls --help");
        assertTrue(usage, usage.contains("\nUsage: qvm:ls "));
        String help = line("help qvm:ls");
        assertTrue(help, help.contains("\nUsage: qvm:ls ") && !help.contains("String"));
    }

    @Test
    public void e_upRecallsTheLastLine() throws Exception {
        line("gogo:echo recalled-line");
        int from = mark();
        // Up, as an xterm sends it in the keypad mode JLine turns on
        type("\u001bOA");
        awaitScreen(from, "gogo:echo recalled-line", ANSWER);
        String again = line("");
        assertTrue(again, again.contains("\nrecalled-line\n"));
    }

    @Test
    public void z_ctrlDStopsThePlatformAndTheHistoryStaysBounded() throws Exception {
        // Ctrl-U empties the line; Ctrl-D on an empty line ends the shell
        type("\u0015\u0004");
        assertTrue("Ctrl-D stops the platform", terminal.waitFor(60, TimeUnit.SECONDS));
        assertEquals(0, terminal.exitValue());
        assertFalse("the pid file is gone with the platform", HostCommand.run("pgrep", "-f", "bulkhead.home=" + home).exitStatus() == 0);
        List<String> history = Files.readAllLines(home.resolve("data/shell/history"));
        // JLine cuts the file back to 1000 lines once it holds a quarter more
        assertTrue("the file is kept to about 1000 lines: " + history.size(), history.size() <= 1250);
        assertFalse("the oldest lines are gone", history.contains("1700000000000:gogo:echo old 0"));
        assertTrue(history.get(history.size() - 1), history.get(history.size() - 1).endsWith(":gogo:echo recalled-line"));
        assertTrue("the lines of this run are kept", history.stream().anyMatch(l -> l.endsWith(":start nosuch")));
    }
}
