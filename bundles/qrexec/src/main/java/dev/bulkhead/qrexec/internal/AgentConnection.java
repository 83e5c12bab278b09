package dev.bulkhead.qrexec.internal;

import java.io.Closeable;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.ByteChannel;
import java.nio.channels.ReadableByteChannel;
import java.nio.channels.WritableByteChannel;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

import dev.bulkhead.api.AdminException;
import dev.bulkhead.api.InvalidStateException;
import dev.bulkhead.api.hypervisor.DomainProcess;

/**
 * dom0's end of one stream to a qube's {@code qrexec-agent} ({@link AgentFrames} has the protocol): starts programs
 * there as {@link DomainProcess}es and carries their streams, each within its window. {@link #run()} reads the agent's
 * frames on the caller's thread and never blocks on a consumer: a process's output is kept in its own buffer, which its
 * window bounds, until its reader takes it, so one slow caller never stalls the others. Whatever the agent sends is
 * checked against what dom0 asked for; the first frame that breaks the protocol ends the stream and fails every process
 * of the qube.
 * <p>
 * Locks: {@code writeLock} orders frames on the stream and is taken before {@code lock}, which guards the processes'
 * state. An id is given to a new process only under {@code writeLock}, so a frame checked and sent under it never
 * reaches a later process that took the same id.
 */
final class AgentConnection implements Closeable {
    private static final System.Logger LOG = System.getLogger(AgentConnection.class.getName());

    private final String qube;
    private final ReadableByteChannel in;
    private final WritableByteChannel out;
    private final Closeable stream;
    final Object lock = new Object();
    private final Object writeLock = new Object();
    private final AgentProcess[] processes = new AgentProcess[AgentFrames.MAX_PROCESSES];
    private boolean ready;
    private boolean switchesUsers;
    private String agentUser;
    private String ended;

    AgentConnection(String qube, ByteChannel stream) {
        this(qube, stream, stream, stream);
    }

    AgentConnection(String qube, ReadableByteChannel in, WritableByteChannel out, Closeable stream) {
        this.qube = qube;
        this.in = in;
        this.out = out;
        this.stream = stream;
    }

    String qube() {
        return qube;
    }

    /**
     * Reads the agent's frames until the stream ends or the agent breaks the protocol; then every process still there
     * fails and the stream is closed.
     *
     * @return why the stream ended
     */
    String run() {
        ByteBuffer header = ByteBuffer.allocate(AgentFrames.HEADER_BYTES);
        ByteBuffer payload = ByteBuffer.allocate(AgentFrames.MAX_PAYLOAD);
        String why;
        try {
            while (true) {
                int type = AgentFrames.read(in, header, payload);
                if (type < 0) {
                    why = "the agent's stream ended";
                    break;
                }
                String bad = dispatch(type, AgentFrames.id(header), payload);
                if (bad != null) {
                    why = "the agent broke the protocol: " + bad;
                    LOG.log(System.Logger.Level.WARNING, "qube " + qube + ": " + why);
                    break;
                }
            }
        } catch (Frames.ProtocolException e) {
            why = "the agent broke the protocol: " + e.getMessage();
            LOG.log(System.Logger.Level.WARNING, "qube " + qube + ": " + why);
        } catch (IOException e) {
            why = "the agent's stream failed: " + e.getMessage();
        }
        end(why);
        return why;
    }

    /** Handles one frame of the agent; returns what is wrong with it, or null. */
    private String dispatch(int type, int id, ByteBuffer payload) {
        List<Runnable> after = new ArrayList<>();
        String bad;
        synchronized (lock) {
            bad = check(type, id, payload, after);
            lock.notifyAll();
        }
        after.forEach(Runnable::run);
        return bad;
    }

    /** Checks a frame against what dom0 asked for and applies it; what completes a process's future goes to {@code after}. */
    private String check(int type, int id, ByteBuffer payload, List<Runnable> after) {
        int length = payload.remaining();
        if (type == AgentFrames.HELLO) {
            String user = length < 3 ? "" : AgentFrames.text(payload.position(3));
            if (id != 0 || length < 3 || length > 3 + 32 || payload.get(0) != AgentFrames.VERSION
                    || (payload.get(2) & ~AgentFrames.SWITCHES_USERS) != 0
                    || ((payload.get(2) & AgentFrames.SWITCHES_USERS) == 0) != AgentFrames.USER.matcher(user).matches()) {
                return "a malformed HELLO";
            }
            switchesUsers = (payload.get(2) & AgentFrames.SWITCHES_USERS) != 0;
            agentUser = switchesUsers ? null : user;
            if (ready) {
                for (int i = 0; i < processes.length; i++) {
                    AgentProcess gone = processes[i];
                    if (gone != null) {
                        processes[i] = null;
                        after.add(() -> gone.gone("the qube's qrexec agent started again"));
                    }
                }
            }
            ready = true;
            return null;
        }
        if (!ready) {
            return "frame " + type + " before HELLO";
        }
        if (id >= processes.length || processes[id] == null) {
            return "frame " + type + " for id " + id + ", which runs no process";
        }
        AgentProcess p = processes[id];
        switch (type) {
            case AgentFrames.STARTED -> {
                if (length != 0 || !p.starting()) {
                    return "STARTED for id " + id + (length != 0 ? " with a payload" : ", which had started");
                }
                p.started();
            }
            case AgentFrames.FAILED -> {
                if (length > AgentFrames.MAX_FAILED || !p.starting()) {
                    return "FAILED for id " + id + (length > AgentFrames.MAX_FAILED ? " of " + length + " bytes" : ", which had started");
                }
                processes[id] = null;
                p.failed(AgentFrames.text(payload));
            }
            case AgentFrames.STDOUT, AgentFrames.STDERR -> {
                int stream = type == AgentFrames.STDOUT ? 0 : 1;
                if (p.starting() || length == 0) {
                    return "output for id " + id + (length == 0 ? ", empty" : " before STARTED");
                }
                return p.output(stream, payload);
            }
            case AgentFrames.EOF -> {
                if (p.starting() || length != 1 || (payload.get(0) != AgentFrames.STREAM_STDOUT && payload.get(0) != AgentFrames.STREAM_STDERR)) {
                    return "a malformed EOF for id " + id;
                }
                return p.endOfStream(payload.get(0) - 1);
            }
            case AgentFrames.EXIT -> {
                if (p.starting() || length != 4 || !p.bothEnded()) {
                    return "EXIT for id " + id + " before its streams ended, or malformed";
                }
                processes[id] = null;
                int status = payload.getInt(0);
                after.add(() -> p.exited(status));
            }
            case AgentFrames.CREDIT -> {
                if (p.starting() || length != 4) {
                    return "a malformed CREDIT for id " + id;
                }
                return p.credit(payload.getInt(0) & 0xFFFFFFFFL);
            }
            default -> {
                return "an unknown frame type " + type;
            }
        }
        return null;
    }

