package dev.bulkhead.backend.lite.internal;

import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Objects;

import dev.bulkhead.api.AdminException;

/**
 * A host command: its argv, the bytes fed to its stdin, how long it may run, optionally a file that
 * takes its stdout and stderr (appended) instead of capturing them, and whether an interrupt of the
 * caller may end it. Only a command run in a qube on a user's behalf may be ended so: every other one
 * changes the host and, cut off halfway, would leave it half-changed.
 */
record Command(List<String> argv, byte[] stdin, Duration timeout, Path output, boolean cancellable) {
    private static final byte[] NO_INPUT = new byte[0];

    Command {
        argv = List.copyOf(argv);
        if (argv.isEmpty()) {
            throw new IllegalArgumentException("a command needs at least a program name");
        }
        stdin = stdin == null ? NO_INPUT : stdin;
        Objects.requireNonNull(timeout, "timeout");
    }

    static Command of(Duration timeout, List<String> argv) {
        return new Command(argv, NO_INPUT, timeout, null, false);
    }

    Command withStdin(byte[] input) {
        return new Command(argv, input, timeout, output, cancellable);
    }

    Command withTimeout(Duration limit) {
        return new Command(argv, stdin, limit, output, cancellable);
    }

    /** Sends stdout and stderr to the end of {@code file}, for commands that leave processes running. */
    Command withOutputTo(Path file) {
        return new Command(argv, stdin, timeout, file, cancellable);
    }

    /** Lets an interrupt of the caller kill the command: for a command in a qube whose caller went away. */
    Command asCancellable() {
        return new Command(argv, stdin, timeout, output, true);
    }

    /** The command as a person would type it, for messages. */
    String display() {
        return String.join(" ", argv);
    }

    /** A one-line error naming this command and why it failed. */
    AdminException failure(CommandResult result) {
        if (result.timedOut()) {
            return new AdminException("'" + display() + "' did not finish within " + timeout.toMillis() + " ms and was killed");
        }
        String reason = result.stderrLine();
        return new AdminException("'" + display() + "' failed (exit " + result.exitStatus() + ")"
                + (reason.isEmpty() ? "" : ": " + reason));
    }
}
