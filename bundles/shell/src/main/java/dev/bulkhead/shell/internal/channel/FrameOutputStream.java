package dev.bulkhead.shell.internal.channel;

import java.io.IOException;
import java.io.OutputStream;
import java.util.Arrays;
import java.util.Objects;

import dev.bulkhead.shell.client.Frame;
import dev.bulkhead.shell.client.FrameType;

/**
 * A command's standard output or error: every write goes to the client at once, as frames of one
 * type, so that a long-running command's output streams instead of arriving at its end.
 */
final class FrameOutputStream extends OutputStream {
    private final FrameWriter writer;
    private final FrameType type;

    FrameOutputStream(FrameWriter writer, FrameType type) {
        this.writer = writer;
        this.type = type;
    }

    @Override
    public void write(int b) throws IOException {
        writer.write(new Frame(type, new byte[] {(byte) b}));
    }

    @Override
    public void write(byte[] bytes, int offset, int length) throws IOException {
        Objects.checkFromIndexSize(offset, length, bytes.length);
        for (int end = offset + length; offset < end; offset += Frame.MAX_PAYLOAD) {
            writer.write(new Frame(type, Arrays.copyOfRange(bytes, offset, Math.min(end, offset + Frame.MAX_PAYLOAD))));
        }
    }
}
