package dev.bulkhead.qrexec.internal;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.ByteBuffer;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.concurrent.CompletableFuture;

import dev.bulkhead.api.AdminException;
import dev.bulkhead.api.hypervisor.DomainProcess;

/**
 * A program the qrexec agent runs for dom0, seen through one {@link AgentConnection}: its stdin sends STDIN frames
 * within the agent's credit (a write waits for credit), its stdout and stderr hold what the agent sent, at most a
 * window each, and grant credit back as they are read. Its state is guarded by the connection's lock.
 */
final class AgentProcess implements DomainProcess {
    private enum State { STARTING, RUNNING, FAILED, EXITED, GONE }

    private final AgentConnection connection;
    private final Object lock;
    private final int id;
    private final String program;
    private final CompletableFuture<Integer> exit = new CompletableFuture<>();
    private final Object stdinLock = new Object();
    private final Output[] outputs = {new Output(0), new Output(1)};
    private final OutputStream stdin = new Input();
    private State state = State.STARTING;
    private String failure;
    /** stdin bytes sent that the agent has not granted back */
    private long outstanding;
    private boolean stdinClosed;

    AgentProcess(AgentConnection connection, int id, String program) {
        this.connection = connection;
        this.lock = connection.lock;
        this.id = id;
        this.program = program;
    }

    int id() {
        return id;
    }

    // --- called by the connection, under its lock ---

    boolean starting() {
        return state == State.STARTING;
    }

    void started() {
        state = State.RUNNING;
    }

    void failed(String why) {
        state = State.FAILED;
        failure = why;
    }

    String output(int stream, ByteBuffer payload) {
        Output o = outputs[stream];
        int length = payload.remaining();
        if (o.ended) {
            return "output for id " + id + " after its EOF";
        }
        if (length > o.agentCredit) {
            return "output of " + length + " bytes for id " + id + " beyond its credit of " + o.agentCredit;
        }
        byte[] bytes = new byte[length];
        payload.get(bytes);
        o.chunks.add(bytes);
        o.agentCredit -= length;
        return null;
    }

    String endOfStream(int stream) {
        if (outputs[stream].ended) {
            return "a second EOF for id " + id;
        }
        outputs[stream].ended = true;
        return null;
    }

    boolean bothEnded() {
        return outputs[0].ended && outputs[1].ended;
    }

    String credit(long bytes) {
        if (bytes > outstanding) {
            return "a credit of " + bytes + " bytes for id " + id + ", more than the " + outstanding + " sent";
        }
        outstanding -= bytes;
        return null;
    }

    // --- called by the connection, outside its lock ---

    void exited(int status) {
        synchronized (lock) {
            state = State.EXITED;
            lock.notifyAll();
        }
        exit.complete(status);
    }

    void gone(String why) {
        synchronized (lock) {
            if (state == State.STARTING || state == State.RUNNING) {
                state = State.GONE;
                failure = why;
            }
            lock.notifyAll();
        }
        exit.completeExceptionally(new AdminException("the service in qube " + connection.qube() + " ended with its agent: " + why));
    }

    /** Waits for STARTED; throws why it did not come: FAILED, the stream's end, or the timeout (the program is then killed). */
    void awaitStarted(Duration timeout) throws InterruptedException {
        long deadline = System.nanoTime() + timeout.toNanos();
        synchronized (lock) {
            while (state == State.STARTING) {
                long left = deadline - System.nanoTime();
                if (left <= 0) {
                    break;
                }
                lock.wait(Math.max(1, left / 1_000_000));
            }
            switch (state) {
                case RUNNING, EXITED -> {
                    return;
                }
                case FAILED -> throw new AdminException("qube " + connection.qube() + " cannot run " + program + ": " + failure);
                case GONE -> throw new AdminException("qube " + connection.qube() + " did not run " + program + ": " + failure);
                default -> {
                    // no answer in time: killed below, outside the lock
                }
            }
        }
        kill();
        throw new AdminException("the qrexec agent of qube " + connection.qube() + " did not start " + program + " within "
                + timeout.toMillis() + " ms");
    }

    @Override
    public OutputStream stdin() {
        return stdin;
    }

    @Override
    public InputStream stdout() {
        return outputs[0];
    }

    @Override
    public InputStream stderr() {
        return outputs[1];
    }

