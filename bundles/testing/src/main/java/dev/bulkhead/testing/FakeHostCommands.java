package dev.bulkhead.testing;

import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.function.Function;

import dev.bulkhead.api.host.HostCommand;
import dev.bulkhead.api.host.HostCommandResult;
import dev.bulkhead.api.host.HostCommands;

/**
 * Records host commands and answers them without running anything. Scripted answers for commands whose
 * command line contains a given text take precedence, the latest first; any other command gets what
 * {@link #otherwise} gives (by default a success with no output). A started command is recorded the same
 * way, and its answer is what it left when awaited or stopped.
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
        Function<HostCommand, HostCommandResult> reply = record(command);
        return new Started() {
            private final CompletableFuture<HostCommandResult> exit = new CompletableFuture<>();
            private HostCommandResult result;

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
                    result = reply.apply(command);
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
        };
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
}
