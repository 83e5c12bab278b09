package dev.bulkhead.backend.xen.internal;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

import org.libvirt.event.DomainEventType;
import org.osgi.framework.BundleContext;
import org.osgi.service.component.annotations.Activate;
import org.osgi.service.component.annotations.Component;
import org.osgi.service.component.annotations.Deactivate;
import org.osgi.service.component.annotations.Reference;
import org.osgi.service.metatype.annotations.AttributeDefinition;
import org.osgi.service.metatype.annotations.Designate;
import org.osgi.service.metatype.annotations.ObjectClassDefinition;
import org.osgi.service.metatype.annotations.Option;

import dev.bulkhead.api.AdminException;
import dev.bulkhead.api.ExecResult;
import dev.bulkhead.api.InvalidStateException;
import dev.bulkhead.api.PowerState;
import dev.bulkhead.api.host.HostCommands;
import dev.bulkhead.api.hypervisor.DomainChannel;
import dev.bulkhead.api.hypervisor.DomainChannels;
import dev.bulkhead.api.hypervisor.DomainExitListener;
import dev.bulkhead.api.hypervisor.DomainSpec;
import dev.bulkhead.api.hypervisor.DomainStatus;
import dev.bulkhead.api.hypervisor.ExitNotifying;
import dev.bulkhead.api.hypervisor.HypervisorBackend;

/**
 * The xen backend: each qube is a Xen domain that libvirt's libxl driver runs, on this host's Xen or on a remote
 * dom0 through libvirt's remote protocol ({@link XenSettings#uri()}). A start defines the domain from
 * {@link DomainXml} and starts it; a stop ends it and removes libvirt's definition, so that libvirt's list of domains
 * is the list of running qubes. Domains that stop by themselves are told by libvirt's lifecycle events, not found by
 * polling. On a remote dom0 the disks are volumes of a libvirt storage pool there ({@link XenPool}), on this host
 * files ({@link XenStorage}). Channels are Xen PV channels that QEMU in dom0 serves ({@link XenChannels}), opened on
 * dom0 itself only. Not yet: commands in a domain (no agent channel on a remote dom0), links between domains.
 */
@Component(service = HypervisorBackend.class, configurationPid = XenBackend.PID,
        property = HypervisorBackend.BACKEND_PROPERTY + "=" + XenBackend.NAME)
@Designate(ocd = XenBackend.Config.class)
public final class XenBackend implements HypervisorBackend, ExitNotifying, DomainChannels, AutoCloseable {
    static final String NAME = "xen";
    static final String PID = "dev.bulkhead.backend.xen";
    static final String DATA_PROPERTY = "bulkhead.data";
    static final String HOME_PROPERTY = "bulkhead.home";
    /** Xen's own account of what this kernel is: {@code control_d} in it on dom0 only. */
    static final Path XEN_CAPABILITIES = Path.of("/proc/xen/capabilities");
    /** How long a destroy waits for its stop event. */
    static final Duration DESTROY_EVENT_BOUND = Duration.ofSeconds(10);

    @ObjectClassDefinition(name = "Bulkhead xen backend",
            description = "Runs qubes as Xen domains through libvirt's libxl driver, locally or on a remote dom0.")
    @interface Config {
        @AttributeDefinition(name = "libvirt URI",
                description = "The libxl driver's connection: xen:///system on dom0 itself; xen+ssh://root@host/system,"
                        + " xen+tls://host/system or xen+tcp://host/system for a remote dom0.")
        String uri() default XenSettings.DEFAULT_URI;

        @AttributeDefinition(name = "Kernel directory",
                description = "Directory on dom0 holding the kernel (vmlinuz) and initramfs (initrd.img) of PV and PVH qubes;"
                        + " empty means images/xen of the installation.")
        String kernelDirectory() default "";

