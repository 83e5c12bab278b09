package dev.bulkhead.api;

/**
 * A refused request. The message is one line that names the offending value and, where there is
 * one, what would have been accepted. Nothing has changed when it is thrown.
 */
public class AdminException extends RuntimeException {
    private static final long serialVersionUID = 1L;

    public AdminException(String message) {
        super(message);
    }

    public AdminException(String message, Throwable cause) {
        super(message, cause);
    }
}
