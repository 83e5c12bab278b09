package dev.bulkhead.shell.client;

import java.io.EOFException;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.ReadableByteChannel;
import java.nio.channels.WritableByteChannel;
import java.nio.charset.StandardCharsets;
import java.util.List;

/**
 * One unit of the client channel's protocol: a type byte, a 4-byte big-endian payload length,
 * then the payload. The client sends one {@link FrameType#ARGUMENTS} or {@link FrameType#COMMAND}
 * frame and keeps its side open; the platform answers with any number of {@link FrameType#STDOUT}
 * and {@link FrameType#STDERR} frames and one {@link FrameType#EXIT} frame, then closes. A client that closes its side before
 * the exit frame cancels the command.
 * <p>
 * Frames are read and written on channels rather than streams because the platform reads (to
 * notice a client hanging up) while another thread writes output on the same socket.
 */
public record Frame(FrameType type, byte[] payload) {
    /** Larger output is split over several frames; a larger request is refused. */
    public static final int MAX_PAYLOAD = 64 * 1024;

    static final int HEADER_LENGTH = 5;

    public Frame {
        if (payload.length > MAX_PAYLOAD) {
            throw new IllegalArgumentException(
                    "frame payload of " + payload.length + " bytes; at most " + MAX_PAYLOAD + " fit in one frame");
        }
    }

    public static Frame command(String commandLine) {
        return new Frame(FrameType.COMMAND, commandLine.getBytes(StandardCharsets.UTF_8));
    }

    /** A command and its arguments, each delivered as given: see {@link ArgumentVector#encode}. */
    public static Frame arguments(List<String> argv) {
        return new Frame(FrameType.ARGUMENTS, ArgumentVector.encode(argv));
    }

    public static Frame exit(int status) {
        return new Frame(FrameType.EXIT, ByteBuffer.allocate(Integer.BYTES).putInt(status).array());
    }

    public String text() {
        return new String(payload, StandardCharsets.UTF_8);
    }

    /** The command and its arguments of an {@link FrameType#ARGUMENTS} frame, strictly checked. */
    public List<String> arguments() throws ProtocolException {
        if (type != FrameType.ARGUMENTS) {
            throw new ProtocolException("expected an argument frame, got " + type);
        }
        return ArgumentVector.decode(payload);
    }

    public int exitStatus() throws ProtocolException {
        if (type != FrameType.EXIT || payload.length != Integer.BYTES) {
            throw new ProtocolException("expected a 4-byte exit frame, got " + type + " of " + payload.length + " bytes");
        }
        return ByteBuffer.wrap(payload).getInt();
    }

    /** Writes header and payload in one buffer so that concurrent writers cannot interleave them. */
    public void writeTo(WritableByteChannel channel) throws IOException {
        ByteBuffer buffer = ByteBuffer.allocate(HEADER_LENGTH + payload.length);
        buffer.put(type.code()).putInt(payload.length).put(payload).flip();
        while (buffer.hasRemaining()) {
            channel.write(buffer);
        }
    }

    /** The next frame, or {@code null} if the peer closed the channel between frames. */
    public static Frame readFrom(ReadableByteChannel channel) throws IOException {
        ByteBuffer header = ByteBuffer.allocate(HEADER_LENGTH);
        if (!fill(channel, header)) {
            return null;
        }
        FrameType type = FrameType.of(header.get(0));
        int length = header.getInt(1);
        if (length < 0 || length > MAX_PAYLOAD) {
            throw new ProtocolException("frame length " + length + " is outside 0 to " + MAX_PAYLOAD);
        }
        ByteBuffer payload = ByteBuffer.allocate(length);
        if (!fill(channel, payload)) {
            throw new EOFException("channel closed inside a " + type + " frame");
        }
        return new Frame(type, payload.array());
    }

    /** Fills the buffer; false if the channel was at its end before the first byte. */
    private static boolean fill(ReadableByteChannel channel, ByteBuffer buffer) throws IOException {
        while (buffer.hasRemaining()) {
            if (channel.read(buffer) < 0) {
                if (buffer.position() == 0) {
                    return false;
                }
                throw new EOFException("channel closed after " + buffer.position() + " of " + buffer.capacity() + " bytes");
            }
        }
        return true;
    }
}