        @AttributeDefinition(name = "Paravirtualised mode",
                description = "What virt_mode pvh runs as: Xen's PVH, or PV where the processor or Xen lacks PVH.",
                options = { @Option(value = "pvh"), @Option(value = "pv") })
        String paravirtMode() default "pvh";

        @AttributeDefinition(name = "Keepalive interval (s)",
                description = "How often libvirt checks that a remote connection answers.", min = "1", max = "600")
        int keepaliveSeconds() default 5;

        @AttributeDefinition(name = "Keepalive count",
                description = "How many unanswered checks close a remote connection.", min = "1", max = "100")
        int keepaliveCount() default 3;

        @AttributeDefinition(name = "Channels",
                description = "The services each qube is started with a Xen PV channel for (QEMU in dom0 serves them): the GUI"
                        + " daemon's gui, the qrexec daemon's qrexec. Empty: qubes start without channels.")
        String[] channels() default { "gui", "qrexec", "qrexec-agent" };

        @AttributeDefinition(name = "Channel directory",
                description = "Where QEMU in dom0 listens on the channels' unix sockets; libvirtd makes its default.")
        String channelDirectory() default "/var/lib/libvirt/libxl/channel/target";

        @AttributeDefinition(name = "Shutdown grace (s)",
                description = "How long a qube gets to power off when shutdown is asked without a timeout.", min = "0")
        int shutdownGraceSeconds() default 10;
    }

    private final XenSettings settings;
    private final Path capabilities;
    private final XenDomains domains;
    private final DomainXml xml;
    private final XenStorage storage;
    private final XenChannels channels;
    private final XenPool pool;
    private final List<DomainExitListener> exitListeners = new CopyOnWriteArrayList<>();
    /** Domains this backend is stopping: their stop is no exit of their own. */
    private final Set<String> stopping = ConcurrentHashMap.newKeySet();
    private final ConcurrentMap<String, CompletableFuture<Void>> stopped = new ConcurrentHashMap<>();
    private final ConcurrentMap<String, Object> domainLocks = new ConcurrentHashMap<>();
    private LibvirtConnection connection;

    @Activate
    public XenBackend(BundleContext context, Config config, @Reference HostCommands commands) {
        this(dataDirectory(context.getProperty(DATA_PROPERTY)), XenSettings.of(config, context.getProperty(HOME_PROPERTY)),
                commands, XEN_CAPABILITIES, channelDirectory(config.channelDirectory()), List.of(config.channels()));
    }

    /** A backend whose qubes have no channels. */
    XenBackend(Path dataDirectory, XenSettings settings, HostCommands commands, Path capabilities) {
        this(dataDirectory, settings, commands, capabilities, XenChannels.DEFAULT_DIRECTORY, List.of());
    }

    /**
     * @param channelDirectory where QEMU in dom0 listens on the channels' sockets
     * @param channelServices  the services each qube is started with a channel for
     */
    XenBackend(Path dataDirectory, XenSettings settings, HostCommands commands, Path capabilities, Path channelDirectory,
            List<String> channelServices) {
        Path data = dataDirectory.toAbsolutePath().normalize();
        this.settings = settings;
        this.capabilities = capabilities;
        this.domains = new XenDomains(data.resolve("xen").resolve("domains"), settings.kernelDirectory(), settings.paravirt());
        this.channels = new XenChannels(channelDirectory, channelServices, settings.local(), settings.uri(), this::lockOf,
                name -> state(name).isActive());
        this.xml = new DomainXml(settings.local() ? List.of(data, settings.kernelDirectory(), channelDirectory)
                : List.of(data, settings.kernelDirectory(), channelDirectory, XenPool.DIRECTORY));
        this.storage = new XenStorage(domains, commands, Duration.ofSeconds(60));
        this.pool = new XenPool();
    }

    @Override
    public String name() {
        return NAME;
    }

