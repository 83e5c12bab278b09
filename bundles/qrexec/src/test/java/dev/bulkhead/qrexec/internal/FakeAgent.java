package dev.bulkhead.qrexec.internal;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.Pipe;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;

/**
 * The agent's side of an {@link AgentConnection}, scripted by a test: two pipes, the frames dom0 sends queued as they
 * arrive, and frames sent back as the test writes them (well-formed or not). {@link #run} runs the connection's reader.
 */
final class FakeAgent implements AutoCloseable {
    record Frame(int type, int id, byte[] payload) {
        String text() {
            return new String(payload, StandardCharsets.UTF_8);
        }
    }

    private final Pipe toDom0;
    private final Pipe toAgent;
    final AgentConnection connection;
    final CompletableFuture<String> ended = new CompletableFuture<>();
    private final BlockingQueue<Frame> received = new LinkedBlockingQueue<>();

    FakeAgent() throws IOException {
        toDom0 = Pipe.open();
        toAgent = Pipe.open();
        connection = new AgentConnection("work", toDom0.source(), toAgent.sink(), () -> {
            toDom0.source().close();
            toAgent.sink().close();
        });
        Thread reader = new Thread(() -> ended.complete(connection.run()), "fake-agent-dom0-reader");
        reader.setDaemon(true);
        reader.start();
        Thread frames = new Thread(this::readFrames, "fake-agent-frames");
        frames.setDaemon(true);
        frames.start();
    }

    private void readFrames() {
        ByteBuffer header = ByteBuffer.allocate(AgentFrames.HEADER_BYTES);
        ByteBuffer payload = ByteBuffer.allocate(AgentFrames.MAX_PAYLOAD);
        try {
            for (int type; (type = AgentFrames.read(toAgent.source(), header, payload)) >= 0;) {
                byte[] bytes = new byte[payload.remaining()];
                payload.get(bytes);
                received.add(new Frame(type, AgentFrames.id(header), bytes));
            }
        } catch (IOException | Frames.ProtocolException e) {
            // dom0 closed its end
        }
    }

    /** Sends a frame as the agent would, its header as given (the length may lie). */
    void sendRaw(int type, int id, int length, byte[] payload) throws IOException {
        ByteBuffer b = ByteBuffer.allocate(AgentFrames.HEADER_BYTES + payload.length);
        b.put((byte) type).putShort((short) id).putShort((short) length).put(payload).flip();
        while (b.hasRemaining()) {
            toDom0.sink().write(b);
        }
    }

    void send(int type, int id, byte[] payload) throws IOException {
        sendRaw(type, id, payload.length, payload);
    }

    void send(int type, int id, String text) throws IOException {
        send(type, id, text.getBytes(StandardCharsets.UTF_8));
    }

    /** HELLO of an agent that runs as root (qemu's): it runs programs as any user. */
    void hello() throws IOException {
        send(AgentFrames.HELLO, 0, new byte[] {AgentFrames.VERSION, AgentFrames.MAX_PROCESSES, AgentFrames.SWITCHES_USERS});
    }

    static byte[] u32(long v) {
        return ByteBuffer.allocate(4).putInt((int) v).array();
    }

    /** The next frame dom0 sent, waiting at most 10 s. */
    Frame next() throws InterruptedException {
        Frame f = received.poll(10, TimeUnit.SECONDS);
        assertNotNull(f, "dom0 sent no frame in 10 s");
        return f;
    }

    Frame next(int type) throws InterruptedException {
        Frame f = next();
        assertEquals(type, f.type(), "frame type");
        return f;
    }

    /** The frame dom0 sent next, if one came within the wait. */
    Frame poll(long millis) throws InterruptedException {
        return received.poll(millis, TimeUnit.MILLISECONDS);
    }

    /** A START's strings: user, then NAME=VALUE, then the arguments. */
    static List<String> strings(Frame start) {
        List<String> all = new ArrayList<>();
        int from = 2;
        for (int i = 2; i < start.payload().length; i++) {
            if (start.payload()[i] == 0) {
                all.add(new String(start.payload(), from, i - from, StandardCharsets.UTF_8));
                from = i + 1;
            }
        }
        return all;
    }

    @Override
    public void close() {
        connection.close();
    }
}
