package dev.bulkhead.backend.qemu.internal;

import java.io.ByteArrayOutputStream;
import java.io.Closeable;
import java.io.IOException;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.SelectionKey;
import java.nio.channels.Selector;
import java.nio.channels.SocketChannel;
import java.nio.file.Path;
import java.time.Duration;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;

/**
 * One connection to a unix socket that carries JSON objects one per line, as QMP and the QEMU guest agent do. Every
 * read has a deadline: a peer that does not answer in time makes it throw rather than hang.
 */
final class JsonChannel implements Closeable {
    /** Sent by the guest agent before its answer to {@code guest-sync-delimited}, so that stale bytes can be skipped. */
    static final int SYNC_MARK = 0xFF;
    /** A socket path has at most this many bytes ({@code sun_path} less its terminating NUL). */
    static final int MAX_SOCKET_PATH = 107;

    private final SocketChannel channel;
    private final Selector selector;
    private final ObjectMapper json;
    private final String peer;
    private final ByteBuffer in = ByteBuffer.allocate(64 * 1024);

    private JsonChannel(SocketChannel channel, Selector selector, ObjectMapper json, String peer) {
        this.channel = channel;
        this.selector = selector;
        this.json = json;
        this.peer = peer;
        in.flip();
    }

    static JsonChannel connect(Path socket, ObjectMapper json, String peer) throws IOException {
        SocketChannel channel = SocketChannel.open(StandardProtocolFamily.UNIX);
        try {
            channel.connect(UnixDomainSocketAddress.of(socket));
            channel.configureBlocking(false);
            Selector selector = Selector.open();
            channel.register(selector, SelectionKey.OP_READ);
            return new JsonChannel(channel, selector, json, peer);
        } catch (IOException | RuntimeException e) {
            channel.close();
            throw e;
        }
    }

    void send(JsonNode message) throws IOException {
        ByteBuffer out = ByteBuffer.wrap((json.writeValueAsString(message) + "\n").getBytes(java.nio.charset.StandardCharsets.UTF_8));
        while (out.hasRemaining()) {
            channel.write(out);
        }
    }

    /** Reads the next line and parses it. */
    JsonNode receive(long deadlineNanos) throws IOException {
        ByteArrayOutputStream line = new ByteArrayOutputStream();
        while (true) {
            int b = next(deadlineNanos);
            if (b == '\n') {
                String text = line.toString(java.nio.charset.StandardCharsets.UTF_8).strip();
                if (!text.isEmpty()) {
                    return json.readTree(text);
                }
                line.reset();
            } else {
                line.write(b);
            }
        }
    }

    /** Skips everything up to and including the next {@link #SYNC_MARK}. */
    void skipToSyncMark(long deadlineNanos) throws IOException {
        while (next(deadlineNanos) != SYNC_MARK) {
            // stale output of an earlier client, or the agent's earlier answers
        }
    }

    private int next(long deadlineNanos) throws IOException {
        while (!in.hasRemaining()) {
            long left = deadlineNanos - System.nanoTime();
            if (left <= 0) {
                throw new ChannelTimeoutException(peer + " did not answer in time");
            }
            in.clear();
            int n = channel.read(in);
            in.flip();
            if (n < 0) {
                throw new IOException(peer + " closed the connection");
            }
            if (n == 0) {
                selector.select(Math.max(1, left / 1_000_000));
                selector.selectedKeys().clear();
            }
        }
        return in.get() & 0xFF;
    }

    @Override
    public void close() throws IOException {
        try {
            selector.close();
        } finally {
            channel.close();
        }
    }

    /** The peer did not answer before the deadline. */
    static final class ChannelTimeoutException extends IOException {
        private static final long serialVersionUID = 1L;

        ChannelTimeoutException(String message) {
            super(message);
        }
    }
}
