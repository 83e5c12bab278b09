package dev.bulkhead.bench.internal;

import java.io.IOException;
import java.io.OutputStream;
import java.nio.channels.Channels;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.function.Supplier;

import dev.bulkhead.api.AdminException;
import dev.bulkhead.api.host.HostCommand;
import dev.bulkhead.api.host.HostCommandResult;
import dev.bulkhead.api.host.HostCommands;

/**
 * X servers and X clients on the host for the GUI figures, through the platform's {@link HostCommands}:
 * a throwaway Xvfb, xdotool, and the bench's own clients run with the JVM that runs the platform.
 */
final class XDisplays {
    private static final Duration LIMIT = Duration.ofSeconds(30);
    /** Keys typed before the measured ones, while xdotool and the receiving client warm up. */
    static final int WARM_UP_KEYS = 5;

    private final HostCommands host;

    XDisplays(HostCommands host) {
        this.host = host;
    }

    /** An Xvfb of its own, on a display number it picks free itself. */
    interface Server extends AutoCloseable {
        String display();

        @Override
        void close();
    }

    Server startServer() throws IOException, InterruptedException {
        Path number = Files.createTempFile("bulkhead-bench-xvfb", ".display");
        // Xvfb writes the number of the display it took to fd 3 once it accepts clients.
        HostCommands.Started xvfb = host.start(HostCommand.of(LIMIT, "sh", "-c",
                "exec Xvfb -displayfd 3 -noreset -nolisten tcp -screen 0 1280x1024x24 3>\"$0\" >/dev/null 2>&1", number.toString()));
        try {
            long deadline = System.nanoTime() + LIMIT.toNanos();
            String text;
            while (!(text = Files.readString(number).strip()).matches("[0-9]+")) {
                if (!xvfb.isAlive() || System.nanoTime() > deadline) {
                    throw new AdminException("Xvfb did not report a display within " + LIMIT.toSeconds() + " s: " + xvfb.stop().stdoutText());
                }
                Thread.sleep(10);
            }
            String display = ":" + text;
            return new Server() {
                @Override
                public String display() {
                    return display;
                }

                @Override
                public void close() {
                    xvfb.stop();
                }
            };
        } catch (IOException | InterruptedException | RuntimeException e) {
            xvfb.stop();
            throw e;
        } finally {
            Files.deleteIfExists(number);
        }
    }

    /** The one viewable window on {@code display} whose name matches, once there. */
    String awaitWindow(String display, String name, Duration limit, Supplier<String> observed) throws InterruptedException {
        long deadline = System.nanoTime() + limit.toNanos();
        while (true) {
            String found = x(display, "xdotool", "search", "--onlyvisible", "--name", name).stdoutText().strip();
            if (!found.isEmpty()) {
                String[] ids = found.split("\\s+");
                if (ids.length != 1) {
                    throw new AdminException(ids.length + " windows named " + name + " on " + display + ", not one");
                }
                return ids[0];
            }
            if (System.nanoTime() > deadline) {
                throw new AdminException("no window named " + name + " on " + display + " within " + limit.toSeconds() + " s; "
                        + observed.get());
            }
            Thread.sleep(50);
        }
    }

    /**
     * Focuses and clicks the window, as a user does, then types {@link #WARM_UP_KEYS} plus {@code keys}
     * letters into it with one xdotool that reads its commands from a pipe, one every {@code pauseMs}; the
     * moments the measured ones were written to xdotool.
     */
    List<Long> typeInto(String display, String window, int keys, long pauseMs) throws IOException, InterruptedException {
        check(x(display, "xdotool", "windowfocus", "--sync", window));
        check(x(display, "xdotool", "mousemove", "--window", window, "10", "10", "click", "1"));
        Path dir = Files.createTempDirectory("bulkhead-bench-xdotool");
        Path fifo = dir.resolve("commands");
        try {
            check(host.run(HostCommand.of(LIMIT, "mkfifo", "-m", "600", fifo.toString())));
            // Opened for reading and writing, the pipe never blocks this side, whenever xdotool opens it.
            FileChannel pipe = FileChannel.open(fifo, StandardOpenOption.READ, StandardOpenOption.WRITE);
            HostCommands.Started xdotool;
            try {
                xdotool = host.start(HostCommand.of(LIMIT, "sh", "-c", "exec xdotool - <\"$0\"", fifo.toString())
                        .withEnvironment(Map.of("DISPLAY", display)));
            } catch (RuntimeException e) {
                pipe.close();
                throw e;
            }
            List<Long> sent = new ArrayList<>();
            try {
                OutputStream out = Channels.newOutputStream(pipe);
                for (int i = 0; i < WARM_UP_KEYS + keys; i++) {
                    long t0 = System.nanoTime();
                    out.write(("key " + (char) ('a' + i % 26) + "\n").getBytes(StandardCharsets.US_ASCII));
                    if (i >= WARM_UP_KEYS) {
                        sent.add(t0);
                    }
                    Thread.sleep(pauseMs);
                }
            } finally {
                // The last writer gone, xdotool reads the end of its commands and exits.
                pipe.close();
                xdotool.await();
            }
            return sent;
        } finally {
            Files.deleteIfExists(fifo);
            Files.deleteIfExists(dir);
        }
    }

    /** Starts one of the bench's X clients on {@code display}, its output going to {@code output}. */
    HostCommands.Started startClient(String display, String classpath, Path output, String mainClass, String... args) {
        return host.start(client(display, classpath, LIMIT.plusSeconds(60), mainClass, args).withOutputTo(output));
    }

    /** Runs one of the bench's X clients on {@code display} to its end; its last line of output. */
    String runClient(String display, String classpath, Duration limit, String mainClass, String... args) {
        HostCommandResult r = check(host.run(client(display, classpath, limit, mainClass, args)));
        return HostCommandResult.lastLine(r.stdoutText());
    }

    private static HostCommand client(String display, String classpath, Duration limit, String mainClass, String... args) {
        List<String> argv = new ArrayList<>(List.of(ProcessHandle.current().info().command().orElse("java"), "-cp", classpath, mainClass));
        argv.addAll(List.of(args));
        return HostCommand.of(limit, argv).withEnvironment(Map.of("DISPLAY", display));
    }

    private HostCommandResult x(String display, String... command) {
        return host.run(HostCommand.of(LIMIT, command).withEnvironment(Map.of("DISPLAY", display)));
    }

    private static HostCommandResult check(HostCommandResult r) {
        if (!r.succeeded()) {
            throw new AdminException("an X client failed (" + r.exitStatus() + "): " + r.stdoutText().strip() + " " + r.stderrText().strip());
        }
        return r;
    }
}
