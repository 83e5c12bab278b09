package dev.bulkhead.testing;

import java.io.ByteArrayInputStream;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.function.Function;

import dev.bulkhead.api.host.HostCommand;
import dev.bulkhead.api.host.HostCommandResult;
import dev.bulkhead.api.host.HostCommands;

/**
 * Records host commands and answers them without running anything. Scripted answers for commands whose
 * command line contains a given text take precedence, the latest first; any other command gets what
 * {@link #otherwise} gives (by default a success with no output). A started or streamed command is recorded
 * the same way, and its answer is what it left when awaited or stopped; a streamed command's lines are its
 * answer's stdout, there at once, and what is written to its stdin is dropped. A fake program never ends by
 * itself: it runs until it is awaited or stopped. A piped command's stdout and stderr are its answer's, to be read
 * at once, and what is written to its stdin is dropped.
 */
public class FakeHostCommands implements HostCommands {
    private record Answer(String fragment, Function<HostCommand, HostCommandResult> reply) {
    }

    private final List<HostCommand> commands = new ArrayList<>();
    private final List<Answer> answers = new ArrayList<>();
    private Function<HostCommand, HostCommandResult> otherwise = c -> ok("");

    public static HostCommandResult ok(String stdout) {
        return new HostCommandResult(0, stdout.getBytes(StandardCharsets.UTF_8), new byte[0], false);
    }

    public static HostCommandResult failed(int exitStatus, String stderr) {
        return new HostCommandResult(exitStatus, new byte[0], stderr.getBytes(StandardCharsets.UTF_8), false);
    }

    /** What a command killed at its timeout leaves: SIGKILL's status. */
    public static HostCommandResult timedOut() {
        return new HostCommandResult(137, new byte[0], new byte[0], true);
    }

    /** What a program stopped by {@link Started#stop()} leaves: SIGKILL's status, not a timeout. */
    public static HostCommandResult killed() {
        return new HostCommandResult(137, new byte[0], new byte[0], false);
    }

    /** Answers every command whose command line contains the fragment. */
    public FakeHostCommands answer(String fragment, HostCommandResult result) {
        return answer(fragment, c -> result);
    }

    public synchronized FakeHostCommands answer(String fragment, Function<HostCommand, HostCommandResult> reply) {
        answers.add(0, new Answer(fragment, reply));
        return this;
    }

    /** Answers every command no scripted answer matches. */
    public synchronized FakeHostCommands otherwise(Function<HostCommand, HostCommandResult> reply) {
        otherwise = reply;
        return this;
    }

    public synchronized List<HostCommand> commands() {
        return List.copyOf(commands);
    }

    /** The command lines run so far, with the given directory shown as {@code D}. */
    public synchronized List<String> lines(Path directory) {
        return commands.stream().map(c -> c.display().replace(directory.toString(), "D")).toList();
    }

    @Override
    public HostCommandResult run(HostCommand command) {
        // outside the lock: a scripted reply may block to act out a slow command
        return record(command).apply(command);
    }

    @Override
    public Started start(HostCommand command) {
        return new Program(command, record(command), false);
    }

    @Override
    public Streaming stream(HostCommand command) {
        if (command.output() != null) {
            throw new IllegalArgumentException("a streamed command's output is read as lines, not sent to " + command.output()
                    + ": '" + command.display() + "'");
        }
        return new Program(command, record(command), true);
    }

    @Override
    public Piped pipe(HostCommand command) {
        if (command.output() != null) {
            throw new IllegalArgumentException("a piped command's output is read by its caller, not sent to " + command.output()
                    + ": '" + command.display() + "'");
        }
        return new PipedProgram(new Program(command, record(command), true));
    }

    /** A piped program: the streams of its reply, its end that of the program it wraps. */
    private static final class PipedProgram implements Piped {
        private final Program program;

        PipedProgram(Program program) {
            this.program = program;
        }

        @Override
        public OutputStream stdin() {
            return OutputStream.nullOutputStream();
        }

        @Override
        public InputStream stdout() {
            return new ByteArrayInputStream(program.answer().stdout());
        }

        @Override
        public InputStream stderr() {
            return new ByteArrayInputStream(program.answer().stderr());
        }

        @Override
        public long pid() {
            return program.pid();
        }

        @Override
        public boolean isAlive() {
            return program.isAlive();
        }

        @Override
        public HostCommandResult await() {
            HostCommandResult a = program.await();
            return new HostCommandResult(a.exitStatus(), new byte[0], new byte[0], a.timedOut());
        }

        @Override
        public CompletableFuture<HostCommandResult> onExit() {
            return program.onExit().thenApply(a -> new HostCommandResult(a.exitStatus(), new byte[0], new byte[0], a.timedOut()));
        }

        @Override
        public HostCommandResult stop() {
            return await();
        }
    }

    /** Records the command and picks its reply. */
    private synchronized Function<HostCommand, HostCommandResult> record(HostCommand command) {
        commands.add(command);
        String line = command.display();
        for (Answer a : answers) {
            if (line.contains(a.fragment())) {
                return a.reply();
            }
        }
        return otherwise;
    }

    /** A started or streamed program: alive until awaited or stopped, its lines those of its reply's stdout. */
    private static final class Program implements Streaming {
        private final HostCommand command;
        private final Function<HostCommand, HostCommandResult> reply;
        private final boolean streamed;
        private final CompletableFuture<HostCommandResult> exit = new CompletableFuture<>();
        private HostCommandResult answer;
        private HostCommandResult result;
        private Deque<String> lines;
        private boolean stdinOpen;

        Program(HostCommand command, Function<HostCommand, HostCommandResult> reply, boolean streamed) {
            this.command = command;
            this.reply = reply;
            this.streamed = streamed;
            this.stdinOpen = command.stdinHeldOpen();
        }

        @Override
        public long pid() {
            return -1;
        }

        @Override
        public synchronized boolean isAlive() {
            return result == null;
        }

        @Override
        public synchronized HostCommandResult await() {
            if (result == null) {
                HostCommandResult a = answer();
                // a streamed program's stdout went to its lines, as on the host
                result = streamed ? new HostCommandResult(a.exitStatus(), new byte[0], a.stderr(), a.timedOut(), a.stdoutTruncated(),
                        a.stderrTruncated()) : a;
                stdinOpen = false;
                exit.complete(result);
            }
            return result;
        }

        @Override
        public CompletableFuture<HostCommandResult> onExit() {
            return exit;
        }

        @Override
        public HostCommandResult stop() {
            return await();
        }

        @Override
        public synchronized Optional<String> nextLine(Duration timeout) {
            return Optional.ofNullable(lines().poll());
        }

        @Override
        public synchronized boolean outputEnded() {
            return lines().isEmpty();
        }

        @Override
        public synchronized void write(String text) {
            if (!stdinOpen) {
                throw new IllegalStateException("'" + command.display() + "' does not hold its stdin open for writing");
            }
        }

        @Override
        public synchronized void closeStdin() {
            stdinOpen = false;
        }

        @Override
        public synchronized boolean waitFor(Duration timeout) {
            return result != null;
        }

        /** The reply, asked for once: the lines and the result both come from it. */
        synchronized HostCommandResult answer() {
            if (answer == null) {
                answer = reply.apply(command);
            }
            return answer;
        }

        private Deque<String> lines() {
            if (lines == null) {
                String out = answer().stdoutText();
                lines = new ArrayDeque<>(out.isEmpty() ? List.of() : List.of(out.split("\n", -1)));
                if (out.endsWith("\n")) {
                    lines.removeLast();
                }
            }
            return lines;
        }
    }
}
