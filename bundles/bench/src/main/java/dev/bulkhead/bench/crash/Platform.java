package dev.bulkhead.bench.crash;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.LockSupport;

/** One installed distribution, driven as a user drives it: {@code bin/start}, {@code bin/client}, and {@code kill -9}. */
final class Platform {
    static final Duration COMMAND_TIMEOUT = Duration.ofSeconds(60);
    private static final String ADOPTED = "INFO dev.bulkhead.core.internal.QubeAdminService: backend lite adopted with";

    /** What a command did. */
    record Result(int exitStatus, String output) {
        boolean succeeded() {
            return exitStatus == 0;
        }
    }

    /** A command running in the background. */
    static final class Running {
        private final Process process;
        private final CompletableFuture<String> output;

        private Running(Process process) {
            this.process = process;
            this.output = CompletableFuture.supplyAsync(() -> read(process.getInputStream()));
        }

        Result await() {
            try {
                if (!process.waitFor(COMMAND_TIMEOUT.toSeconds(), TimeUnit.SECONDS)) {
                    process.destroyForcibly();
                    throw new IllegalStateException("a command did not end within " + COMMAND_TIMEOUT.toSeconds() + " s: "
                            + process.info().commandLine().orElse("?"));
                }
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new IllegalStateException("interrupted", e);
            }
            return new Result(process.exitValue(), output.join());
        }
    }

    private final Path home;

    Platform(Path home) {
        this.home = home;
    }

    Path data() {
        return home.resolve("data");
    }

    void start() {
        Result r = run(bin("start"));
        if (!r.succeeded()) {
            throw new IllegalStateException("bin/start failed: " + r.output());
        }
    }

    /** Stops the platform in the ordinary way, when it runs. */
    void stop() {
        run(bin("stop"));
    }

    boolean isRunning() {
        return pid() > 0 && isAlive(pid());
    }

    Result client(List<String> arguments) {
        return clientInBackground(arguments).await();
    }

    Running clientInBackground(List<String> arguments) {
        List<String> argv = new ArrayList<>(List.of(bin("client")));
        argv.addAll(arguments);
        return launch(argv);
    }

    /** Kills the platform's JVM with SIGKILL, as a crash or the kernel's OOM killer would, and waits until it is gone. */
    void crash() {
        long pid = pid();
        if (pid <= 0) {
            throw new IllegalStateException("no platform runs in " + home);
        }
        ProcessHandle.of(pid).ifPresent(ProcessHandle::destroyForcibly);
        long deadline = System.nanoTime() + COMMAND_TIMEOUT.toNanos();
        while (isAlive(pid)) {
            if (System.nanoTime() > deadline) {
                throw new IllegalStateException("the platform (pid " + pid + ") still runs " + COMMAND_TIMEOUT.toSeconds() + " s after SIGKILL");
            }
            LockSupport.parkNanos(1_000_000);
        }
    }

    /** Waits until the core has taken over the backend: its leftovers are gone from then on. */
    void awaitTakeOver() {
        Path log = data().resolve("log").resolve("bulkhead.log");
        long deadline = System.nanoTime() + COMMAND_TIMEOUT.toNanos();
        while (!readOrEmpty(log).contains(ADOPTED)) {
            if (System.nanoTime() > deadline) {
                throw new IllegalStateException("the core did not take over the lite backend within " + COMMAND_TIMEOUT.toSeconds()
                        + " s; see " + log);
            }
            LockSupport.parkNanos(10_000_000);
        }
    }

    String log() {
        return readOrEmpty(data().resolve("log").resolve("bulkhead.log"));
    }

    private long pid() {
        String text = readOrEmpty(data().resolve("run").resolve("bulkhead.pid")).strip();
        return text.isEmpty() ? -1 : Long.parseLong(text);
    }

    /**
     * Whether the process runs: a zombie does not, as for {@code bin/start}; after a kill the JVM stays one
     * until whatever adopted it gets round to reaping it.
     */
    private static boolean isAlive(long pid) {
        String stat;
        try {
            stat = Files.readString(Path.of("/proc", Long.toString(pid), "stat"));
        } catch (IOException e) {
            return false;
        }
        int end = stat.lastIndexOf(')');
        return end > 0 && end + 2 < stat.length() && stat.charAt(end + 2) != 'Z';
    }

    private String bin(String name) {
        return home.resolve("bin").resolve(name).toString();
    }

    private static Result run(String... argv) {
        return launch(List.of(argv)).await();
    }

    private static Running launch(List<String> argv) {
        try {
            return new Running(new ProcessBuilder(argv).redirectErrorStream(true)
                    .redirectInput(ProcessBuilder.Redirect.from(new java.io.File("/dev/null"))).start());
        } catch (IOException e) {
            throw new UncheckedIOException("cannot run " + argv, e);
        }
    }

    private static String read(InputStream in) {
        try (in) {
            return new String(in.readAllBytes(), StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private static String readOrEmpty(Path file) {
        try {
            return Files.readString(file);
        } catch (NoSuchFileException e) {
            return "";
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
