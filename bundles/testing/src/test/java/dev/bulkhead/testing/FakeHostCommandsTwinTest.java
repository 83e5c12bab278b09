package dev.bulkhead.testing;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.Optional;

import org.junit.jupiter.api.Test;

import dev.bulkhead.api.AdminException;
import dev.bulkhead.api.host.HostCommand;
import dev.bulkhead.api.host.HostCommandResult;
import dev.bulkhead.api.host.HostCommands;
import dev.bulkhead.api.host.ProcessHostCommands;

/**
 * The fake's canned answers against what real programs leave: a unit test that scripts the fake with
 * {@code ok}, {@code failed} or {@code timedOut} sees what its code would see on the host.
 */
class FakeHostCommandsTwinTest {
    private static final Duration LONG = Duration.ofSeconds(30);

    private final HostCommands real = new ProcessHostCommands();

    @Test
    void aSuccessWithOutput() {
        HostCommand command = HostCommand.of(LONG, "printf", "%s", "hello");

        assertSame(real.run(command), fake(command, FakeHostCommands.ok("hello")).run(command));
    }

    @Test
    void aFailureWithItsErrorLine() {
        HostCommand command = HostCommand.of(LONG, "sh", "-c", "echo oops >&2; exit 2");
        HostCommands fake = fake(command, FakeHostCommands.failed(2, "oops\n"));

        assertSame(real.run(command), fake.run(command));
        assertEquals(assertThrows(AdminException.class, () -> real.runOrThrow(command)).getMessage(),
                assertThrows(AdminException.class, () -> fake.runOrThrow(command)).getMessage());
    }

    @Test
    void aTimeout() {
        HostCommand command = HostCommand.of(Duration.ofMillis(100), "sleep", "30");
        HostCommands fake = fake(command, FakeHostCommands.timedOut());

        assertSame(real.run(command), fake.run(command));
        assertEquals(assertThrows(AdminException.class, () -> real.runOrThrow(command)).getMessage(),
                assertThrows(AdminException.class, () -> fake.runOrThrow(command)).getMessage());
    }

    @Test
    void aStartedProgramStopped() {
        HostCommand command = HostCommand.of(LONG, "sleep", "30");
        HostCommands fake = fake(command, FakeHostCommands.killed());

        try (HostCommands.Started started = real.start(command)) {
            HostCommands.Started faked = fake.start(command);
            assertSame(started.stop(), faked.stop());
            assertSame(started.onExit().join(), faked.onExit().join());
        }
    }

    @Test
    void aStreamedProgramsLinesAndResult() {
        HostCommand command = HostCommand.of(LONG, "sh", "-c", "printf 'a\\nb\\n'; echo oops >&2; exit 2").withStdinHeldOpen();
        HostCommands fake = fake(command, new HostCommandResult(2, "a\nb\n".getBytes(StandardCharsets.UTF_8),
                "oops\n".getBytes(StandardCharsets.UTF_8), false));

        try (HostCommands.Streaming streamed = real.stream(command); HostCommands.Streaming faked = fake.stream(command)) {
            for (String line : List.of("a", "b")) {
                assertEquals(Optional.of(line), streamed.nextLine(LONG));
                assertEquals(Optional.of(line), faked.nextLine(LONG));
            }
            assertEquals(streamed.nextLine(LONG), faked.nextLine(LONG));
            assertEquals(streamed.outputEnded(), faked.outputEnded());
            assertSame(streamed.await(), faked.await());
        }
    }

    @Test
    void aStreamedProgramsStdinIsWrittenOnlyWhenHeldOpen() {
        HostCommand command = HostCommand.of(LONG, "cat");
        HostCommands fake = fake(command, FakeHostCommands.ok(""));

        try (HostCommands.Streaming streamed = real.stream(command); HostCommands.Streaming faked = fake.stream(command)) {
            assertThrows(IllegalStateException.class, () -> streamed.write("x"));
            assertThrows(IllegalStateException.class, () -> faked.write("x"));
        }
    }

    @Test
    void aPipedProgramsStreamsAndExitStatus() throws Exception {
        HostCommand command = HostCommand.of(LONG, "sh", "-c", "cat >/dev/null; printf out; printf err >&2; exit 3");
        HostCommands fake = fake(command, new HostCommandResult(3, "out".getBytes(StandardCharsets.UTF_8),
                "err".getBytes(StandardCharsets.UTF_8), false));

        try (HostCommands.Piped piped = real.pipe(command); HostCommands.Piped faked = fake.pipe(command)) {
            for (HostCommands.Piped p : List.of(piped, faked)) {
                p.stdin().write("dropped".getBytes(StandardCharsets.UTF_8));
                p.stdin().close();
            }
            assertEquals(new String(piped.stdout().readAllBytes(), StandardCharsets.UTF_8),
                    new String(faked.stdout().readAllBytes(), StandardCharsets.UTF_8));
            assertEquals(new String(piped.stderr().readAllBytes(), StandardCharsets.UTF_8),
                    new String(faked.stderr().readAllBytes(), StandardCharsets.UTF_8));
            assertSame(piped.await(), faked.await());
            assertEquals(3, faked.onExit().join().exitStatus());
        }
    }

    @Test
    void theFakeRecordsWhatItWasAskedInOrder() {
        FakeHostCommands fake = new FakeHostCommands().answer("b", FakeHostCommands.failed(1, "")).answer("b c",
                FakeHostCommands.ok("latest first"));

        assertEquals("latest first", fake.run(HostCommand.of(LONG, "b", "c")).stdoutText());
        assertEquals(1, fake.run(HostCommand.of(LONG, "b")).exitStatus());
        assertEquals(0, fake.run(HostCommand.of(LONG, "a")).exitStatus());
        assertEquals(List.of("b c", "b", "a"), fake.commands().stream().map(HostCommand::display).toList());
    }

    private static HostCommands fake(HostCommand command, HostCommandResult answer) {
        return new FakeHostCommands().answer(command.display(), answer);
    }

    private static void assertSame(HostCommandResult real, HostCommandResult fake) {
        assertEquals(real.exitStatus(), fake.exitStatus(), "exit status");
        assertEquals(real.stdoutText(), fake.stdoutText(), "stdout");
        assertEquals(real.stderrText(), fake.stderrText(), "stderr");
        assertEquals(real.timedOut(), fake.timedOut(), "timed out");
        assertEquals(real.succeeded(), fake.succeeded(), "succeeded");
    }
}
