package dev.bulkhead.gui.protocol;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.WritableByteChannel;

/** Encodes messages onto a channel, one whole message at a time, from any thread. */
public final class MessageWriter {
    private final WritableByteChannel channel;

    public MessageWriter(WritableByteChannel channel) {
        this.channel = channel;
    }

    /** Writes {@code message}: its header, then its payload. */
    public synchronized void write(GuiMessage message) throws IOException {
        ByteBuffer bytes = encode(message);
        while (bytes.hasRemaining()) {
            channel.write(bytes);
        }
    }

    /** The bytes of {@code message} on the wire. */
    public static ByteBuffer encode(GuiMessage message) {
        ByteBuffer payload = message.payload();
        ByteBuffer b = ByteBuffer.allocate(GuiLimits.HEADER_BYTES + payload.remaining());
        b.putInt(message.type().code()).putInt(message.window()).putInt(payload.remaining()).put(payload);
        return b.flip();
    }
}