    /**
     * Only on a Xen dom0 ({@value #XEN_CAPABILITIES} says {@code control_d}): {@code backend=auto} picks this backend
     * nowhere else. A remote dom0 is used by configuring {@code backend=xen}.
     */
    @Override
    public boolean isSupported() {
        return isDom0(capabilities);
    }

    static boolean isDom0(Path capabilities) {
        try {
            return Files.isRegularFile(capabilities)
                    && new String(Files.readAllBytes(capabilities), StandardCharsets.US_ASCII).contains("control_d");
        } catch (IOException e) {
            return false;
        }
    }

    @Override
    public void start(DomainSpec spec) {
        XenDomain domain = domains.of(spec, List.of(), false);
        // checked before anything is made; on a remote dom0 the disks are then its pool's volumes, checked again
        String domainXml = xml.write(domain, channels.declared(spec.name()));
        String name = spec.name();
        boolean local = settings.local();
        synchronized (lockOf(name)) {
            LibvirtConnection libvirt = connection();
            if (libvirt.state(name).map(PowerState::isActive).orElse(false)) {
                throw new InvalidStateException("domain '" + name + "' is already running");
            }
            try {
                if (local) {
                    storage.prepare(spec);
                } else if (!domain.disks().isEmpty()) {
                    domainXml = xml.write(pool.prepare(libvirt, spec, domain), channels.declared(name));
                }
                libvirt.define(domainXml);
                stopped.put(name, new CompletableFuture<>());
                libvirt.start(name);
            } catch (RuntimeException e) {
                try {
                    remove(libvirt, name);
                    discard(libvirt, name);
                } catch (RuntimeException cleanup) {
                    e.addSuppressed(cleanup);
                }
                throw e;
            }
        }
    }

    @Override
    public void shutdown(String name, Duration timeout) {
        Duration grace = timeout == null ? settings.shutdownGrace() : timeout;
        synchronized (lockOf(name)) {
            LibvirtConnection libvirt = connection();
            stopping.add(name);
            try {
                if (libvirt.state(name).map(PowerState::isActive).orElse(false)) {
                    CompletableFuture<Void> off = stopped.computeIfAbsent(name, n -> new CompletableFuture<>());
                    libvirt.shutdown(name);
                    if (!awaitOff(off, grace) && libvirt.state(name).map(PowerState::isActive).orElse(false)) {
                        libvirt.destroy(name);
                    }
                }
                remove(libvirt, name);
                discardRemote(libvirt, name);
            } finally {
                stopping.remove(name);
                channels.release(name);
            }
        }
    }

    @Override
    public void kill(String name) {
        synchronized (lockOf(name)) {
            LibvirtConnection libvirt = connection();
            stopping.add(name);
            try {
                remove(libvirt, name);
                discardRemote(libvirt, name);
            } finally {
                stopping.remove(name);
                channels.release(name);
            }
        }
    }

    /**
     * A channel of a running qube, through its Xen PV channel: on dom0 itself only (see {@link XenChannels}).
     */
    @Override
    public DomainChannel openChannel(String domain, String service) {
        return channels.open(domain, service);
    }

    @Override
    public void pause(String name) {
        connection().suspend(name);
    }

    @Override
    public void unpause(String name) {
        connection().resume(name);
    }

    @Override
    public PowerState state(String name) {
        return connection().state(name).orElse(PowerState.Halted);
    }

    @Override
    public ExecResult exec(String name, List<String> command, byte[] stdin, Duration timeout) {
        throw new AdminException("the xen backend runs no commands in domains yet: it has no agent channel");
    }

    @Override
    public void destroy(String name) {
        kill(name);
        if (settings.local()) {
            storage.discard(name);
        }
    }

    /** Removes what a domain has only while it runs: this host's files, or the remote dom0's volumes. */
    private void discard(LibvirtConnection libvirt, String name) {
        if (settings.local()) {
            storage.discard(name);
        } else {
            pool.discard(libvirt, name);
        }
    }

