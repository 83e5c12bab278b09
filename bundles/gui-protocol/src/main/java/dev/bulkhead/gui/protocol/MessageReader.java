package dev.bulkhead.gui.protocol;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.ReadableByteChannel;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;

/**
 * Decodes the messages one side of a connection sends. Read from a qube, every byte is hostile:
 * the type must exist and travel in this direction, the announced payload length must lie within
 * the type's bounds before a byte of it is read, and every field must lie within
 * {@link GuiLimits}. The first violation is a {@link GuiProtocolException}; the caller ends the
 * connection, since nothing after a broken message can be trusted to be framed right.
 */
public final class MessageReader {
    private final ReadableByteChannel channel;
    private final Direction direction;
    private final ByteBuffer header = ByteBuffer.allocate(GuiLimits.HEADER_BYTES);

    /** Reads what {@code direction}'s sender writes to {@code channel}. */
    public MessageReader(ReadableByteChannel channel, Direction direction) {
        this.channel = channel;
        this.direction = direction;
    }

    /**
     * The next message, or null when the stream ended cleanly between two messages.
     *
     * @throws GuiProtocolException naming what is wrong with the message
     * @throws IOException when the channel fails
     */
    public GuiMessage read() throws IOException, GuiProtocolException {
        header.clear();
        if (!fill(header, true)) {
            return null;
        }
        header.flip();
        long code = Integer.toUnsignedLong(header.getInt());
        int window = header.getInt();
        long length = Integer.toUnsignedLong(header.getInt());
        MessageType type = MessageType.byCode(code);
        if (type == null) {
            throw new GuiProtocolException("unknown message type " + code);
        }
        if (!type.travels(direction)) {
            throw new GuiProtocolException(type + " may not be sent " + direction);
        }
        if (length < type.minPayload() || length > type.maxPayload()) {
            throw new GuiProtocolException(type + " announces " + length + " payload bytes; accepted: "
                    + type.minPayload() + " to " + type.maxPayload());
        }
        if (type.namesWindow() != (window != 0)) {
            throw new GuiProtocolException(type + (type.namesWindow() ? " names no window" : " names window " + window + "; it must name none"));
        }
        ByteBuffer payload = ByteBuffer.allocate((int) length);
        if (!fill(payload, false)) {
            throw new GuiProtocolException(type + " ends before its " + length + " payload bytes");
        }
        payload.flip();
        return decode(type, window, payload);
    }

    private boolean fill(ByteBuffer buffer, boolean mayEndBefore) throws IOException, GuiProtocolException {
        while (buffer.hasRemaining()) {
            if (channel.read(buffer) < 0) {
                if (mayEndBefore && buffer.position() == 0) {
                    return false;
                }
                throw new GuiProtocolException("the stream ends inside a message");
            }
        }
        return true;
    }

    private static GuiMessage decode(MessageType type, int window, ByteBuffer p) throws GuiProtocolException {
        return switch (type) {
            case HELLO -> new GuiMessage.Hello(p.getInt());
            case CREATE -> {
                int x = coordinate(p, "x");
                int y = coordinate(p, "y");
                int w = width(p);
                int h = height(p);
                yield new GuiMessage.Create(window, x, y, w, h, p.getInt(), flag(p, "override_redirect"));
            }
            case DESTROY -> new GuiMessage.Destroy(window);
            case MAP -> new GuiMessage.Map(window, flag(p, "override_redirect"));
            case UNMAP -> new GuiMessage.Unmap(window);
            case CONFIGURE -> new GuiMessage.Configure(window, coordinate(p, "x"), coordinate(p, "y"), width(p), height(p),
                    flag(p, "override_redirect"));
            case PIXELS -> pixels(window, p);
            case WMNAME -> new GuiMessage.WmName(window, PrintableText.cut(utf8(p), GuiLimits.MAX_TITLE_CHARS));
            case WMCLASS -> wmClass(window, p);
            case KEYPRESS -> new GuiMessage.Key(window, flag(p, "pressed"), keysym(p), state(p));
            case BUTTON -> new GuiMessage.Button(window, flag(p, "pressed"), button(p), coordinate(p, "x"), coordinate(p, "y"), state(p));
            case MOTION -> new GuiMessage.Motion(window, coordinate(p, "x"), coordinate(p, "y"), state(p));
            case FOCUS -> new GuiMessage.Focus(window, flag(p, "in"));
            case CLOSE -> new GuiMessage.Close(window);
            case CLIPBOARD_REQ -> new GuiMessage.ClipboardRequest();
            case CLIPBOARD_DATA -> {
                byte[] data = new byte[p.remaining()];
                p.get(data);
                yield new GuiMessage.ClipboardData(data);
            }
        };
    }