    /** Whether the agent said HELLO on this stream and it has not ended. */
    boolean ready() {
        synchronized (lock) {
            return ready && ended == null;
        }
    }

    /**
     * Whether the agent can run a program as {@code user} (null: the qube's default): one that runs as root can, one
     * that runs as a user (lite's) only as that user, which is its qube's default.
     */
    boolean runs(String user) {
        synchronized (lock) {
            return switchesUsers || user == null || user.equals(agentUser);
        }
    }

    /** Waits at most {@code timeout} for the agent's HELLO; whether it came (and the stream still runs). */
    boolean awaitReady(Duration timeout) throws InterruptedException {
        long deadline = System.nanoTime() + timeout.toNanos();
        synchronized (lock) {
            while (!ready && ended == null) {
                long left = deadline - System.nanoTime();
                if (left <= 0) {
                    return false;
                }
                lock.wait(Math.max(1, left / 1_000_000));
            }
            return ready && ended == null;
        }
    }

    /**
     * Starts a program through the agent and waits at most {@code timeout} for it to run.
     *
     * @throws AdminException when the agent could not start it (why, as the agent said), did not answer in time, or
     *         the stream ended
     */
    DomainProcess start(String user, List<String> command, Map<String, String> environment, Duration timeout) {
        AgentProcess p = begin(user, command, environment);
        try {
            p.awaitStarted(timeout);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            p.kill();
            throw new AdminException("interrupted while qube " + qube + " started a service");
        }
        return p;
    }

    /** Sends START and gives the process its id; {@link AgentProcess#awaitStarted} tells how it went. */
    AgentProcess begin(String user, List<String> command, Map<String, String> environment) {
        byte[] payload = AgentFrames.start(user, command, environment);
        synchronized (writeLock) {
            AgentProcess p;
            synchronized (lock) {
                if (!ready || ended != null) {
                    throw new InvalidStateException("the qrexec agent of qube " + qube + " is not connected");
                }
                p = register(command.get(0));
            }
            try {
                AgentFrames.write(out, AgentFrames.START, p.id(), payload, 0, payload.length);
            } catch (IOException e) {
                end("cannot write to the agent: " + e.getMessage());
                throw new AdminException("cannot reach the qrexec agent of qube " + qube + ": " + e.getMessage(), e);
            }
            return p;
        }
    }

    /** Gives a new process the lowest free id (under the lock; sending START is the caller's). */
    AgentProcess register(String program) {
        synchronized (lock) {
            for (int id = 0; id < processes.length; id++) {
                if (processes[id] == null) {
                    AgentProcess p = new AgentProcess(this, id, program);
                    processes[id] = p;
                    return p;
                }
            }
        }
        throw new InvalidStateException("qube " + qube + " runs " + processes.length + " services already");
    }

    /**
     * Sends a frame of a process, when it is still the one its id names; false when it is gone (nothing is sent).
     *
     * @param reserve run under the lock just before the frame is sent (the credit it takes or gives), or null
     */
    boolean send(AgentProcess p, int type, byte[] data, int offset, int length, Runnable reserve) throws IOException {
        synchronized (writeLock) {
            synchronized (lock) {
                if (ended != null || processes[p.id()] != p) {
                    return false;
                }
                if (reserve != null) {
                    reserve.run();
                }
            }
            try {
                AgentFrames.write(out, type, p.id(), data, offset, length);
            } catch (IOException e) {
                end("cannot write to the agent: " + e.getMessage());
                throw e;
            }
            return true;
        }
    }

    /** The reason the stream ended, or null while it runs. */
    String ended() {
        synchronized (lock) {
            return ended;
        }
    }

    /** Ends the stream: every process still there fails, the stream closes. Ending twice is a no-op. */
    void end(String why) {
        List<AgentProcess> gone = new ArrayList<>();
        synchronized (lock) {
            if (ended != null) {
                return;
            }
            ended = why;
            for (int i = 0; i < processes.length; i++) {
                if (processes[i] != null) {
                    gone.add(processes[i]);
                    processes[i] = null;
                }
            }
            lock.notifyAll();
        }
        gone.forEach(p -> p.gone(why));
        try {
            stream.close();
        } catch (IOException e) {
            // closed already
        }
    }

    @Override
    public void close() {
        end("dom0 closed the agent's stream");
    }
}
