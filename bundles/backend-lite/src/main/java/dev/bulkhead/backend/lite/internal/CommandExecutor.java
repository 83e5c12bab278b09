package dev.bulkhead.backend.lite.internal;

/** Runs host commands. The only way this bundle touches host tools, so that the logic can be tested without them. */
interface CommandExecutor {
    /**
     * Runs the command to its end or its timeout. A command still running at its timeout is killed together
     * with every process it started, and the result says {@code timedOut}.
     *
     * @throws dev.bulkhead.api.AdminException when the program cannot be started at all
     */
    CommandResult run(Command command);

    /** Runs the command and insists that it succeeds. */
    default CommandResult runOrThrow(Command command) {
        CommandResult result = run(command);
        if (!result.succeeded()) {
            throw command.failure(result);
        }
        return result;
    }
}
