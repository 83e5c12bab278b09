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

/** Real processes on the real host. */
class ProcessHostCommandsTest {
    private static final Duration LONG = Duration.ofSeconds(30);
    /** A shell that starts a grandchild, tells its pid and waits for it: the tree a timeout must kill whole. */
    private static final List<String> TREE = List.of("sh", "-c", "sleep 300 & echo $!; wait");

    private final HostCommands host = new ProcessHostCommands();

    @TempDir
    Path temp;

    @Test
    void hostileArgumentsReachTheProgramUnparsed() {
        List<String> hostile = List.of("$(touch " + temp.resolve("ran") + ")", "; rm -rf " + temp, "a b", "'q'\"", "`id`",
                "*", "x\ny", "--help", "");

        HostCommandResult result = host.runOrThrow(HostCommand.of(LONG, concat(List.of("printf", "[%s]"), hostile)));

        assertEquals(String.join("", hostile.stream().map(a -> "[" + a + "]").toList()), result.stdoutText());
        assertFalse(Files.exists(temp.resolve("ran")), "nothing was run by a shell");
        assertTrue(Files.isDirectory(temp));
    }

    @Test
    void aTimeoutKillsTheProgramAndEveryProcessItStarted() throws Exception {
        HostCommandResult result = host.run(HostCommand.of(Duration.ofMillis(300), TREE));

        assertTrue(result.timedOut());
        assertFalse(result.succeeded());
        long grandchild = Long.parseLong(result.stdoutText().strip());
        assertTrue(gone(grandchild), "the grandchild was killed with its parent");
    }

    @Test
    void outputBeyondTheCapIsDroppedAndSaidSoWhileTheProgramRunsToItsEnd() {
        HostCommandResult result = host.run(HostCommand.of(LONG, "sh", "-c", "head -c 100000 /dev/zero; echo short >&2")
                .withOutputCap(1000));

        assertEquals(0, result.exitStatus(), "the program was never blocked on a full pipe");
        assertEquals(1000, result.stdout().length);
        assertTrue(result.stdoutTruncated());
        assertEquals("short\n", result.stderrText());
        assertFalse(result.stderrTruncated());
    }

    @Test
    void outputUnderTheCapIsWholeAndNotTruncated() {
        HostCommandResult result = host.run(HostCommand.of(LONG, "head", "-c", "1000", "/dev/zero").withOutputCap(1000));

        assertEquals(1000, result.stdout().length);
        assertFalse(result.stdoutTruncated());
    }

    @Test
    void stdinDirectoryAndEnvironmentReachTheProgram() {
        byte[] input = "line one\nline two\n".getBytes(StandardCharsets.UTF_8);
        HostCommandResult result = host.runOrThrow(HostCommand.of(LONG, "sh", "-c", "cat; pwd; echo \"$BULKHEAD_TEST\"")
                .withStdin(input).withDirectory(temp).withEnvironment(Map.of("BULKHEAD_TEST", "a value")));

        assertEquals("line one\nline two\n" + temp + "\na value\n", result.stdoutText());
    }

    @Test
    void outputToAFileIsAppended() throws IOException {
        Path log = temp.resolve("log");
        Files.writeString(log, "before\n");

        host.runOrThrow(HostCommand.of(LONG, "sh", "-c", "echo out; echo err >&2").withOutputTo(log));

        assertEquals("before\nout\nerr\n", Files.readString(log));
    }

    @Test
    void aFailureNamesTheCommandItsExitStatusAndItsLastErrorLine() {
        AdminException e = assertThrows(AdminException.class,
                () -> host.runOrThrow(HostCommand.of(LONG, "sh", "-c", "echo first >&2; echo 'level=error msg=\"it broke\"' >&2; exit 3")));

        assertTrue(e.getMessage().startsWith("'sh -c "), e.getMessage());
        assertTrue(e.getMessage().endsWith("failed (exit 3): it broke"), e.getMessage());
    }

    @Test
    void aProgramThatCannotStartIsAClearError() {
        AdminException e = assertThrows(AdminException.class, () -> host.run(HostCommand.of(LONG, "/nonexistent/program", "x")));

        assertTrue(e.getMessage().startsWith("cannot run '/nonexistent/program x'"), e.getMessage());
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
                () -> host.run(HostCommand.of(LONG, TREE).withOutputTo(log).asCancellable()));

        assertTrue(Thread.interrupted(), "the interrupt is kept for the caller");
        interrupter.get(30, TimeUnit.SECONDS);
        assertInstanceOf(InterruptedException.class, e.getCause());
        assertTrue(gone(Long.parseLong(Files.readString(log).strip())), "the grandchild was killed");
    }

    @Test
    void anInterruptLetsAnyOtherCommandRunToItsEnd() throws Exception {
        Path marker = temp.resolve("started");
        Thread caller = Thread.currentThread();
        CompletableFuture<Void> interrupter = CompletableFuture.runAsync(() -> {
            waitForContent(marker);
            caller.interrupt();
        });

        HostCommandResult result = host.run(HostCommand.of(LONG, "sh", "-c", "echo up >" + marker + "; sleep 0.5; echo done"));

        assertTrue(Thread.interrupted(), "the interrupt is kept for the caller");
        interrupter.get(30, TimeUnit.SECONDS);
        assertEquals(0, result.exitStatus());
        assertEquals("done\n", result.stdoutText());
    }

    @Test
    void aStartedProgramRunsUntilStoppedWithItsTree() throws Exception {
        Path log = temp.resolve("pid");
        HostCommands.Started started = host.start(HostCommand.of(LONG, TREE).withOutputTo(log));
        long grandchild = Long.parseLong(waitForContent(log).strip());

        assertTrue(started.isAlive());
        assertTrue(ProcessHandle.of(grandchild).map(ProcessHandle::isAlive).orElse(false));
        started.stop();

        assertFalse(started.isAlive());
        assertTrue(gone(grandchild));
    }

    @Test
    void aStartedProgramIsAwaitedWithItsOutput() {
        HostCommands.Started started = host.start(HostCommand.of(LONG, "sh", "-c", "echo hello; exit 4"));

        HostCommandResult result = started.await();

        assertEquals(4, result.exitStatus());
        assertArrayEquals("hello\n".getBytes(StandardCharsets.UTF_8), result.stdout());
    }

    @Test
    void badCommandsAreRefusedWhenMade() {
        assertThrows(IllegalArgumentException.class, () -> HostCommand.of(LONG, List.of()));
        assertThrows(IllegalArgumentException.class, () -> HostCommand.of(Duration.ofSeconds(-1), "true"));
        assertThrows(IllegalArgumentException.class, () -> HostCommand.of(LONG, "true").withOutputCap(-1));
    }

    private static List<String> concat(List<String> a, List<String> b) {
        return java.util.stream.Stream.concat(a.stream(), b.stream()).toList();
    }

    /** Whether the process is gone (or a zombie), waiting a bounded while for the kernel to finish it off. */
    private static boolean gone(long pid) {
        return WatchedProcess.of(pid).map(p -> p.awaitExit(Duration.ofSeconds(10))).orElse(true);
    }

    private static String waitForContent(Path file) {
        long deadline = System.nanoTime() + Duration.ofSeconds(30).toNanos();
        while (System.nanoTime() < deadline) {
            try {
                String text = Files.exists(file) ? Files.readString(file) : "";
                if (text.endsWith("\n")) {
                    return text;
                }
                Thread.sleep(5);
            } catch (IOException | InterruptedException e) {
                throw new IllegalStateException(e);
            }
        }
        throw new IllegalStateException(file + " stayed empty");
    }
}
