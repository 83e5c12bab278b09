package dev.bulkhead.qrexec.internal;

import java.lang.System.Logger.Level;
import java.nio.channels.ByteChannel;
import java.time.Duration;
import java.util.Hashtable;
import java.util.List;
import java.util.Map;
import java.util.OptionalInt;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.Semaphore;
import java.util.function.Consumer;

import org.osgi.framework.BundleContext;
import org.osgi.framework.ServiceRegistration;
import org.osgi.service.component.annotations.Activate;
import org.osgi.service.component.annotations.Component;
import org.osgi.service.component.annotations.Deactivate;
import org.osgi.service.component.annotations.Modified;
import org.osgi.service.component.annotations.Reference;
import org.osgi.service.component.annotations.ReferenceCardinality;
import org.osgi.service.component.annotations.ReferencePolicy;
import org.osgi.service.metatype.annotations.Designate;

import dev.bulkhead.api.AdminException;
import dev.bulkhead.api.InvalidStateException;
import dev.bulkhead.api.Qube;
import dev.bulkhead.api.QubeAdmin;
import dev.bulkhead.api.QubeEvent;
import dev.bulkhead.api.QubeEventListener;
import dev.bulkhead.api.hypervisor.DomainChannel;
import dev.bulkhead.api.hypervisor.DomainChannels;
import dev.bulkhead.api.hypervisor.DomainProcess;
import dev.bulkhead.api.hypervisor.DomainProcesses;
import dev.bulkhead.api.hypervisor.HypervisorBackend;
import dev.bulkhead.api.policy.CallLog;
import dev.bulkhead.api.policy.CallRecord;
import dev.bulkhead.api.policy.PolicyPrompts;
import dev.bulkhead.api.policy.QrexecPolicy;

/**
 * dom0's qrexec daemon: opens the {@value #SERVICE} channel of every running qube (at its start, and of those running
 * when the daemon starts) and serves each connection on it as one call from that qube ({@link QrexecCall}). A qube has
 * at most {@code maxCallsPerQube} calls at once: further connections wait in its own socket's backlog, so a qube that
 * floods its channel slows only its own calls. A called service starts through the target's qrexec agent
 * ({@link Agents}, {@link AgentConnection}) when it can run it, else through the backend's {@link DomainProcesses}.
 * Also offers {@code qvm:call}, a call from dom0.
 */
@Component(immediate = true, configurationPid = QrexecConfig.PID)
@Designate(ocd = QrexecConfig.class)
public final class QrexecDaemon implements QrexecCall.Context {
    private static final System.Logger LOG = System.getLogger(QrexecDaemon.class.getName());
    static final String SERVICE = "qrexec";
    private static final Duration ACCEPT_WAIT = Duration.ofSeconds(30);

    private final QubeAdmin admin;
    private final CallRouter router;
    private final List<HypervisorBackend> backends = new CopyOnWriteArrayList<>();
    private final Map<String, DomainChannel> channels = new ConcurrentHashMap<>();
    private final Agents agents = new Agents(name -> backendOf(name, DomainChannels.class),
            name -> backendOf(name, DomainProcesses.class));
    private final ScheduledExecutorService timer = Executors.newSingleThreadScheduledExecutor(r -> {
        Thread t = new Thread(r, "qrexec-timer");
        t.setDaemon(true);
        return t;
    });
    @Reference(cardinality = ReferenceCardinality.OPTIONAL, policy = ReferencePolicy.DYNAMIC)
    private volatile PolicyPrompts prompts;
    @Reference(cardinality = ReferenceCardinality.OPTIONAL, policy = ReferencePolicy.DYNAMIC)
    private volatile CallLog callLog;
    private volatile QrexecConfig config;
    private final ServiceRegistration<QubeEventListener> listener;
    private final ServiceRegistration<CallCommand> command;

    @Activate
    public QrexecDaemon(@Reference QubeAdmin admin, @Reference QrexecPolicy policy, QrexecConfig config, BundleContext context) {
        this.admin = admin;
        this.config = config;
        this.router = new CallRouter(policy, admin, () -> prompts);
        this.listener = context.registerService(QubeEventListener.class, this::onEvent, null);
        Hashtable<String, Object> props = new Hashtable<>();
        props.put("osgi.command.scope", "qvm");
        props.put("osgi.command.function", "call");
        this.command = context.registerService(CallCommand.class, new CallCommand(this), props);
        Thread opening = new Thread(this::openRunning, "qrexec-open");
        opening.setDaemon(true);
        opening.start();
    }

    @Modified
    void configure(QrexecConfig changed) {
        this.config = changed;
    }

    @Reference(cardinality = ReferenceCardinality.MULTIPLE, policy = ReferencePolicy.DYNAMIC)
    void addBackend(HypervisorBackend backend) {
        backends.add(backend);
    }

    void removeBackend(HypervisorBackend backend) {
        backends.remove(backend);
    }

    @Deactivate
    void deactivate() {
        listener.unregister();
        command.unregister();
        channels.keySet().forEach(this::close);
        agents.closeAll();
        timer.shutdownNow();
    }

    private void openRunning() {
        try {
            for (Qube q : admin.list()) {
                if (q.qid() != 0 && q.state().isActive()) {
                    open(q.name());
                }
            }
        } catch (AdminException e) {
            LOG.log(Level.WARNING, "cannot open the qrexec channels of the running qubes: " + e.getMessage());
        }
    }

