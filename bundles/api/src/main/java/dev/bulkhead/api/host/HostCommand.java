package dev.bulkhead.api.host;

import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Objects;

import dev.bulkhead.api.AdminException;

/**
 * A host program to run: its argument vector (passed as is, never through a shell), the bytes fed to its
 * stdin, how long it may run, where it runs and with which extra environment, how much of each output
 * stream is kept, optionally a file that takes its stdout and stderr (appended) instead of capturing them,
 * and whether an interrupt of the caller may end it.
 * <p>
 * Only a command run on a user's behalf whose result nobody waits for any more should be cancellable:
 * every other one changes the host and, cut off halfway, would leave it half-changed.
 *
 * @param argv the program and its arguments; never empty
 * @param stdin the bytes written to the program's stdin, then closed; empty for {@code /dev/null}
 * @param timeout how long the program may run before it and its descendants are killed
 * @param output a file that takes stdout and stderr, appended; {@code null} to capture them
 * @param directory the working directory; {@code null} for the caller's
 * @param environment variables added to (or replacing those in) the caller's environment
 * @param outputCap how many bytes of each captured stream are kept; the rest is read and dropped
 * @param cancellable whether an interrupt of the calling thread kills the program
 * @param stdinHeldOpen whether stdin, after the bytes, stays an open pipe until the program ends or is stopped
 */
public record HostCommand(List<String> argv, byte[] stdin, Duration timeout, Path output, Path directory,
        Map<String, String> environment, int outputCap, boolean cancellable, boolean stdinHeldOpen) {
    /** Enough for any listing the platform parses, small enough that a runaway program cannot fill the heap. */
    public static final int DEFAULT_OUTPUT_CAP = 16 * 1024 * 1024;
    private static final byte[] NO_INPUT = new byte[0];

    public HostCommand {
        argv = List.copyOf(argv);
        if (argv.isEmpty()) {
            throw new IllegalArgumentException("a command needs at least a program name");
        }
        stdin = stdin == null ? NO_INPUT : stdin;
        Objects.requireNonNull(timeout, "timeout");
        if (timeout.isNegative()) {
            throw new IllegalArgumentException("a command's timeout cannot be negative: " + timeout);
        }
        environment = Map.copyOf(environment);
        if (outputCap < 0) {
            throw new IllegalArgumentException("a command's output cap cannot be negative: " + outputCap);
        }
    }

    public static HostCommand of(Duration timeout, List<String> argv) {
        return new HostCommand(argv, NO_INPUT, timeout, null, null, Map.of(), DEFAULT_OUTPUT_CAP, false, false);
    }

    public static HostCommand of(Duration timeout, String... argv) {
        return of(timeout, List.of(argv));
    }

    public HostCommand withStdin(byte[] input) {
        return new HostCommand(argv, input, timeout, output, directory, environment, outputCap, cancellable, stdinHeldOpen);
    }

    public HostCommand withTimeout(Duration limit) {
        return new HostCommand(argv, stdin, limit, output, directory, environment, outputCap, cancellable, stdinHeldOpen);
    }

    /** Sends stdout and stderr to the end of {@code file}, for commands that leave processes running. */
    public HostCommand withOutputTo(Path file) {
        return new HostCommand(argv, stdin, timeout, file, directory, environment, outputCap, cancellable, stdinHeldOpen);
    }

    public HostCommand withDirectory(Path workingDirectory) {
        return new HostCommand(argv, stdin, timeout, output, workingDirectory, environment, outputCap, cancellable, stdinHeldOpen);
    }

    public HostCommand withEnvironment(Map<String, String> variables) {
        return new HostCommand(argv, stdin, timeout, output, directory, variables, outputCap, cancellable, stdinHeldOpen);
    }

    public HostCommand withOutputCap(int bytes) {
        return new HostCommand(argv, stdin, timeout, output, directory, environment, bytes, cancellable, stdinHeldOpen);
    }

    /** Lets an interrupt of the caller kill the command: for a command whose caller went away. */
    public HostCommand asCancellable() {
        return new HostCommand(argv, stdin, timeout, output, directory, environment, outputCap, true, stdinHeldOpen);
    }

    /**
     * Keeps stdin an open pipe from the platform until the program ends or is stopped, for a helper that must
     * end with the platform: it sees end of file when the platform's process goes, however it goes.
     */
    public HostCommand withStdinHeldOpen() {
        return new HostCommand(argv, stdin, timeout, output, directory, environment, outputCap, cancellable, true);
    }

    /** The command as a person would type it, for messages. */
    public String display() {
        return String.join(" ", argv);
    }

    /** A one-line error naming this command and why it failed. */
    public AdminException failure(HostCommandResult result) {
        if (result.timedOut()) {
            return new AdminException("'" + display() + "' did not finish within " + timeout.toMillis() + " ms and was killed");
        }
        String reason = result.stderrLine();
        return new AdminException("'" + display() + "' failed (exit " + result.exitStatus() + ")"
                + (reason.isEmpty() ? "" : ": " + reason));
    }
}
