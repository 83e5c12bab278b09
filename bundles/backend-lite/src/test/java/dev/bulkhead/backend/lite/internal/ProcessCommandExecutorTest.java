package dev.bulkhead.backend.lite.internal;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import dev.bulkhead.api.AdminException;
import dev.bulkhead.testing.Await;

/** The real executor, with ordinary host programs. */
class ProcessCommandExecutorTest {
    private static final Duration TIMEOUT = Duration.ofSeconds(10);

    private final ProcessCommandExecutor executor = new ProcessCommandExecutor();

    @TempDir
    Path temp;

    @Test
    void capturesExitStatusStdoutAndStderr() {
        CommandResult result = executor.run(sh("echo out; echo err >&2; exit 4"));

        assertEquals(4, result.exitStatus());
        assertEquals("out\n", result.stdoutText());
        assertEquals("err\n", result.stderrText());
        assertFalse(result.timedOut());
        assertFalse(result.succeeded());
    }

    @Test
    void feedsStdin() {
        byte[] input = "x".repeat(1 << 20).getBytes(StandardCharsets.UTF_8);

        CommandResult result = executor.run(Command.of(TIMEOUT, List.of("wc", "-c")).withStdin(input));

        assertEquals(Integer.toString(1 << 20), result.stdoutText().strip());
    }

    @Test
    void withoutInputStdinIsEmpty() {
        assertEquals("0", executor.run(Command.of(TIMEOUT, List.of("wc", "-c"))).stdoutText().strip());
    }

    @Test
    void aCommandOverItsTimeoutIsKilledWithWhatItStarted() throws IOException {
        Path pids = temp.resolve("pids");
        long began = System.nanoTime();

        CommandResult result = executor.run(Command.of(Duration.ofMillis(300),
                List.of("sh", "-c", "sleep 60 & echo $! > " + pids + "; sleep 60")));

        assertTrue(result.timedOut());
        assertTrue(System.nanoTime() - began < Duration.ofSeconds(5).toNanos());
        long background = Long.parseLong(Files.readString(pids).strip());
        // Killed, it is gone or a zombie of whoever adopted it (an init that does not reap keeps zombies).
        assertTrue(new HostProcesses(Path.of("/proc")).awaitExit(background, Duration.ofSeconds(5)),
                "the background sleep lives");
    }

    @Test
    void outputToAFileIsAppended() throws IOException {
        Path log = Files.writeString(temp.resolve("console.log"), "before\n");

        CommandResult result = executor.run(sh("echo out; echo err >&2").withOutputTo(log));

        assertTrue(result.succeeded());
        assertEquals("before\nout\nerr\n", Files.readString(log));
        assertEquals(0, result.stdout().length);
    }

    @Test
    void aBackgroundProcessHoldingTheOutputDoesNotHoldTheCallerPastTheDeadline() {
        long began = System.nanoTime();

        CommandResult result = executor.run(Command.of(Duration.ofMillis(200), List.of("sh", "-c", "echo early; sleep 3 &")));

        assertTrue(System.nanoTime() - began < Duration.ofMillis(2500).toNanos());
        assertFalse(result.timedOut());
        assertEquals("early\n", result.stdoutText());
    }

    @Test
    void aMissingProgramIsAnAdminError() {
        AdminException e = assertThrows(AdminException.class,
                () -> executor.run(Command.of(TIMEOUT, List.of("/nonexistent/program", "arg"))));

        assertTrue(e.getMessage().startsWith("cannot run '/nonexistent/program arg'"), e.getMessage());
    }

    @Test
    void runOrThrowNamesTheCommandAndItsError() {
        AdminException e = assertThrows(AdminException.class, () -> executor.runOrThrow(sh("echo first >&2; echo 'it broke' >&2; exit 3")));

        assertEquals("'sh -c echo first >&2; echo 'it broke' >&2; exit 3' failed (exit 3): it broke", e.getMessage());
    }

    /** Runs the command on this thread and interrupts this thread once the command has written {@code started}. */
    private CommandResult runInterrupted(Command command, Path started) {
        Thread caller = Thread.currentThread();
        Thread interrupter = new Thread(() -> {
            try {
                Await.until("the command to write " + started, TIMEOUT, () -> Files.exists(started));
            } finally {
                // interrupted even when the command never wrote the file, so that the call cannot hang the test
                caller.interrupt();
            }
        });
        interrupter.start();
        try {
            return executor.run(command);
        } finally {
            try {
                interrupter.join();
            } catch (InterruptedException e) {
                // the interrupter's own interrupt may land here; the callers look at the flag themselves
                Thread.currentThread().interrupt();
            }
        }
    }

    @Test
    void anInterruptOfTheCallerDoesNotCutAHostChangeOffHalfway() throws IOException {
        Path started = temp.resolve("started");
        Path finished = temp.resolve("finished");

        CommandResult result = runInterrupted(sh("touch " + started + "; sleep 0.5; echo done; touch " + finished), started);

        assertTrue(Thread.interrupted(), "the caller's interrupt was lost");
        assertTrue(result.succeeded(), result.stderrText());
        assertEquals("done\n", result.stdoutText());
        assertTrue(Files.exists(finished), "the command was cut off");
    }

    @Test
    void aCancellableCommandEndsWhenItsCallerIsInterrupted() throws IOException {
        Path started = temp.resolve("started");

        AdminException e = assertThrows(AdminException.class, () -> runInterrupted(
                sh("echo $$ > " + started + ".pid; mv " + started + ".pid " + started + "; exec sleep 60").asCancellable(), started));

        assertTrue(Thread.interrupted(), "the caller's interrupt was lost");
        assertTrue(e.getMessage().startsWith("interrupted while running"), e.getMessage());
        long pid = Long.parseLong(Files.readString(started).strip());
        assertTrue(new HostProcesses(Path.of("/proc")).awaitExit(pid, Duration.ofSeconds(5)), "the command outlived its cancel");
    }

    private static Command sh(String script) {
        return Command.of(TIMEOUT, List.of("sh", "-c", script));
    }
}