    private static GuiMessage pixels(int window, ByteBuffer p) throws GuiProtocolException {
        int x = bounded(p.getInt(), 0, GuiLimits.MAX_WIDTH - 1, "pixels x");
        int y = bounded(p.getInt(), 0, GuiLimits.MAX_HEIGHT - 1, "pixels y");
        int w = width(p);
        int h = height(p);
        long expected = 4L * w * h;
        if (expected != p.remaining()) {
            throw new GuiProtocolException("PIXELS announces " + w + "x" + h + " (" + expected + " bytes) but carries "
                    + p.remaining() + " bytes");
        }
        int[] rgb = new int[w * h];
        for (int i = 0; i < rgb.length; i++) {
            rgb[i] = p.getInt() & 0xffffff;
        }
        return new GuiMessage.Pixels(window, x, y, w, h, rgb);
    }

    private static GuiMessage wmClass(int window, ByteBuffer p) throws GuiProtocolException {
        String both = utf8(p);
        int nul = both.indexOf('\0');
        if (nul < 0) {
            throw new GuiProtocolException("WMCLASS has no NUL between class and instance");
        }
        return new GuiMessage.WmClass(window, PrintableText.cut(both.substring(0, nul), 64),
                PrintableText.cut(both.substring(nul + 1), 64));
    }

    private static String utf8(ByteBuffer p) {
        try {
            return StandardCharsets.UTF_8.newDecoder().onMalformedInput(CodingErrorAction.REPLACE)
                    .onUnmappableCharacter(CodingErrorAction.REPLACE).decode(p).toString();
        } catch (java.nio.charset.CharacterCodingException e) {
            throw new IllegalStateException("a replacing decoder does not refuse", e);
        }
    }

    private static int width(ByteBuffer p) throws GuiProtocolException {
        return bounded(p.getInt(), 1, GuiLimits.MAX_WIDTH, "width");
    }

    private static int height(ByteBuffer p) throws GuiProtocolException {
        return bounded(p.getInt(), 1, GuiLimits.MAX_HEIGHT, "height");
    }

    private static int coordinate(ByteBuffer p, String name) throws GuiProtocolException {
        return bounded(p.getInt(), -GuiLimits.MAX_COORDINATE, GuiLimits.MAX_COORDINATE, name);
    }

    private static int keysym(ByteBuffer p) throws GuiProtocolException {
        // X keysyms are 29-bit values.
        return bounded(p.getInt(), 1, 0x1fffffff, "keysym");
    }

    private static int button(ByteBuffer p) throws GuiProtocolException {
        return bounded(p.getInt(), 1, 9, "button");
    }

    private static int state(ByteBuffer p) throws GuiProtocolException {
        // Shift, Lock, Control, Mod1-5 and Button1-5 masks: bits 0 to 12.
        return bounded(p.getInt(), 0, 0x1fff, "modifier state");
    }

    private static boolean flag(ByteBuffer p, String name) throws GuiProtocolException {
        return bounded(p.getInt(), 0, 1, name) == 1;
    }

    private static int bounded(int value, int min, int max, String name) throws GuiProtocolException {
        if (value < min || value > max) {
            throw new GuiProtocolException(name + " " + value + " is out of range; accepted: " + min + " to " + max);
        }
        return value;
    }
}