    void onEvent(QubeEvent event) {
        switch (event.type()) {
            case QubeEvent.DOMAIN_START -> open(event.qube());
            case QubeEvent.DOMAIN_SHUTDOWN, QubeEvent.DOMAIN_DELETE -> close(event.qube());
            default -> {
            }
        }
    }

    private void open(String name) {
        openQrexec(name);
        agents.open(name); // after the qube's own channel, which its calls may use as soon as it runs
    }

    private void openQrexec(String name) {
        if (channels.containsKey(name)) {
            return;
        }
        DomainChannels backend = backendOf(name, DomainChannels.class);
        if (backend == null) {
            LOG.log(Level.INFO, "qube " + name + " cannot call services: its backend gives no channels");
            return;
        }
        DomainChannel channel;
        try {
            channel = backend.openChannel(name, SERVICE);
        } catch (AdminException e) {
            LOG.log(Level.WARNING, "cannot open the qrexec channel of qube " + name + ": " + e.getMessage());
            return;
        }
        if (channels.putIfAbsent(name, channel) != null) {
            channel.close();
            return;
        }
        Thread accepting = new Thread(() -> serve(name, channel), "qrexec-accept-" + name);
        accepting.setDaemon(true);
        accepting.start();
    }

    private void close(String name) {
        agents.close(name);
        DomainChannel channel = channels.remove(name);
        if (channel != null) {
            channel.close();
        }
    }

    /** Takes the qube's connections one by one, each when one of its call slots is free. */
    private void serve(String name, DomainChannel channel) {
        Semaphore slots = new Semaphore(Math.max(1, config.maxCallsPerQube()));
        int calls = 0;
        while (channels.get(name) == channel) {
            try {
                slots.acquire();
            } catch (InterruptedException e) {
                return;
            }
            ByteChannel stream;
            try {
                stream = channel.accept(ACCEPT_WAIT);
            } catch (AdminException e) {
                slots.release();
                continue; // none came in time, or the channel closed: the loop's test tells
            }
            Consumer<OptionalInt> ended = s -> slots.release();
            Thread call = new Thread(new QrexecCall(this, name, stream, stream, stream, ended), "qrexec-call-" + name + "-" + ++calls);
            call.setDaemon(true);
            call.start();
        }
    }

    /** A call from dom0, with its own streams (qvm:call). */
    void callFromDom0(ByteChannel stream, Consumer<OptionalInt> ended) {
        Thread call = new Thread(new QrexecCall(this, "dom0", stream, stream, stream, ended), "qrexec-call-dom0");
        call.setDaemon(true);
        call.start();
    }

    private <T> T backendOf(String name, Class<T> ability) {
        for (HypervisorBackend backend : backends) {
            try {
                if (ability.isInstance(backend) && backend.state(name).isActive()) {
                    return ability.cast(backend);
                }
            } catch (AdminException e) {
                // this backend does not know the qube
            }
        }
        return null;
    }

    @Override
    public CallRouter router() {
        return router;
    }

    @Override
    public QubeAdmin admin() {
        return admin;
    }

    /**
     * Starts a service through the qube's qrexec agent when it is connected and can run it as that user, else through
     * the backend's {@link DomainProcesses}. A qube whose agent channel opened a moment ago may not have its agent yet: the call waits
     * for it up to {@code agentWaitSeconds} when the backend has no other way (qemu), and only while the channel is
     * younger than {@code agentGraceMillis} when it has one (lite, whose old templates have no agent).
     */
    @Override
    public DomainProcess start(String target, String user, List<String> command, Map<String, String> environment) {
        DomainProcesses backend = backendOf(target, DomainProcesses.class);
        agents.open(target); // a target started for this call may be here before its start event
        Duration wait = Duration.ofSeconds(Math.max(0, config.agentWaitSeconds()));
        if (backend != null) {
            Duration open = agents.openFor(target);
            Duration grace = Duration.ofMillis(Math.max(0, config.agentGraceMillis()));
            wait = open == null || open.compareTo(grace) >= 0 ? Duration.ZERO : grace.minus(open);
        }
        AgentConnection agent;
        try {
            agent = agents.await(target, wait);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new InvalidStateException("interrupted while waiting for the qrexec agent of qube " + target);
        }
        if (agent != null && (backend == null || agent.runs(user))) {
            return agent.start(user, command, environment, Duration.ofSeconds(Math.max(1, config.agentWaitSeconds())));
        }
        if (backend == null) {
            throw new InvalidStateException("qube " + target + " has no qrexec agent connected, and its backend cannot run"
                    + " services in it otherwise");
        }
        return backend.startProcess(target, user, command, environment);
    }

    @Override
    public void record(CallRecord call) {
        CallLog log = callLog;
        if (log != null) {
            try {
                log.record(call);
            } catch (RuntimeException e) {
                LOG.log(Level.WARNING, "the call log refused a call: " + e.getMessage());
            }
        }
    }

    @Override
    public Duration askTimeout() {
        return Duration.ofSeconds(Math.max(1, config.askTimeoutSeconds()));
    }

    @Override
    public Duration headerTimeout() {
        return Duration.ofMillis(Math.max(100, config.headerTimeoutMillis()));
    }

    @Override
    public int stderrBytes() {
        return Math.max(0, config.stderrLogBytes());
    }

    @Override
    public ScheduledExecutorService timer() {
        return timer;
    }
}
