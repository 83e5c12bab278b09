package dev.bulkhead.shell.client;

import java.io.IOException;

/** The peer sent something that is not a well-formed frame. */
public final class ProtocolException extends IOException {
    private static final long serialVersionUID = 1L;

    public ProtocolException(String message) {
        super(message);
    }
}
