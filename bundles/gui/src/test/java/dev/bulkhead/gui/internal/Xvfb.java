package dev.bulkhead.gui.internal;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/** A real X server for a test, on a display number the server picks free itself, killed on close. */
final class Xvfb implements AutoCloseable {
    private final Process process;
    private final String display;

    private Xvfb(Process process, String display) {
        this.process = process;
        this.display = display;
    }

    static Xvfb start() throws IOException {
        return start(new ProcessBuilder("Xvfb", "-displayfd", "1", "-noreset", "-nolisten", "tcp", "-screen", "0", "1024x768x24"));
    }

    /**
     * An Xvfb that lives until this JVM has exited: a shell kills it when its standard input, a
     * pipe from this JVM, closes. AWT ends the process with an error if its display dies first.
     */
    static Xvfb startUntilJvmExit() throws IOException {
        return start(new ProcessBuilder("sh", "-c",
                "Xvfb -displayfd 1 -noreset -nolisten tcp -screen 0 1024x768x24 & x=$!; read -r _; kill $x"));
    }

    private static Xvfb start(ProcessBuilder command) throws IOException {
        Process p = command.redirectError(ProcessBuilder.Redirect.DISCARD).start();
        // Xvfb writes the display number it took once it accepts clients.
        String number = new BufferedReader(new InputStreamReader(p.getInputStream(), StandardCharsets.US_ASCII)).readLine();
        if (number == null || !number.strip().matches("[0-9]+")) {
            p.destroyForcibly();
            throw new IOException("Xvfb did not report a display number: " + number);
        }
        return new Xvfb(p, ":" + number.strip());
    }

    String display() {
        return display;
    }

    /** Runs an X client on this display; its standard output, once it ended with status 0. */
    String run(String... command) throws IOException, InterruptedException {
        return new String(runForBytes(command), StandardCharsets.UTF_8);
    }

    /** Runs an X client on this display; its standard output as bytes, once it ended with status 0. */
    byte[] runForBytes(String... command) throws IOException, InterruptedException {
        ProcessBuilder b = new ProcessBuilder(command).redirectErrorStream(true);
        b.environment().put("DISPLAY", display);
        Process p = b.start();
        byte[] out = p.getInputStream().readAllBytes();
        if (!p.waitFor(30, TimeUnit.SECONDS)) {
            p.destroyForcibly();
            throw new IOException(String.join(" ", command) + " did not end");
        }
        if (p.exitValue() != 0) {
            throw new IOException(String.join(" ", command) + " failed (" + p.exitValue() + "): "
                    + new String(out, StandardCharsets.UTF_8));
        }
        return out;
    }

    /** Starts a long-running X client on this display, its output going to {@code log}. */
    Process spawn(java.nio.file.Path log, String... command) throws IOException {
        ProcessBuilder b = new ProcessBuilder(new ArrayList<>(List.of(command))).redirectErrorStream(true)
                .redirectOutput(log.toFile());
        b.environment().put("DISPLAY", display);
        return b.start();
    }

    @Override
    public void close() throws InterruptedException {
        process.destroy();
        if (!process.waitFor(10, TimeUnit.SECONDS)) {
            process.destroyForcibly().waitFor();
        }
    }
}