    /** A remote dom0's snapshot and volatile volumes go at stop; this host's files are made afresh at each start. */
    private void discardRemote(LibvirtConnection libvirt, String name) {
        if (!settings.local()) {
            pool.discard(libvirt, name);
        }
    }

    @Override
    public List<DomainStatus> domains() {
        return connection().domains();
    }

    @Override
    public String consoleLog(String name) {
        return "";
    }

    @Override
    public void addExitListener(DomainExitListener listener) {
        exitListeners.add(listener);
    }

    @Override
    public void removeExitListener(DomainExitListener listener) {
        exitListeners.remove(listener);
    }

    @Deactivate
    @Override
    public synchronized void close() {
        if (connection != null) {
            connection.close();
            connection = null;
        }
    }

    /** A libvirt lifecycle event: a domain that stopped by itself is told to the exit listeners. */
    void lifecycle(String name, DomainEventType type) {
        if (type != DomainEventType.STOPPED && type != DomainEventType.CRASHED) {
            return;
        }
        CompletableFuture<Void> off = stopped.remove(name);
        if (off != null) {
            off.complete(null);
        }
        channels.release(name);
        if (!stopping.contains(name)) {
            exitListeners.forEach(l -> l.exited(name));
        }
    }

    /**
     * Waits for libvirt's stop event, not for a state that says shut off: on Xen that state comes before libvirt has
     * cleaned the domain up and sent the event, so that the definition removed then outlives the stop for a moment,
     * and the event comes after the stop has ended, as if the domain had stopped by itself. The future is there
     * before the stop is asked for (made at the start, or by the stop), so no event is missed.
     */
    private static boolean awaitOff(CompletableFuture<Void> off, Duration grace) {
        try {
            off.get(grace.toMillis(), TimeUnit.MILLISECONDS);
            return true;
        } catch (TimeoutException e) {
            return false;
        } catch (ExecutionException e) {
            return false;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return false;
        }
    }

    /**
     * Ends the domain if it runs and removes libvirt's definition of it. The stop event of a destroy comes through
     * libvirt's event loop, on Xen after the destroy has returned: it is waited for (at most
     * {@link #DESTROY_EVENT_BOUND}), so that it comes while the domain is {@link #stopping} and is not told as an exit.
     */
    private void remove(LibvirtConnection libvirt, String name) {
        java.util.Optional<PowerState> state = libvirt.state(name);
        if (state.isEmpty()) {
            return;
        }
        if (state.get().isActive()) {
            CompletableFuture<Void> off = stopped.computeIfAbsent(name, n -> new CompletableFuture<>());
            libvirt.destroy(name);
            awaitOff(off, DESTROY_EVENT_BOUND);
        } else if (state.get() == PowerState.Crashed) {
            libvirt.destroy(name);
        }
        libvirt.undefine(name);
    }

    private synchronized LibvirtConnection connection() {
        if (connection != null && !connection.alive()) {
            connection.close();
            connection = null;
        }
        if (connection == null) {
            connection = LibvirtConnection.open(settings.uri(), settings.keepalive(), settings.keepaliveCount(), this::lifecycle);
        }
        return connection;
    }

    private Object lockOf(String name) {
        return domainLocks.computeIfAbsent(DomainValues.name("name", name), n -> new Object());
    }

    static Path channelDirectory(String setting) {
        Path directory = Path.of(setting.strip());
        if (!directory.isAbsolute() || !directory.normalize().equals(directory)) {
            throw new IllegalArgumentException("channelDirectory '" + DomainValues.shown(setting)
                    + "': an absolute path in normal form is required");
        }
        return directory;
    }

    static Path dataDirectory(String property) {
        if (property == null || property.isBlank() || !Path.of(property).isAbsolute()) {
            throw new IllegalStateException("framework property " + DATA_PROPERTY + " must name the platform's data"
                    + " directory as an absolute path, found: " + property);
        }
        return Path.of(property);
    }
}
