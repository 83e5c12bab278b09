package dev.bulkhead.qrexec.internal;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.ByteChannel;
import java.nio.channels.Pipe;

/**
 * One end of an in-memory duplex stream made of two pipes: what a call from dom0 uses in place of a qube's socket.
 * Closing an end closes both of its pipes, so the other end reads end of file and its writes fail.
 */
final class PipeStream implements ByteChannel {
    private final Pipe.SourceChannel from;
    private final Pipe.SinkChannel to;

    private PipeStream(Pipe.SourceChannel from, Pipe.SinkChannel to) {
        this.from = from;
        this.to = to;
    }

    /** Two connected ends. */
    static PipeStream[] pair() throws IOException {
        Pipe a = Pipe.open();
        Pipe b = Pipe.open();
        return new PipeStream[] { new PipeStream(a.source(), b.sink()), new PipeStream(b.source(), a.sink()) };
    }

    @Override
    public int read(ByteBuffer dst) throws IOException {
        return from.read(dst);
    }

    @Override
    public int write(ByteBuffer src) throws IOException {
        return to.write(src);
    }

    @Override
    public boolean isOpen() {
        return from.isOpen() || to.isOpen();
    }

    @Override
    public void close() throws IOException {
        try {
            to.close();
        } finally {
            from.close();
        }
    }
}
