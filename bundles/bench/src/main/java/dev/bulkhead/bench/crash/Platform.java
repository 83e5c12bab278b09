package dev.bulkhead.bench.crash;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.locks.LockSupport;

import dev.bulkhead.api.host.HostCommand;
import dev.bulkhead.api.host.HostCommandResult;
import dev.bulkhead.api.host.HostCommands;
import dev.bulkhead.api.host.WatchedProcess;

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
        private final HostCommands.Started process;
        private final String display;

        private Running(HostCommands.Started process, String display) {
            this.process = process;
            this.display = display;
        }

        Result await() {
            HostCommandResult r = process.await();
            if (r.timedOut()) {
                throw new IllegalStateException("a command did not end within " + COMMAND_TIMEOUT.toSeconds() + " s: " + display);
            }
            return new Result(r.exitStatus(), r.stdoutText() + r.stderrText());
        }
    }

    private final Path home;
    private final HostCommands host;

    Platform(Path home, HostCommands host) {
        this.home = home;
        this.host = host;
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
        return pid() > 0 && WatchedProcess.of(pid()).isPresent();
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
        Optional<WatchedProcess> jvm = WatchedProcess.of(pid);
        jvm.ifPresent(WatchedProcess::kill);
        // after the kill the JVM stays a zombie until whatever adopted it reaps it: that counts as gone
        if (jvm.isPresent() && !jvm.get().awaitExit(COMMAND_TIMEOUT)) {
            throw new IllegalStateException("the platform (pid " + pid + ") still runs " + COMMAND_TIMEOUT.toSeconds() + " s after SIGKILL");
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

    private String bin(String name) {
        return home.resolve("bin").resolve(name).toString();
    }

    private Result run(String... argv) {
        return launch(List.of(argv)).await();
    }

    private Running launch(List<String> argv) {
        HostCommand command = HostCommand.of(COMMAND_TIMEOUT, argv);
        return new Running(host.start(command), command.display());
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
