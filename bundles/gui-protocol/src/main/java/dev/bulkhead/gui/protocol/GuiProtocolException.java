package dev.bulkhead.gui.protocol;

/** A stream broke the protocol: the message names the first violation; the connection must end. */
public final class GuiProtocolException extends Exception {
    private static final long serialVersionUID = 1L;

    public GuiProtocolException(String message) {
        super(message);
    }
}
