package dev.bulkhead.api;

/** The request does not fit the qube's current state (e.g. changing the template of a running qube). */
public class InvalidStateException extends AdminException {
    private static final long serialVersionUID = 1L;

    public InvalidStateException(String message) {
        super(message);
    }
}
