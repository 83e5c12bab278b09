package dev.bulkhead.gui.internal;

import java.lang.System.Logger.Level;
import java.nio.channels.ByteChannel;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;

import org.osgi.framework.BundleContext;
import org.osgi.framework.ServiceRegistration;
import org.osgi.service.component.annotations.Activate;
import org.osgi.service.component.annotations.Component;
import org.osgi.service.component.annotations.Deactivate;
import org.osgi.service.component.annotations.Modified;
import org.osgi.service.component.annotations.Reference;
import org.osgi.service.component.annotations.ReferenceCardinality;
import org.osgi.service.component.annotations.ReferencePolicy;

import dev.bulkhead.api.AdminException;
import dev.bulkhead.api.ExecResult;
import dev.bulkhead.api.InvalidStateException;
import dev.bulkhead.api.Qube;
import dev.bulkhead.api.QubeAdmin;
import dev.bulkhead.api.QubeEvent;
import dev.bulkhead.api.QubeEventListener;
import dev.bulkhead.api.QubeProperty;
import dev.bulkhead.api.QubePreEventHandler;
import dev.bulkhead.api.gui.GuiFeature;
import dev.bulkhead.api.gui.GuiService;
import dev.bulkhead.api.gui.GuiSession;
import dev.bulkhead.api.hypervisor.DomainChannel;
import dev.bulkhead.api.hypervisor.DomainChannels;
import dev.bulkhead.api.hypervisor.HypervisorBackend;

/**
 * Connects each qube with the feature {@code gui} to the GUI daemon: at its start, opens its
 * {@value #SERVICE} channel, starts the agent inside it on that channel and display {@code :0}, and
 * attaches the agent's stream; at its shutdown, ends the session. With no dom0 display configured, a GUI
 * qube is refused at start, before anything runs.
 */
@Component(immediate = true, configurationPid = GuiConfig.PID)
public final class GuiQubes {
    private static final System.Logger LOG = System.getLogger(GuiQubes.class.getName());
    static final String SERVICE = "gui";
    static final String AGENT_JAR = "/usr/lib/bulkhead/gui-agent.jar";
    private static final long AGENT_MIN_HEAP_MIB = 32;
    private static final Duration RUN_TIMEOUT = Duration.ofSeconds(30);
    private static final Duration ACCEPT_TIMEOUT = Duration.ofSeconds(60);

    private final QubeAdmin admin;
    private final GuiService gui;
    private final List<HypervisorBackend> backends = new CopyOnWriteArrayList<>();
    private final Map<String, DomainChannel> channels = new ConcurrentHashMap<>();
    private volatile String display;
    /**
     * Registered once this component has the admin service: as component services of their own, they
     * would be ones the admin service binds while it is itself being made, a cycle.
     */
    private final ServiceRegistration<QubeEventListener> listener;
    private final ServiceRegistration<QubePreEventHandler> veto;

    @Activate
    public GuiQubes(@Reference QubeAdmin admin, @Reference GuiService gui, GuiConfig config, BundleContext context) {
        this.admin = admin;
        this.gui = gui;
        configure(config);
        this.veto = context.registerService(QubePreEventHandler.class, this::veto, null);
        this.listener = context.registerService(QubeEventListener.class, this::onEvent, null);
    }

    @Modified
    void configure(GuiConfig config) {
        this.display = config.display();
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
        veto.unregister();
        channels.keySet().forEach(this::end);
    }

    Optional<String> veto(QubeEvent event) {
        if (!event.type().equals(QubeEvent.DOMAIN_PRE_START)) {
            return Optional.empty();
        }
        return refusal(admin.get(event.qube()), display);
    }

