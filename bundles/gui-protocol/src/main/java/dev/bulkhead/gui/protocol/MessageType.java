package dev.bulkhead.gui.protocol;

import java.util.EnumSet;
import java.util.Set;

/**
 * The message types, their number on the wire, who may send them, whether they name a window,
 * and the payload sizes they allow. A reader checks the announced length against these bounds
 * before it reads a byte of payload.
 */
public enum MessageType {
    HELLO(1, Set.of(Direction.QUBE_TO_DOM0, Direction.DOM0_TO_QUBE), false, 4, 4),
    CREATE(2, Set.of(Direction.QUBE_TO_DOM0), true, 24, 24),
    DESTROY(3, Set.of(Direction.QUBE_TO_DOM0), true, 0, 0),
    MAP(4, Set.of(Direction.QUBE_TO_DOM0), true, 4, 4),
    UNMAP(5, Set.of(Direction.QUBE_TO_DOM0), true, 0, 0),
    CONFIGURE(6, Set.of(Direction.QUBE_TO_DOM0, Direction.DOM0_TO_QUBE), true, 20, 20),
    PIXELS(7, Set.of(Direction.QUBE_TO_DOM0), true, 16, 16 + 4 * GuiLimits.MAX_PIXELS_PER_MESSAGE),
    WMNAME(8, Set.of(Direction.QUBE_TO_DOM0), true, 0, GuiLimits.MAX_TITLE_BYTES),
    WMCLASS(9, Set.of(Direction.QUBE_TO_DOM0), true, 0, GuiLimits.MAX_CLASS_BYTES),
    KEYPRESS(10, Set.of(Direction.DOM0_TO_QUBE), true, 12, 12),
    BUTTON(11, Set.of(Direction.DOM0_TO_QUBE), true, 20, 20),
    MOTION(12, Set.of(Direction.DOM0_TO_QUBE), true, 12, 12),
    FOCUS(13, Set.of(Direction.DOM0_TO_QUBE), true, 4, 4),
    CLOSE(14, Set.of(Direction.DOM0_TO_QUBE), true, 0, 0),
    CLIPBOARD_REQ(15, Set.of(Direction.DOM0_TO_QUBE), false, 0, 0),
    CLIPBOARD_DATA(16, Set.of(Direction.QUBE_TO_DOM0, Direction.DOM0_TO_QUBE), false, 0, GuiLimits.MAX_CLIPBOARD_BYTES);

    private final int code;
    private final Set<Direction> directions;
    private final boolean namesWindow;
    private final int minPayload;
    private final int maxPayload;

    MessageType(int code, Set<Direction> directions, boolean namesWindow, int minPayload, int maxPayload) {
        this.code = code;
        this.directions = EnumSet.copyOf(directions);
        this.namesWindow = namesWindow;
        this.minPayload = minPayload;
        this.maxPayload = maxPayload;
    }

    /** The number on the wire. */
    public int code() {
        return code;
    }

    /** Whether {@code direction} may carry this type. */
    public boolean travels(Direction direction) {
        return directions.contains(direction);
    }

    /** Whether the header's window field names a window (non-zero) or must be zero. */
    public boolean namesWindow() {
        return namesWindow;
    }

    public int minPayload() {
        return minPayload;
    }

    public int maxPayload() {
        return maxPayload;
    }

    /** The type with this number, or null. */
    public static MessageType byCode(long code) {
        for (MessageType t : values()) {
            if (t.code == code) {
                return t;
            }
        }
        return null;
    }
}
