package dev.bulkhead.gui.agent;

import java.io.FileInputStream;
import java.io.FileOutputStream;
import java.io.IOException;
import java.io.RandomAccessFile;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.ByteChannel;
import java.nio.channels.FileChannel;
import java.nio.channels.SocketChannel;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * The agent's end of dom0's channel, at the path dom0 names: a unix socket it connects to (the lite backend),
 * or a character device it opens for reading and writing (the qemu backend's virtio-serial port,
 * {@code /dev/virtio-ports/...}). It tells them apart by the file's type.
 */
final class ChannelStream {
    /** The file type bits of {@code st_mode}, and the type of a socket. */
    private static final int S_IFMT = 0170000;
    private static final int S_IFSOCK = 0140000;

    private ChannelStream() {
    }

    static ByteChannel open(Path path) throws IOException {
        int mode = (Integer) Files.getAttribute(path, "unix:mode");
        if ((mode & S_IFMT) == S_IFSOCK) {
            SocketChannel socket = SocketChannel.open(StandardProtocolFamily.UNIX);
            try {
                socket.connect(UnixDomainSocketAddress.of(path));
                return socket;
            } catch (IOException | RuntimeException e) {
                socket.close();
                throw e;
            }
        }
        return new DeviceStream(new RandomAccessFile(path.toFile(), "rw"));
    }

    /**
     * One open file, read by one thread while others write: a device such as a virtio-serial port may be open only
     * once, and one {@link FileChannel} would hold a blocked read's lock against every write, so reads and writes go
     * through a channel each on the same descriptor.
     */
    private static final class DeviceStream implements ByteChannel {
        private final RandomAccessFile file;
        private final FileChannel in;
        private final FileChannel out;

        DeviceStream(RandomAccessFile file) throws IOException {
            this.file = file;
            this.in = new FileInputStream(file.getFD()).getChannel();
            this.out = new FileOutputStream(file.getFD()).getChannel();
        }

        @Override
        public int read(ByteBuffer dst) throws IOException {
            return in.read(dst);
        }

        @Override
        public int write(ByteBuffer src) throws IOException {
            return out.write(src);
        }

        @Override
        public boolean isOpen() {
            return in.isOpen() && out.isOpen();
        }

        @Override
        public void close() throws IOException {
            try (file; in; out) {
                // all three share the descriptor: it closes once, with the first of them
            }
        }
    }
}
