package dev.bulkhead.shell.internal.frontend;

/**
 * A command's failure as the user reads it: one plain line, {@code qvm:start: no such qube: 'x'}, with no
 * exception class, whether the interactive shell prints it ({@link #toString()}) or {@code bin/client}
 * ({@link #getMessage()}). The failure it stands for is kept as the cause.
 */
public final class CommandFailedException extends RuntimeException {
    private static final long serialVersionUID = 1L;

    public CommandFailedException(String command, String problem, Throwable cause) {
        super(command + ": " + problem, cause);
    }

    @Override
    public String toString() {
        return getMessage();
    }
}
