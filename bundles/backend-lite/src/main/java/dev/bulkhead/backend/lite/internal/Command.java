package dev.bulkhead.backend.lite.internal;

import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Objects;

import dev.bulkhead.api.AdminException;

/**
 * A host command: its argv, the bytes fed to its stdin, how long it may run, and optionally a file that
 * takes its stdout and stderr (appended) instead of capturing them.
 */
record Command(List<String> argv, byte[] stdin, Duration timeout, Path output) {
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
        return new Command(argv, NO_INPUT, timeout, null);
    }

    Command withStdin(byte[] input) {
        return new Command(argv, input, timeout, output);
    }

    Command withTimeout(Duration limit) {
        return new Command(argv, stdin, limit, output);
    }

    /** Sends stdout and stderr to the end of {@code file}, for commands that leave processes running. */
    Command withOutputTo(Path file) {
        return new Command(argv, stdin, timeout, file);
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
