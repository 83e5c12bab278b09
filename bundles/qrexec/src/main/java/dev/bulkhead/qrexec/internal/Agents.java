package dev.bulkhead.qrexec.internal;

import java.io.IOException;
import java.io.InputStream;
import java.lang.System.Logger.Level;
import java.nio.channels.ByteChannel;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.Function;

import dev.bulkhead.api.AdminException;
import dev.bulkhead.api.hypervisor.DomainChannel;
import dev.bulkhead.api.hypervisor.DomainChannels;
import dev.bulkhead.api.hypervisor.DomainProcess;
import dev.bulkhead.api.hypervisor.DomainProcesses;

/**
 * The qrexec agents of the running qubes: for each qube whose backend gives channels, the channel
 * {@value AgentFrames#CHANNEL} and, on a thread of its own, its streams one after the other (an agent that restarts,
 * or a stream that broke, is taken again). A qube's agent is there once it said HELLO on the current stream.
 * <p>
 * A qube's init starts its agent where the qube's root may change user (qemu). On lite it may not (its qubes lack
 * CAP_SETUID), so dom0 starts the agent itself through the backend's {@link DomainProcesses}, once per start, as the
 * qube's default user: it then runs that user's services, and the backend's own way runs the others. A template
 * without the agent leaves that start failed, and every service to the backend's way.
 */
final class Agents {
    private static final System.Logger LOG = System.getLogger(Agents.class.getName());
    private static final Duration ACCEPT_WAIT = Duration.ofSeconds(30);
    static final String PROGRAM = "/usr/lib/qubes/qrexec-agent";
    private static final int LOGGED_BYTES = 4096;

    /** One qube's channel, its current stream, and when the channel opened. */
    private static final class Slot {
        final DomainChannel channel;
        final long opened = System.nanoTime();
        volatile AgentConnection current;
        volatile DomainProcess launched;

        Slot(DomainChannel channel) {
            this.channel = channel;
        }
    }

    private final Map<String, Slot> slots = new ConcurrentHashMap<>();
    /** Qubes whose channel is being opened (by their start event or by a call that came first). */
    private final Set<String> opening = ConcurrentHashMap.newKeySet();
    private final Function<String, DomainChannels> backendOf;
    private final Function<String, DomainProcesses> launcherOf;

    /**
     * @param backendOf the backend of a running qube that gives channels, or null
     * @param launcherOf the backend of a running qube that starts the qube's agent itself (lite), or null
     */
    Agents(Function<String, DomainChannels> backendOf, Function<String, DomainProcesses> launcherOf) {
        this.backendOf = backendOf;
        this.launcherOf = launcherOf;
    }

    /** Opens the qube's agent channel and starts taking its streams; a no-op when it is open or the backend has none. */
    void open(String qube) {
        if (slots.containsKey(qube) || !opening.add(qube)) {
            return;
        }
        try {
            openOnce(qube);
        } finally {
            opening.remove(qube);
        }
    }

    private void openOnce(String qube) {
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
            DomainProcess launched = slot.launched;
            if (launched != null) {
                launched.kill();
            }
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
        DomainProcesses launcher = launcherOf.apply(qube);
        if (launcher != null) {
            launch(qube, slot, launcher);
        }
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

    /** Starts the qube's agent as its default user; what it says on its streams goes to dom0's log, bounded. */
    private void launch(String qube, Slot slot, DomainProcesses launcher) {
        DomainProcess agent;
        try {
            agent = launcher.startProcess(qube, null, List.of(PROGRAM), Map.of());
        } catch (AdminException e) {
            LOG.log(Level.INFO, "cannot start the qrexec agent of qube " + qube + ": " + e.getMessage());
            return;
        }
        slot.launched = agent;
        if (slots.get(qube) != slot) {
            agent.kill();
            return;
        }
        try {
            agent.stdin().close();
        } catch (IOException e) {
            // it has ended already: its status tells
        }
        Thread watching = new Thread(() -> {
            String said = readBounded(agent.stderr()) + readBounded(agent.stdout());
            agent.onExit().whenComplete((status, failure) -> LOG.log(slots.get(qube) == slot ? Level.INFO : Level.DEBUG,
                    "the qrexec agent of qube " + qube + " ended (" + (status != null ? "status " + status : failure)
                            + "): its services start through the backend" + (said.isBlank() ? "" : "; it said: " + said.strip())));
        }, "qrexec-agent-log-" + qube);
        watching.setDaemon(true);
        watching.start();
    }

    private static String readBounded(InputStream in) {
        byte[] kept = new byte[LOGGED_BYTES];
        int n = 0;
        byte[] chunk = new byte[4096];
        try (in) {
            for (int r; (r = in.read(chunk)) >= 0;) {
                int k = Math.min(r, kept.length - n);
                System.arraycopy(chunk, 0, kept, n, k);
                n += k;
            }
        } catch (IOException e) {
            // the agent is gone
        }
        return new String(kept, 0, n, StandardCharsets.UTF_8);
    }

    /**
     * The qube's agent, waiting for it at most {@code wait} and only while its channel is open; null when none is there.
     */
    AgentConnection await(String qube, Duration wait) throws InterruptedException {
        long deadline = System.nanoTime() + wait.toNanos();
        while (true) {
            Slot slot = slots.get(qube);
            if (slot == null && !opening.contains(qube)) {
                return null;
            }
            AgentConnection current = slot == null ? null : slot.current;
            DomainProcess launched = slot == null ? null : slot.launched;
            if (current == null && launched != null && launched.onExit().isDone()) {
                return null; // the agent dom0 started has ended (a template without it): none is coming
            }
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
