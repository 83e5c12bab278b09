package dev.bulkhead.gui.agent;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;

import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.ByteChannel;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The agent's end of a channel: a unix socket (lite) is connected to, anything else is opened as a file, as
 * the qemu backend's virtio-serial port is (QemuBackendSystemTest moves bytes through a real one).
 */
class ChannelStreamTest {
    private static final Duration TIMEOUT = Duration.ofSeconds(10);

    @TempDir
    Path temp;

    @Test
    void aUnixSocketIsConnectedToAndCarriesBytesBothWays() throws Exception {
        Path socket = temp.resolve("gui");
        try (ServerSocketChannel dom0 = ServerSocketChannel.open(StandardProtocolFamily.UNIX)) {
            dom0.bind(UnixDomainSocketAddress.of(socket));
            try (ByteChannel agent = ChannelStream.open(socket); SocketChannel accepted = dom0.accept()) {
                agent.write(bytes("hello"));
                assertEquals("hello", read(accepted, 5));
                accepted.write(bytes("back"));
                assertEquals("back", read(agent, 4));
            }
        }
    }

    @Test
    void aCharacterDeviceIsOpenedForReadingAndWriting() throws Exception {
        try (ByteChannel nul = ChannelStream.open(Path.of("/dev/null"))) {
            assertEquals(3, nul.write(bytes("abc")));
            assertEquals(-1, nul.read(ByteBuffer.allocate(8)), "/dev/null is at its end at once");
        }
    }

    /**
     * A FIFO opened for both stands in for a device that is opened once and read by one thread while another
     * writes: a read waiting for bytes must not hold up the write that brings them.
     */
    @Test
    void aReadWaitingOnTheDeviceDoesNotHoldUpAWrite() throws Exception {
        Path fifo = temp.resolve("port");
        assertEquals(0, new ProcessBuilder("mkfifo", fifo.toString()).inheritIO().start().waitFor());
        ByteChannel device = ChannelStream.open(fifo);
        try {
            CompletableFuture<String> reader = CompletableFuture.supplyAsync(() -> {
                try {
                    return read(device, 4);
                } catch (java.io.IOException e) {
                    throw new java.io.UncheckedIOException(e);
                }
            });
            assertFalse(reader.isDone());
            assertTimeoutPreemptively(TIMEOUT, () -> device.write(bytes("ping")), "the write waited for the read");
            assertEquals("ping", assertTimeoutPreemptively(TIMEOUT, () -> reader.get()));
        } finally {
            device.close();
        }
        assertFalse(device.isOpen());
    }

    @Test
    void aMissingPathIsRefused() {
        assertThrows(NoSuchFileException.class, () -> ChannelStream.open(temp.resolve("none")));
    }

    private static ByteBuffer bytes(String text) {
        return ByteBuffer.wrap(text.getBytes(StandardCharsets.UTF_8));
    }

    private static String read(ByteChannel channel, int count) throws java.io.IOException {
        ByteBuffer in = ByteBuffer.allocate(count);
        while (in.hasRemaining()) {
            if (channel.read(in) < 0) {
                break;
            }
        }
        return new String(in.array(), 0, in.position(), StandardCharsets.UTF_8);
    }
}
