package dev.bulkhead.gui.protocol;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;

/**
 * One message of the GUI protocol. Values a reader produced from a qube's stream have passed
 * {@link MessageReader}'s checks: sizes within {@link GuiLimits}, titles printable and short.
 */
public sealed interface GuiMessage {
    MessageType type();

    /** The window the message is about; 0 for messages about the connection. */
    int window();

    /** The payload, without the header. */
    ByteBuffer payload();

    /** Both sides' first message: the sender's {@link GuiLimits#VERSION}. */
    record Hello(int version) implements GuiMessage {
        public MessageType type() { return MessageType.HELLO; }
        public int window() { return 0; }
        public ByteBuffer payload() { return ints(version); }
    }

    /** A new window of the qube, not yet shown. {@code parent} is 0 for a top-level window. */
    record Create(int window, int x, int y, int width, int height, int parent, boolean overrideRedirect) implements GuiMessage {
        public MessageType type() { return MessageType.CREATE; }
        public ByteBuffer payload() { return ints(x, y, width, height, parent, flag(overrideRedirect)); }
    }

    record Destroy(int window) implements GuiMessage {
        public MessageType type() { return MessageType.DESTROY; }
        public ByteBuffer payload() { return ints(); }
    }

    /** Show a window; an override-redirect one is a menu or tooltip. */
    record Map(int window, boolean overrideRedirect) implements GuiMessage {
        public MessageType type() { return MessageType.MAP; }
        public ByteBuffer payload() { return ints(flag(overrideRedirect)); }
    }

    record Unmap(int window) implements GuiMessage {
        public MessageType type() { return MessageType.UNMAP; }
        public ByteBuffer payload() { return ints(); }
    }

    /** A window's place and size: from the qube when it moved it, from dom0 when the user did. */
    record Configure(int window, int x, int y, int width, int height, boolean overrideRedirect) implements GuiMessage {
        public MessageType type() { return MessageType.CONFIGURE; }
        public ByteBuffer payload() { return ints(x, y, width, height, flag(overrideRedirect)); }
    }

    /** New content of a rectangle of a window: {@code width * height} pixels, 0xRRGGBB each, row by row. */
    record Pixels(int window, int x, int y, int width, int height, int[] rgb) implements GuiMessage {
        public MessageType type() { return MessageType.PIXELS; }
        public ByteBuffer payload() {
            ByteBuffer b = ByteBuffer.allocate(16 + 4 * rgb.length);
            b.putInt(x).putInt(y).putInt(width).putInt(height);
            for (int p : rgb) {
                b.putInt(p & 0xffffff);
            }
            return b.flip();
        }
        @Override
        public boolean equals(Object o) {
            return o instanceof Pixels p && p.window == window && p.x == x && p.y == y && p.width == width
                    && p.height == height && Arrays.equals(p.rgb, rgb);
        }
        @Override
        public int hashCode() {
            return Arrays.hashCode(rgb) * 31 + window;
        }
        @Override
        public String toString() {
            return "Pixels[window=" + window + ", " + width + "x" + height + "+" + x + "+" + y + "]";
        }
    }

    /** A window's title as the qube names it; dom0 shows it only after {@code [qube] }. */
    record WmName(int window, String title) implements GuiMessage {
        public MessageType type() { return MessageType.WMNAME; }
        public ByteBuffer payload() { return ByteBuffer.wrap(title.getBytes(StandardCharsets.UTF_8)); }
    }

    record WmClass(int window, String className, String instance) implements GuiMessage {
        public MessageType type() { return MessageType.WMCLASS; }
        public ByteBuffer payload() { return ByteBuffer.wrap((className + "\0" + instance).getBytes(StandardCharsets.UTF_8)); }
    }

    /** A key pressed or released: an X keysym and the X modifier mask in force. */
    record Key(int window, boolean pressed, int keysym, int state) implements GuiMessage {
        public MessageType type() { return MessageType.KEYPRESS; }
        public ByteBuffer payload() { return ints(flag(pressed), keysym, state); }
    }

    /** A mouse button pressed or released at a point of the window (window coordinates). */
    record Button(int window, boolean pressed, int button, int x, int y, int state) implements GuiMessage {
        public MessageType type() { return MessageType.BUTTON; }
        public ByteBuffer payload() { return ints(flag(pressed), button, x, y, state); }
    }

    record Motion(int window, int x, int y, int state) implements GuiMessage {
        public MessageType type() { return MessageType.MOTION; }
        public ByteBuffer payload() { return ints(x, y, state); }
    }

    record Focus(int window, boolean in) implements GuiMessage {
        public MessageType type() { return MessageType.FOCUS; }
        public ByteBuffer payload() { return ints(flag(in)); }
    }

    /** The user asked to close the window (dom0's close button). */
    record Close(int window) implements GuiMessage {
        public MessageType type() { return MessageType.CLOSE; }
        public ByteBuffer payload() { return ints(); }
    }

    /** dom0 asks the qube for its clipboard (the user pressed the copy keys in its window). */
    record ClipboardRequest() implements GuiMessage {
        public MessageType type() { return MessageType.CLIPBOARD_REQ; }
        public int window() { return 0; }
        public ByteBuffer payload() { return ints(); }
    }

    /** Clipboard contents: the qube's answer to a request, or dom0's paste into a qube. */
    record ClipboardData(byte[] data) implements GuiMessage {
        public MessageType type() { return MessageType.CLIPBOARD_DATA; }
        public int window() { return 0; }
        public ByteBuffer payload() { return ByteBuffer.wrap(data.clone()); }
        @Override
        public boolean equals(Object o) {
            return o instanceof ClipboardData c && Arrays.equals(c.data, data);
        }
        @Override
        public int hashCode() {
            return Arrays.hashCode(data);
        }
        @Override
        public String toString() {
            return "ClipboardData[" + data.length + " bytes]";
        }
    }

    private static ByteBuffer ints(int... values) {
        ByteBuffer b = ByteBuffer.allocate(4 * values.length);
        for (int v : values) {
            b.putInt(v);
        }
        return b.flip();
    }

    private static int flag(boolean b) {
        return b ? 1 : 0;
    }
}
