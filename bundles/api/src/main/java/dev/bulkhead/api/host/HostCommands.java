package dev.bulkhead.api.host;

import java.util.concurrent.CompletableFuture;

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
}
