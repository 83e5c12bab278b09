package dev.bulkhead.shell.internal.channel;

import java.io.IOException;
import java.nio.channels.WritableByteChannel;

import dev.bulkhead.shell.client.Frame;

/**
 * Sends frames to one client. A command may write its standard output and error from several
 * threads; a blocking socket write can be partial, so whole frames are written under one lock.
 */
final class FrameWriter {
    private final WritableByteChannel channel;

    FrameWriter(WritableByteChannel channel) {
        this.channel = channel;
    }

    synchronized void write(Frame frame) throws IOException {
        frame.writeTo(channel);
    }
}
