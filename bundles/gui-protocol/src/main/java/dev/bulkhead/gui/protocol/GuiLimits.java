package dev.bulkhead.gui.protocol;

/** The fixed limits every value from a qube is checked against before use. */
public final class GuiLimits {
    /** The protocol version this code speaks: major in the high 16 bits, minor in the low. */
    public static final int VERSION = 1 << 16;
    /** Header: type, window, payload length, each an unsigned 32-bit big-endian number. */
    public static final int HEADER_BYTES = 12;
    /** Widest window, as Qubes' MAX_WINDOW_WIDTH. */
    public static final int MAX_WIDTH = 16384;
    /** Tallest window, as Qubes' MAX_WINDOW_HEIGHT. */
    public static final int MAX_HEIGHT = 6144;
    /** Farthest a window's corner may lie from the origin, in either direction. */
    public static final int MAX_COORDINATE = 32767;
    /**
     * Pixels of one PIXELS message. Larger damage travels as several rectangles, so a reader never
     * allocates more than this for one message, whatever the announced window size.
     */
    public static final int MAX_PIXELS_PER_MESSAGE = 1 << 20;
    /** Bytes of a window title on the wire; a longer one breaks the protocol. */
    public static final int MAX_TITLE_BYTES = 1024;
    /** Code points of a title once cut to printable text. */
    public static final int MAX_TITLE_CHARS = 128;
    /** Bytes of a WMCLASS payload (class and instance, separated by a NUL). */
    public static final int MAX_CLASS_BYTES = 256;
    /** Bytes of one clipboard transfer on the wire; the daemon's own limit is at most this. */
    public static final int MAX_CLIPBOARD_BYTES = 1 << 18;
    /** Windows one qube may have at once. */
    public static final int MAX_WINDOWS = 1024;

    private GuiLimits() {
    }
}