    /** Why {@code qube} may not start with dom0's display {@code display}, if it may not. */
    static Optional<String> refusal(Qube qube, String display) {
        if (!GuiFeature.isOn(qube) || (display != null && !display.isBlank() && !display.equals("none"))) {
            return Optional.empty();
        }
        return Optional.of("qube " + qube.name() + " has the feature gui, but dom0 has no display for its windows:"
                + " set display in " + GuiConfig.PID + " (e.g. :0)");
    }

    void onEvent(QubeEvent event) {
        switch (event.type()) {
            case QubeEvent.DOMAIN_START -> start(event.qube());
            case QubeEvent.DOMAIN_SHUTDOWN, QubeEvent.DOMAIN_DELETE -> end(event.qube());
            default -> {
            }
        }
    }

    private void start(String name) {
        try {
            Qube qube = admin.get(name);
            if (!GuiFeature.isOn(qube)) {
                return;
            }
            DomainChannels backend = channelsOf(name);
            DomainChannel channel = backend.openChannel(name, SERVICE);
            channels.put(name, channel);
            ExecResult started = admin.run(name, agentCommand(channel.qubePath(), qube.value(QubeProperty.MEMORY)), new byte[0],
                    RUN_TIMEOUT);
            if (started.exitStatus() != 0) {
                LOG.log(Level.ERROR, "qube " + name + " has no GUI: " + started.stderrText().strip());
                end(name);
                return;
            }
            Thread accepting = new Thread(() -> attach(qube, channel), "gui-accept-" + name);
            accepting.setDaemon(true);
            accepting.start();
        } catch (AdminException e) {
            // the qube stopped again, or was removed, before its GUI could start
            LOG.log(Level.WARNING, "cannot start the GUI of qube " + name + ": " + e.getMessage());
            end(name);
        }
    }

    private void attach(Qube qube, DomainChannel channel) {
        try {
            ByteChannel stream = channel.accept(ACCEPT_TIMEOUT);
            gui.attach(qube.name(), qube.label(), stream);
        } catch (AdminException e) {
            LOG.log(Level.ERROR, "qube " + qube.name() + " has no GUI: " + e.getMessage());
        }
    }

    private void end(String name) {
        DomainChannel channel = channels.remove(name);
        if (channel != null) {
            channel.close();
        }
        gui.session(name).ifPresent(GuiSession::close);
    }

    /** The backend running the qube, which must give channels into its domains. */
    private DomainChannels channelsOf(String name) {
        for (HypervisorBackend backend : backends) {
            if (backend instanceof DomainChannels c && backend.state(name).isActive()) {
                return c;
            }
        }
        throw new InvalidStateException("no backend gives qube " + name + " a GUI channel");
    }

    /**
     * Starts the agent in the background once the qube's X server has its socket; the qube's init adopts
     * it, and it ends with the qube or its stream. Its heap is a quarter of the qube's memory (in MiB,
     * when known), at least {@value #AGENT_MIN_HEAP_MIB} MiB: inside a qube Java does not see the qube's
     * limit and would size its heap for the host, and a window redrawn continuously then grows the heap
     * until the qube's limit kills the agent.
     */
    static List<String> agentCommand(String channelPath, String memoryMiB) {
        String memory = memoryMiB.matches("[1-9][0-9]{0,6}")
                ? " -Xmx" + Math.max(AGENT_MIN_HEAP_MIB, Long.parseLong(memoryMiB) / 4) + "m"
                : "";
        return List.of("/bin/sh", "-c",
                "test -r " + AGENT_JAR + " || { echo 'the GUI agent is missing: use a template with "
                        + AGENT_JAR + "' >&2; exit 127; }; "
                        + "( i=0; while [ ! -S /tmp/.X11-unix/X0 ] && [ $i -lt 300 ]; do sleep 0.1; i=$((i+1)); done; "
                        + "exec java -XX:+UseSerialGC" + memory + " -jar " + AGENT_JAR + " --display :0 --channel \"$1\" ) </dev/null >/tmp/gui-agent.log 2>&1 &",
                "gui-agent", channelPath);
    }
}
