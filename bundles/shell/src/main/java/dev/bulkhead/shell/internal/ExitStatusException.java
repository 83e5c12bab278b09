package dev.bulkhead.shell.internal;

/**
 * Ends a command with a given exit status, e.g. {@code qvm:run} passing on the status of the
 * command it ran in a qube. An empty message prints nothing.
 */
public final class ExitStatusException extends RuntimeException {
    private static final long serialVersionUID = 1L;
    private final int status;

    public ExitStatusException(int status, String message) {
        super(message);
        this.status = status;
    }

    public int status() {
        return status;
    }
}
