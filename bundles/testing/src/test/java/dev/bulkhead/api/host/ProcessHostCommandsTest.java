package dev.bulkhead.api.host;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import dev.bulkhead.api.AdminException;
import dev.bulkhead.testing.Await;

/** The real implementation, with ordinary host programs. */
class ProcessHostCommandsTest {
    private static final Duration TIMEOUT = Duration.ofSeconds(30);
    /** A shell that starts a grandchild, tells its pid and waits for it: the tree a cancel must kill whole. */
    private static final List<String> TREE = List.of("sh", "-c", "sleep 300 & echo $!; wait");

    private final HostCommands host = new ProcessHostCommands();

    @TempDir
    Path temp;

    @Test
    void capturesExitStatusStdoutAndStderr() {
        HostCommandResult result = host.run(sh("echo out; echo err >&2; exit 4"));

        assertEquals(4, result.exitStatus());
        assertEquals("out\n", result.stdoutText());
        assertEquals("err\n", result.stderrText());
        assertFalse(result.timedOut());
        assertFalse(result.succeeded());
    }

    @Test
    void feedsStdin() {
        byte[] input = "x".repeat(1 << 20).getBytes(StandardCharsets.UTF_8);

        HostCommandResult result = host.run(HostCommand.of(TIMEOUT, List.of("wc", "-c")).withStdin(input));

        assertEquals(Integer.toString(1 << 20), result.stdoutText().strip());
    }

    @Test
    void withoutInputStdinIsEmpty() {
        assertEquals("0", host.run(HostCommand.of(TIMEOUT, List.of("wc", "-c"))).stdoutText().strip());
    }

    @Test
    void aCommandOverItsTimeoutIsKilledWithWhatItStarted() throws IOException {
        Path pids = temp.resolve("pids");
        long began = System.nanoTime();

        HostCommandResult result = host.run(HostCommand.of(Duration.ofMillis(300),
                List.of("sh", "-c", "sleep 60 & echo $! > " + pids + "; sleep 60")));

        assertTrue(result.timedOut());
        assertTrue(System.nanoTime() - began < Duration.ofSeconds(5).toNanos());
        long background = Long.parseLong(Files.readString(pids).strip());
        // Killed, it is gone or a zombie of whoever adopted it (an init that does not reap keeps zombies).
        assertTrue(gone(background),
                "the background sleep lives");
    }

    @Test
    void outputToAFileIsAppended() throws IOException {
        Path log = Files.writeString(temp.resolve("console.log"), "before\n");

        HostCommandResult result = host.run(sh("echo out; echo err >&2").withOutputTo(log));

        assertTrue(result.succeeded());
        assertEquals("before\nout\nerr\n", Files.readString(log));
        assertEquals(0, result.stdout().length);
    }

    @Test
    void aBackgroundProcessHoldingTheOutputDoesNotHoldTheCallerPastTheDeadline() {
        long began = System.nanoTime();

        HostCommandResult result = host.run(HostCommand.of(Duration.ofMillis(200), List.of("sh", "-c", "echo early; sleep 3 &")));

        assertTrue(System.nanoTime() - began < Duration.ofMillis(2500).toNanos());
        assertFalse(result.timedOut());
        assertEquals("early\n", result.stdoutText());
    }

    @Test
    void aMissingProgramIsAnAdminError() {
        AdminException e = assertThrows(AdminException.class,
                () -> host.run(HostCommand.of(TIMEOUT, List.of("/nonexistent/program", "arg"))));

        assertTrue(e.getMessage().startsWith("cannot run '/nonexistent/program arg'"), e.getMessage());
    }

    @Test
    void runOrThrowNamesTheCommandAndItsError() {
        AdminException e = assertThrows(AdminException.class, () -> host.runOrThrow(sh("echo first >&2; echo 'it broke' >&2; exit 3")));

        assertEquals("'sh -c echo first >&2; echo 'it broke' >&2; exit 3' failed (exit 3): it broke", e.getMessage());
    }

    /** Runs the command on this thread and interrupts this thread once the command has written {@code started}. */
    private HostCommandResult runInterrupted(HostCommand command, Path started) {
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
            return host.run(command);
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

        HostCommandResult result = runInterrupted(sh("touch " + started + "; sleep 0.5; echo done; touch " + finished), started);

        assertTrue(Thread.interrupted(), "the caller's interrupt was lost");
        assertTrue(result.succeeded(), result.stderrText());
        assertEquals("done\n", result.stdoutText());
        assertTrue(Files.exists(finished), "the command was cut off");
    }

    @Test
    void hostileArgumentsReachTheProgramUnparsed() {
        List<String> hostile = List.of("$(touch " + temp.resolve("ran") + ")", "; rm -rf " + temp, "a b", "'q'\"", "`id`",
                "*", "x\ny", "--help", "");

        HostCommandResult result = host.runOrThrow(HostCommand.of(TIMEOUT, concat(List.of("printf", "[%s]"), hostile)));

        assertEquals(String.join("", hostile.stream().map(a -> "[" + a + "]").toList()), result.stdoutText());
        assertFalse(Files.exists(temp.resolve("ran")), "nothing was run by a shell");
        assertTrue(Files.isDirectory(temp));
    }

    @Test
    void outputBeyondTheCapIsDroppedAndSaidSoWhileTheProgramRunsToItsEnd() {
        HostCommandResult result = host.run(HostCommand.of(TIMEOUT, "sh", "-c", "head -c 100000 /dev/zero; echo short >&2")
                .withOutputCap(1000));

        assertEquals(0, result.exitStatus(), "the program was never blocked on a full pipe");
        assertEquals(1000, result.stdout().length);
        assertTrue(result.stdoutTruncated());
        assertEquals("short\n", result.stderrText());
        assertFalse(result.stderrTruncated());
    }

