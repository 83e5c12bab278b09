package dev.bulkhead.shell.internal;

/**
 * Ends a command with a given exit status, e.g. {@code qvm:run} passing on the status of the
 * command it ran in a qube. An empty message prints nothing through {@code bin/client}; the
 * interactive shell, which prints what a command threw as one line, shows the status instead.
 */
public final class ExitStatusException extends RuntimeException {
    private static final long serialVersionUID = 1L;
    private final int status;
    private final String command;

    public ExitStatusException(int status, String message) {
        this(status, message, null);
    }

    /** @param command the command that ended so, named in the one line the interactive shell prints */
    public ExitStatusException(int status, String message, String command) {
        super(message);
        this.status = status;
        this.command = command;
    }

    public int status() {
        return status;
    }

    /** The same status and message, said by {@code command}. */
    public ExitStatusException of(String command) {
        ExitStatusException named = new ExitStatusException(status, getMessage(), command);
        named.setStackTrace(getStackTrace());
        return named;
    }

    /** What the interactive shell prints: the message, or the status when there is none; never a class name. */
    @Override
    public String toString() {
        String message = getMessage() == null || getMessage().isEmpty() ? "exit status " + status : getMessage();
        return command == null ? message : command + ": " + message;
    }
}
