package dev.bulkhead.it;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.function.Predicate;
import java.util.regex.Pattern;

/**
 * {@code bin/bulkhead} in the foreground on a terminal of the test's own: {@code script} gives it a
 * pseudo-terminal, the test types lines into the shell it opens and reads what the terminal shows, escape
 * sequences taken out. Wide enough that no line of README's sessions wraps.
 */
final class PtyShell implements AutoCloseable {
    static final String PROMPT = "g! ";
    private static final Pattern ESCAPES = Pattern.compile("\u001b\\[[0-9;?>=]*[ -/]*[@-~]|\u001b[()][A-Z0-9]|\u001b[=>]|\u001b\\][^\u0007]*\u0007|\r");

    private final Process terminal;
    private final OutputStream keys;
    private final StringBuilder screen = new StringBuilder();

    private PtyShell(Process terminal) {
        this.terminal = terminal;
        this.keys = terminal.getOutputStream();
        Thread reader = new Thread(() -> read(terminal.getInputStream()), "pty-shell-reader");
        reader.setDaemon(true);
        reader.start();
    }

    /** Runs {@code bin/bulkhead} of {@code home} in {@code home}, with {@code environment} added, and waits for its first prompt. */
    static PtyShell start(Path home, Map<String, String> environment, Duration timeout) throws IOException, InterruptedException {
        ProcessBuilder pty = new ProcessBuilder("script", "-qfec", "stty cols 1000 rows 50; exec bin/bulkhead", "/dev/null")
                .directory(home.toFile()).redirectErrorStream(true);
        pty.environment().putAll(environment);
        pty.environment().put("TERM", "xterm-256color");
        PtyShell shell = new PtyShell(pty.start());
        shell.await(0, "the first prompt", s -> s.contains(PROMPT), timeout);
        return shell;
    }

    private void read(InputStream in) {
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

    /** What the terminal showed from {@code from} on, without escape sequences. */
    String shown(int from) {
        synchronized (screen) {
            return ESCAPES.matcher(screen.substring(Math.min(from, screen.length()))).replaceAll("");
        }
    }

    /**
     * Types {@code command} and Enter, and waits for the next prompt: the lines the terminal showed in between
     * (the command's output, standard output and standard error as they came).
     */
    List<String> line(String command, Duration timeout) throws IOException, InterruptedException {
        int from;
        synchronized (screen) {
            from = screen.length();
        }
        type(command + "\r");
        String shown = await(from, "the prompt after '" + command + "'",
                s -> s.contains("\n") && s.stripTrailing().endsWith(PROMPT.strip()), timeout);
        List<String> lines = Arrays.asList(shown.split("\n", -1));
        // the first line is the command as typed, the last the new prompt
        return lines.subList(1, lines.size() - 1);
    }

    /** Ends the shell as a person does: Ctrl-U empties the line, Ctrl-D on an empty line ends it. The exit status, or -1 past the timeout. */
    int endWithCtrlD(Duration timeout) throws IOException, InterruptedException {
        type("\u0015\u0004");
        return terminal.waitFor(timeout.toMillis(), TimeUnit.MILLISECONDS) ? terminal.exitValue() : -1;
    }

    private void type(String text) throws IOException {
        keys.write(text.getBytes(StandardCharsets.UTF_8));
        keys.flush();
    }

    private String await(int from, String what, Predicate<String> seen, Duration timeout) throws InterruptedException {
        long deadline = System.nanoTime() + timeout.toNanos();
        synchronized (screen) {
            while (!seen.test(shown(from))) {
                long left = deadline - System.nanoTime();
                if (left <= 0 || !terminal.isAlive() && !seen.test(shown(from))) {
                    throw new AssertionError("the terminal did not show " + what + " within " + timeout.toSeconds() + " s"
                            + (terminal.isAlive() ? "" : " (bin/bulkhead ended)") + "; it showed:\n" + shown(from));
                }
                screen.wait(Math.max(1, Math.min(1000, TimeUnit.NANOSECONDS.toMillis(left))));
            }
            return shown(from);
        }
    }

    boolean isAlive() {
        return terminal.isAlive();
    }

    @Override
    public void close() throws InterruptedException {
        if (terminal.isAlive()) {
            terminal.destroy();
            if (!terminal.waitFor(30, TimeUnit.SECONDS)) {
                terminal.destroyForcibly();
            }
        }
    }
}