    @Test
    void outputUnderTheCapIsWholeAndNotTruncated() {
        HostCommandResult result = host.run(HostCommand.of(TIMEOUT, "head", "-c", "1000", "/dev/zero").withOutputCap(1000));

        assertEquals(1000, result.stdout().length);
        assertFalse(result.stdoutTruncated());
    }

    @Test
    void stdinDirectoryAndEnvironmentReachTheProgram() {
        byte[] input = "line one\nline two\n".getBytes(StandardCharsets.UTF_8);
        HostCommandResult result = host.runOrThrow(HostCommand.of(TIMEOUT, "sh", "-c", "cat; pwd; echo \"$BULKHEAD_TEST\"")
                .withStdin(input).withDirectory(temp).withEnvironment(Map.of("BULKHEAD_TEST", "a value")));

        assertEquals("line one\nline two\n" + temp + "\na value\n", result.stdoutText());
    }

    @Test
    void anInterruptCancelsACancellableCommandWithItsTree() throws Exception {
        Path log = temp.resolve("pid");
        Thread caller = Thread.currentThread();
        CompletableFuture<Void> interrupter = CompletableFuture.runAsync(() -> {
            waitForContent(log);
            caller.interrupt();
        });

        AdminException e = assertThrows(AdminException.class,
                () -> host.run(HostCommand.of(TIMEOUT, TREE).withOutputTo(log).asCancellable()));

        assertTrue(Thread.interrupted(), "the interrupt is kept for the caller");
        interrupter.get(30, TimeUnit.SECONDS);
        assertInstanceOf(InterruptedException.class, e.getCause());
        assertTrue(gone(Long.parseLong(Files.readString(log).strip())), "the grandchild was killed");
    }

    @Test
    void aStartedProgramRunsUntilStoppedWithItsTree() throws Exception {
        Path log = temp.resolve("pid");
        HostCommands.Started started = host.start(HostCommand.of(TIMEOUT, TREE).withOutputTo(log));
        long grandchild = Long.parseLong(waitForContent(log).strip());

        assertTrue(started.isAlive());
        assertTrue(ProcessHandle.of(grandchild).map(ProcessHandle::isAlive).orElse(false));
        started.stop();

        assertFalse(started.isAlive());
        assertTrue(gone(grandchild));
    }

    @Test
    void aStartedProgramIsAwaitedWithItsOutput() {
        HostCommands.Started started = host.start(HostCommand.of(TIMEOUT, "sh", "-c", "echo hello; exit 4"));

        HostCommandResult result = started.await();

        assertEquals(4, result.exitStatus());
        assertArrayEquals("hello\n".getBytes(StandardCharsets.UTF_8), result.stdout());
    }

    @Test
    void aHeldStdinIsAnOpenPipeAfterItsInputUntilTheProgramIsStopped() {
        Path log = temp.resolve("log");
        // reads the first line, says its stdin is a pipe, then becomes a cat waiting for an end of file that never comes
        HostCommands.Started started = host.start(HostCommand.of(TIMEOUT, "sh", "-c",
                "read first; echo \"$first\"; test -p /dev/stdin && echo pipe; exec cat").withStdin(
                "one\n".getBytes(StandardCharsets.UTF_8)).withStdinHeldOpen().withOutputTo(log));
        waitForContent(log, "one\npipe\n");

        HostCommandResult stopped = started.stop();

        assertEquals(137, stopped.exitStatus(), "killed, not ended by an end of file");
        assertEquals(137, started.onExit().join().exitStatus());
        assertEquals("one\npipe\n", readString(log));
    }

    @Test
    void withoutInputAStartedProgramReadsNothing() {
        HostCommandResult result = host.start(HostCommand.of(TIMEOUT, "sh", "-c", "test -p /dev/stdin || echo none; cat"))
                .onExit().join();

        assertEquals(0, result.exitStatus());
        assertEquals("none\n", result.stdoutText());
    }

    @Test
    void badCommandsAreRefusedWhenMade() {
        assertThrows(IllegalArgumentException.class, () -> HostCommand.of(TIMEOUT, List.of()));
        assertThrows(IllegalArgumentException.class, () -> HostCommand.of(Duration.ofSeconds(-1), "true"));
        assertThrows(IllegalArgumentException.class, () -> HostCommand.of(TIMEOUT, "true").withOutputCap(-1));
    }

    private static List<String> concat(List<String> a, List<String> b) {
        return java.util.stream.Stream.concat(a.stream(), b.stream()).toList();
    }

    /** Whether the process is gone (or a zombie), waiting a bounded while for the kernel to finish it off. */
    private static boolean gone(long pid) {
        return WatchedProcess.of(pid).map(p -> p.awaitExit(Duration.ofSeconds(10))).orElse(true);
    }

    private static String waitForContent(Path file) {
        return waitForContent(file, "");
    }

    private static String readString(Path file) {
        try {
            return Files.readString(file);
        } catch (IOException e) {
            throw new IllegalStateException(e);
        }
    }

    /** Waits until the file holds a whole line, beginning with the given text. */
    private static String waitForContent(Path file, String start) {
        Await.until(file + " to hold a line beginning with " + start, TIMEOUT, () -> {
            String text = contentOf(file);
            return text.startsWith(start) && text.endsWith("\n");
        }, () -> contentOf(file));
        return contentOf(file);
    }

    private static String contentOf(Path file) {
        try {
            return Files.exists(file) ? Files.readString(file) : "";
        } catch (IOException e) {
            throw new IllegalStateException(e);
        }
    }

    private static HostCommand sh(String script) {
        return HostCommand.of(TIMEOUT, List.of("sh", "-c", script));
    }
}
