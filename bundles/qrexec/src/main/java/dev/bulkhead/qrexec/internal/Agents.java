package dev.bulkhead.qrexec.internal;

import java.lang.System.Logger.Level;
import java.nio.channels.ByteChannel;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.Function;

import dev.bulkhead.api.AdminException;
import dev.bulkhead.api.hypervisor.DomainChannel;
import dev.bulkhead.api.hypervisor.DomainChannels;

/**
 * The qrexec agents of the running qubes: for each qube whose backend gives channels, the channel
 * {@value AgentFrames#CHANNEL} and, on a thread of its own, its streams one after the other (an agent that restarts,
 * or a stream that broke, is taken again). A qube's agent is there once it said HELLO on the current stream.
 */
final class Agents {
    private static final System.Logger LOG = System.getLogger(Agents.class.getName());
    private static final Duration ACCEPT_WAIT = Duration.ofSeconds(30);

    /** One qube's channel, its current stream, and when the channel opened. */
    private static final class Slot {
        final DomainChannel channel;
        final long opened = System.nanoTime();
        volatile AgentConnection current;

        Slot(DomainChannel channel) {
            this.channel = channel;
        }
    }

    private final Map<String, Slot> slots = new ConcurrentHashMap<>();
    private final Function<String, DomainChannels> backendOf;

    /** @param backendOf the backend of a running qube that gives channels, or null */
    Agents(Function<String, DomainChannels> backendOf) {
        this.backendOf = backendOf;
    }

    /** Opens the qube's agent channel and starts taking its streams; a no-op when it is open or the backend has none. */
    void open(String qube) {
        if (slots.containsKey(qube)) {
            return;
        }
        DomainChannels backend = backendOf.apply(qube);
        if (backend == null) {
            return;
        }
        DomainChannel channel;
        try {
            channel = backend.openChannel(qube, AgentFrames.CHANNEL);
        } catch (AdminException e) {
            LOG.log(Level.WARNING, "cannot open the qrexec agent channel of qube " + qube + ": " + e.getMessage());
            return;
        }
        Slot slot = new Slot(channel);
        if (slots.putIfAbsent(qube, slot) != null) {
            channel.close();
            return;
        }
        Thread serving = new Thread(() -> serve(qube, slot), "qrexec-agent-" + qube);
        serving.setDaemon(true);
        serving.start();
    }

    void close(String qube) {
        Slot slot = slots.remove(qube);
        if (slot != null) {
            slot.channel.close();
            AgentConnection current = slot.current;
            if (current != null) {
                current.close();
            }
        }
    }

    void closeAll() {
        slots.keySet().forEach(this::close);
    }

    private void serve(String qube, Slot slot) {
        while (slots.get(qube) == slot) {
            ByteChannel stream;
            try {
                stream = slot.channel.accept(ACCEPT_WAIT);
            } catch (AdminException e) {
                continue; // no agent in time, or the channel closed: the loop's test tells
            }
            AgentConnection connection = new AgentConnection(qube, stream);
            slot.current = connection;
            if (slots.get(qube) != slot) {
                connection.close();
                return;
            }
            String why = connection.run();
            LOG.log(Level.DEBUG, "qrexec agent of qube " + qube + ": " + why);
            slot.current = null;
        }
    }

    /**
     * The qube's agent, waiting for it at most {@code wait} and only while its channel is open; null when none is there.
     */
    AgentConnection await(String qube, Duration wait) throws InterruptedException {
        long deadline = System.nanoTime() + wait.toNanos();
        while (true) {
            Slot slot = slots.get(qube);
            if (slot == null) {
                return null;
            }
            AgentConnection current = slot.current;
            long left = deadline - System.nanoTime();
            if (current != null && (current.ready() || current.awaitReady(Duration.ofNanos(Math.max(0, Math.min(left,
                    Duration.ofMillis(200).toNanos())))))) {
                return current;
            }
            if (left <= 0) {
                return null;
            }
            if (current == null) {
                Thread.sleep(Math.min(20, Math.max(1, left / 1_000_000)));
            }
        }
    }

    /** How long ago the qube's agent channel opened, or null when it has none. */
    Duration openFor(String qube) {
        Slot slot = slots.get(qube);
        return slot == null ? null : Duration.ofNanos(System.nanoTime() - slot.opened);
    }
}
