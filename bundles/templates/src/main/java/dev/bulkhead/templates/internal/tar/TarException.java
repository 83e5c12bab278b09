package dev.bulkhead.templates.internal.tar;

import java.io.IOException;

/** A tar archive that is damaged or uses something this reader does not take; the message says what. */
public final class TarException extends IOException {
    private static final long serialVersionUID = 1L;

    public TarException(String message) {
        super(message);
    }
}