    @Override
    public CompletableFuture<Integer> onExit() {
        return exit;
    }

    @Override
    public void kill() {
        try {
            connection.send(this, AgentFrames.KILL, new byte[0], 0, 0, null);
        } catch (IOException e) {
            // the stream ended: the agent kills every process then
        }
    }

    /** The program's stdin: STDIN frames within the agent's credit. */
    private final class Input extends OutputStream {
        @Override
        public void write(int b) throws IOException {
            write(new byte[] {(byte) b}, 0, 1);
        }

        @Override
        public void write(byte[] b, int off, int len) throws IOException {
            synchronized (stdinLock) {
                while (len > 0) {
                    int n;
                    synchronized (lock) {
                        while (state == State.RUNNING && !stdinClosed && outstanding >= AgentFrames.WINDOW) {
                            try {
                                lock.wait();
                            } catch (InterruptedException e) {
                                Thread.currentThread().interrupt();
                                throw new IOException("interrupted while the service's stdin was full");
                            }
                        }
                        if (state != State.RUNNING || stdinClosed) {
                            throw new IOException("the service's stdin is closed");
                        }
                        n = (int) Math.min(len, Math.min(AgentFrames.MAX_PAYLOAD, AgentFrames.WINDOW - outstanding));
                    }
                    int sending = n;
                    if (!connection.send(AgentProcess.this, AgentFrames.STDIN, b, off, n, () -> outstanding += sending)) {
                        throw new IOException("the service is gone");
                    }
                    off += n;
                    len -= n;
                }
            }
        }

        @Override
        public void close() throws IOException {
            synchronized (stdinLock) {
                synchronized (lock) {
                    if (stdinClosed) {
                        return;
                    }
                    stdinClosed = true;
                    lock.notifyAll();
                }
                connection.send(AgentProcess.this, AgentFrames.STDIN_EOF, new byte[0], 0, 0, null);
            }
        }
    }

    /** The program's stdout or stderr as the agent sent it; reading grants the agent credit again. */
    private final class Output extends InputStream {
        private final int stream;
        private final ArrayDeque<byte[]> chunks = new ArrayDeque<>();
        private int offset;
        private long agentCredit = AgentFrames.WINDOW;
        private long ungranted;
        private boolean ended;

        Output(int stream) {
            this.stream = stream;
        }

        @Override
        public int read() throws IOException {
            byte[] one = new byte[1];
            return read(one, 0, 1) < 0 ? -1 : one[0] & 0xFF;
        }

        @Override
        public int read(byte[] b, int off, int len) throws IOException {
            if (len == 0) {
                return 0;
            }
            int n = 0;
            long grant = 0;
            synchronized (lock) {
                while (chunks.isEmpty() && !ended && (state == State.STARTING || state == State.RUNNING)) {
                    try {
                        lock.wait();
                    } catch (InterruptedException e) {
                        Thread.currentThread().interrupt();
                        throw new IOException("interrupted while reading the service's output");
                    }
                }
                if (chunks.isEmpty()) {
                    if (ended) {
                        return -1;
                    }
                    throw new IOException(failure != null ? failure : "the service is gone");
                }
                while (n < len && !chunks.isEmpty()) {
                    byte[] head = chunks.peek();
                    int k = Math.min(len - n, head.length - offset);
                    System.arraycopy(head, offset, b, off + n, k);
                    n += k;
                    offset += k;
                    if (offset == head.length) {
                        chunks.poll();
                        offset = 0;
                    }
                }
                ungranted += n;
                if (ungranted >= AgentFrames.WINDOW / 4 || chunks.isEmpty()) {
                    grant = ungranted;
                    ungranted = 0;
                }
            }
            if (grant > 0) {
                long granting = grant;
                byte[] frame = ByteBuffer.allocate(5).put((byte) (stream + 1)).putInt((int) grant).array();
                connection.send(AgentProcess.this, AgentFrames.GRANT, frame, 0, frame.length, () -> agentCredit += granting);
            }
            return n;
        }

        @Override
        public int available() {
            synchronized (lock) {
                int n = -offset;
                for (byte[] c : chunks) {
                    n += c.length;
                }
                return Math.max(0, n);
            }
        }

        @Override
        public void close() {
            // what comes later is read and dropped by the next reader, or ends with the process
        }
    }
}
