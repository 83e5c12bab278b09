package dev.bulkhead.api.host;

import java.io.InputStream;
import java.io.OutputStream;
import java.time.Duration;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.function.Predicate;

import org.osgi.annotation.versioning.ProviderType;

/**
 * Runs host programs. The one way Bulkhead's bundles start a program on the host, so that each one gets the
 * same timeout, output bounds and clean-up, and so that the logic around it can be tested with a fake.
 * <p>
 * In OSGi it is a service; outside (embedded mode, command-line tools) {@link ProcessHostCommands} is
 * constructed directly.
 */
@ProviderType
public interface HostCommands {
    /**
     * Runs the command to its end or its timeout. A command still running at its timeout is killed together
     * with every process it started, and the result says {@code timedOut}. An interrupt of the caller kills
     * a {@linkplain HostCommand#cancellable() cancellable} command the same way and throws; any other
     * command runs on to its end or timeout, and the interrupt is kept for the caller.
     *
     * @throws dev.bulkhead.api.AdminException when the program cannot be started at all, or a cancellable
     *         command was interrupted
     */
    HostCommandResult run(HostCommand command);

    /** Runs the command and insists that it succeeds. */
    default HostCommandResult runOrThrow(HostCommand command) {
        HostCommandResult result = run(command);
        if (!result.succeeded()) {
            throw command.failure(result);
        }
        return result;
    }

    /**
     * Starts the command and returns at once, for a program that serves until it is stopped (a test server,
     * a traffic sink, a platform under test). Its output goes to the command's output file, or is drained
     * and kept up to the cap. Its timeout bounds how long {@link Started#stop()} waits for it to end.
     *
     * @throws dev.bulkhead.api.AdminException when the program cannot be started at all
     */
    Started start(HostCommand command);

    /**
     * Starts the command and returns at once, for a program watched or talked to while it runs: a monitor
     * whose events are read as they come, a server that says when it is ready, a client under test. Its
     * stdout is read line by line ({@link Streaming#nextLine(Duration)}), within bounds: a line is cut at
     * {@link Streaming#MAX_LINE_BYTES}, at most {@link Streaming#MAX_WAITING_BYTES} of lines wait to be taken,
     * and at most the command's output cap of lines is delivered in all; a line past a bound is dropped, so a
     * reader that lags never holds the program up, and the result says that stdout was truncated. Its stderr
     * is kept up to the cap for the result. A command that {@linkplain HostCommand#withStdinHeldOpen() holds
     * its stdin open} is written to with {@link Streaming#write(String)}. Its timeout bounds
     * {@link Started#await()}, as for {@link #start(HostCommand)}; {@link Started#close()} kills it with its
     * descendants.
     *
     * @throws IllegalArgumentException when the command sends its output to a file: a streamed program's
     *         output is read, not written away
     * @throws dev.bulkhead.api.AdminException when the program cannot be started at all
     */
    Streaming stream(HostCommand command);

    /**
     * Starts the command and returns at once, for a program whose stdin, stdout and stderr are byte streams the
     * caller joins to others (a service called from another qube): nothing is drained or kept for the caller, who
     * must read stdout and stderr (or close them) for the program not to block on a full pipe, and whose blocking
     * writes to stdin wait while the program does not read. Closing {@link Piped#stdin()} gives the program an end
     * of file. Its timeout bounds {@link Started#await()} as for {@link #start(HostCommand)}; its result holds the
     * exit status only. {@link Started#stop()} kills it with its descendants. The command's stdin bytes, if any, are
     * written first, from a thread of their own.
     *
     * @throws IllegalArgumentException when the command sends its output to a file
     * @throws dev.bulkhead.api.AdminException when the program cannot be started at all
     * @since 1.2
     */
    Piped pipe(HostCommand command);

    /** A program started by {@link #start(HostCommand)}. */
    @ProviderType
    interface Started extends AutoCloseable {
        long pid();

        boolean isAlive();

        /**
         * Waits up to the command's timeout for the program to end by itself, then kills it with its
         * descendants; what it left.
         */
        HostCommandResult await();

        /** Completes with what the program left once it has ended, by itself or stopped. */
        CompletableFuture<HostCommandResult> onExit();

        /** Kills the program and every process it started; what it left. */
        HostCommandResult stop();

        /** {@link #stop()}, for try-with-resources. */
        @Override
        default void close() {
            stop();
        }
    }

    /** A program started by {@link #pipe(HostCommand)}: its three streams, for the caller to join. */
    @ProviderType
    interface Piped extends Started {
        /** The program's stdin; closing it gives the program an end of file. */
        OutputStream stdin();

        /** The program's stdout, read by the caller. */
        InputStream stdout();

        /** The program's stderr, read by the caller. */
        InputStream stderr();
    }

    /**
     * A program started by {@link #stream(HostCommand)}: its stdout comes as lines, its stdin takes what
     * the caller writes. Lines are taken in the order the program wrote them; the last one need not end
     * with a newline.
     */
    @ProviderType
    interface Streaming extends Started {
        /** The longest line delivered, in bytes; a longer line is cut to it and the rest of it dropped. */
        int MAX_LINE_BYTES = 16 * 1024;
        /** How many bytes of lines may wait to be taken; a line that does not fit is dropped. */
        int MAX_WAITING_BYTES = 1024 * 1024;

        /**
         * The next line of stdout, without its newline, waiting for it up to the timeout. Empty when no line
         * came in time, or when stdout has {@linkplain #outputEnded() ended}. An interrupt ends the wait with
         * nothing and is kept for the caller.
         */
        Optional<String> nextLine(Duration timeout);

        /**
         * The first line of stdout the predicate accepts, passing over (and dropping) the lines before it,
         * waiting for it up to the timeout; empty as {@link #nextLine(Duration)} is.
         */
        default Optional<String> awaitLine(Predicate<String> wanted, Duration timeout) {
            long deadline = System.nanoTime() + timeout.toNanos();
            while (true) {
                Optional<String> line = nextLine(Duration.ofNanos(Math.max(0, deadline - System.nanoTime())));
                if (line.isEmpty() || wanted.test(line.get())) {
                    return line;
                }
            }
        }

        /**
         * Whether stdout has ended (every process holding it has closed it, or the program was stopped) and
         * every line of it has been taken: no line will come any more.
         */
        boolean outputEnded();

        /**
         * Writes the text, UTF-8 encoded, to the program's stdin at once.
         *
         * @throws IllegalStateException when the command does not hold its stdin open, or it was closed
         * @throws dev.bulkhead.api.AdminException when the program no longer reads its stdin
         */
        void write(String text);

        /** Closes the program's stdin, so that it reads an end of file; does nothing when it is closed. */
        void closeStdin();

        /**
         * Waits up to the timeout for the program to end by itself, and leaves it running if it does not.
         * An interrupt ends the wait early and is kept for the caller.
         *
         * @return whether the program has ended
         */
        boolean waitFor(Duration timeout);
    }
}
