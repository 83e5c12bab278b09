package dev.bulkhead.backend.lite.internal;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentMap;
import java.util.concurrent.locks.Lock;
import java.util.concurrent.locks.ReadWriteLock;
import java.util.concurrent.locks.ReentrantReadWriteLock;

import org.osgi.framework.BundleContext;
import org.osgi.service.component.annotations.Activate;
import org.osgi.service.component.annotations.Component;
import org.osgi.service.component.annotations.Deactivate;
import org.osgi.service.component.annotations.Reference;
import org.osgi.service.metatype.annotations.AttributeDefinition;
import org.osgi.service.metatype.annotations.Designate;
import org.osgi.service.metatype.annotations.ObjectClassDefinition;

import com.fasterxml.jackson.databind.ObjectMapper;

import dev.bulkhead.api.AdminException;
import dev.bulkhead.api.ExecResult;
import dev.bulkhead.api.InvalidStateException;
import dev.bulkhead.api.InvalidValueException;
import dev.bulkhead.api.PowerState;
import dev.bulkhead.api.QubeNames;
import dev.bulkhead.api.QubeStats;
import dev.bulkhead.api.host.HostCommands;
import dev.bulkhead.api.host.WatchedProcess;
import dev.bulkhead.api.hypervisor.ConsoleLogs;
import dev.bulkhead.api.hypervisor.DomainChannel;
import dev.bulkhead.api.hypervisor.DomainChannels;
import dev.bulkhead.api.hypervisor.DomainProcess;
import dev.bulkhead.api.hypervisor.DomainProcesses;
import dev.bulkhead.api.hypervisor.DomainExitListener;
import dev.bulkhead.api.hypervisor.DomainLinking;
import dev.bulkhead.api.hypervisor.DomainSpec;
import dev.bulkhead.api.hypervisor.DomainStatus;
import dev.bulkhead.api.hypervisor.DomainUplinking;
import dev.bulkhead.api.hypervisor.ExitNotifying;
import dev.bulkhead.api.hypervisor.HypervisorBackend;
import dev.bulkhead.api.hypervisor.Leftover;
import dev.bulkhead.api.hypervisor.LeftoverReconciling;
import dev.bulkhead.api.hypervisor.LinkEndpoint;
import dev.bulkhead.api.hypervisor.LinkSpec;
import dev.bulkhead.api.hypervisor.UplinkSpec;
import dev.bulkhead.api.hypervisor.UsageCounting;
import dev.bulkhead.api.hypervisor.VolumeStorage;
import dev.bulkhead.api.hypervisor.VolumeStoring;
import dev.bulkhead.api.json.JsonMappers;
import dev.bulkhead.volume.store.FileTrees;

/**
 * The lite backend: each qube is a runc container with its own pid, mount, uts and ipc namespaces, joined
 * to a named network namespace, with its root (read-only, kept, or a snapshot whose writes vanish at stop)
 * and its private volume (a loop-mounted ext4 image) at {@code /rw}, and its channels to dom0 (unix sockets) in
 * {@code /run/bulkhead/channels}. Containers
 * outlive the platform: a new instance on the same data directory finds them again through
 * {@link #domains()}.
 */
@Component(service = HypervisorBackend.class, configurationPid = LiteBackend.PID,
        property = HypervisorBackend.BACKEND_PROPERTY + "=" + LiteBackend.NAME)
@Designate(ocd = LiteBackend.Config.class)
public final class LiteBackend implements HypervisorBackend, DomainLinking, DomainUplinking, VolumeStoring, ExitNotifying,
        LeftoverReconciling, UsageCounting, DomainChannels, DomainProcesses {
    static final String NAME = "lite";
    static final String PID = "dev.bulkhead.backend.lite";
    /** Framework property naming the platform's data directory; this backend owns its {@code lite} subdirectory. */
    static final String DATA_PROPERTY = "bulkhead.data";

    @ObjectClassDefinition(name = "Bulkhead lite backend",
            description = "Runs qubes as runc containers in their own Linux namespaces.")
    @interface Config {
        @AttributeDefinition(name = "runc", description = "The runc binary: a name looked up on PATH, or an absolute path.")
        String runcPath() default "runc";

        @AttributeDefinition(name = "busybox", description = "The static busybox the built-in root is made from.")
        String busyboxPath() default "/bin/busybox";

        @AttributeDefinition(name = "HostCommand timeout (s)",
                description = "How long a host command (runc, ip) may run before it is killed and the operation fails.",
                min = "1")
        int commandTimeoutSeconds() default 30;

        @AttributeDefinition(name = "Shutdown grace (s)",
                description = "How long a qube gets to stop after SIGTERM when shutdown is asked without a timeout.",
                min = "0")
        int shutdownGraceSeconds() default 10;

        @AttributeDefinition(name = "Network tools",
                description = "Host programs copied, with the libraries they load, into the built-in root at the same path,"
                        + " for the service qubes of network roles (filtering, DNS, Tor, WireGuard); missing ones are"
                        + " skipped, and a role whose program is missing refuses to start its qube.")
        String[] networkTools() default { "/usr/sbin/nft", "/sbin/ip", "/usr/sbin/conntrack", "/usr/sbin/dnsmasq",
                "/usr/bin/tor", "/usr/bin/wireguard-go", "/usr/bin/wg" };
    }

    private static final String CREATED = "created";
    private static final String RUNNING = "running";
    private static final String PAUSING = "pausing";
    private static final String PAUSED = "paused";
    private static final String STOPPED = "stopped";

    private final InstanceLayout layout;
    private final LiteSettings settings;
    private final RuncRuntime runc;
    private final NetnsManager netns;
    private final CgroupDirectories cgroups;
    private final BuiltinRootfs builtinRoot;
    private final LiteVolumes volumes;
    private final Path procSelf;
    private final HostReconciler reconciler;
    private final InitWatch inits;
    private final LiteChannels channels;
    private final DomainRuntime runtime;
    private final MovedUplinks movedUplinks;
    private final ContainerExec execs;
    private final LiteProcesses processes;
    private final DomainExits exits;
    /** Operations on one domain run one at a time; different domains proceed in parallel. */
    private final ConcurrentMap<String, Object> domainLocks = new ConcurrentHashMap<>();
    /**
     * Starts hold this shared and removing the instance's cgroup parent holds it exclusively, so that runc
     * never finds the parent removed between creating it and creating the domain's cgroup in it.
     */
    private final ReadWriteLock cgroupParent = new ReentrantReadWriteLock();

    @Activate
    public LiteBackend(BundleContext context, Config config, @Reference HostCommands host) {
        this(dataDirectory(context.getProperty(DATA_PROPERTY)), LiteSettings.of(config), host,
                HostPaths.system());
    }

    LiteBackend(Path dataDirectory, LiteSettings settings, HostCommands executor, HostPaths host) {
        ObjectMapper json = JsonMappers.create();
        this.layout = new InstanceLayout(dataDirectory);
        this.settings = settings;
        this.runc = new RuncRuntime(executor, json, settings.runc(), layout.runcRoot(), settings.commandTimeout());
        this.netns = new NetnsManager(executor, host.netnsDirectory(), settings.commandTimeout());
        this.cgroups = new CgroupDirectories(host.cgroupRoot());
        this.builtinRoot = new BuiltinRootfs(layout.builtinRootfs(rootPrograms(settings)), settings.busybox(), settings.networkTools(), executor,
                settings.commandTimeout());
        MountTable mounts = new MountTable(host.proc());
        this.volumes = new LiteVolumes(executor, mounts, host.sysBlock(), settings.commandTimeout(), Clock.systemUTC());
        this.procSelf = host.proc().resolve("self");
        this.channels = new LiteChannels(host.channelRoot(), layout);
        this.reconciler = new HostReconciler(layout, dataDirectory, runc, netns, cgroups, mounts, volumes, channels, executor, host,
                settings.commandTimeout());
        this.movedUplinks = new MovedUplinks(layout);
        this.runtime = new DomainRuntime(layout, runc, netns, new OciConfig(json), volumes, channels, movedUplinks);
        this.execs = new ContainerExec(layout, runc);
        this.processes = new LiteProcesses(runc, host.proc());
        this.exits = new DomainExits(layout, netns);
        this.inits = new InitWatch(host.proc(), "perl", executor, exits::initDied);
    }

    @Deactivate
    void deactivate() {
        inits.close();
    }

    @Override
    public void addExitListener(DomainExitListener listener) {
        exits.add(listener);
    }

    @Override
    public void removeExitListener(DomainExitListener listener) {
        exits.remove(listener);
    }

    /** What the built-in root is made of: the busybox and the network tools present on this host. */
    private static List<String> rootPrograms(LiteSettings settings) {
        List<String> programs = new ArrayList<>();
        programs.add(settings.busybox());
        settings.networkTools().stream().filter(t -> Files.isExecutable(Path.of(t))).forEach(programs::add);
        return programs;
    }

    static Path dataDirectory(String property) {
        if (property == null || property.isBlank() || !Path.of(property).isAbsolute()) {
            throw new IllegalStateException("framework property " + DATA_PROPERTY + " must name the platform's data"
                    + " directory as an absolute path, found: " + property);
        }
        return Path.of(property);
    }

    @Override
    public String name() {
        return NAME;
    }

    @Override
    public boolean isSupported() {
        return isRoot() && runc.isUsable() && netns.isUsable();
    }

    @Override
    public void start(DomainSpec spec) {
        String name = QubeNames.validate(spec.name());
        synchronized (lockOf(name)) {
            Optional<RuncRuntime.ContainerState> existing = runc.state(name);
            if (existing.isPresent() && !existing.get().status().equals(STOPPED)) {
                throw new InvalidStateException("domain '" + name + "' is already running (runc state: "
                        + existing.get().status() + ")");
            }
            // What a stopped container or a crashed platform left behind would make the next steps fail.
            runtime.remove(name);
            LiteVolumes.Prepared prepared = volumes.prepare(spec, layout.volumesDirectory(name), builtinRoot::ensure);
            Lock shared = cgroupParent.readLock();
            shared.lock();
            try {
                Path bundle = runtime.writeBundle(spec, prepared);
                netns.create(layout.netnsName(name));
                inits.watch(name, runc.run(name, bundle, layout.consoleLog(name)));
            } catch (AdminException e) {
                try {
                    runtime.remove(name);
                } catch (AdminException cleanup) {
                    e.addSuppressed(cleanup);
                }
                throw e;
            } finally {
                shared.unlock();
            }
        }
    }

    @Override
    public void shutdown(String name, Duration timeout) {
        QubeNames.validate(name);
        Duration grace = timeout == null ? settings.shutdownGrace() : timeout;
        synchronized (lockOf(name)) {
            inits.forget(name);
            Optional<RuncRuntime.ContainerState> state = runc.state(name);
            if (state.isPresent() && !state.get().status().equals(STOPPED)) {
                RuncRuntime.ContainerState container = state.get();
                String status = container.status();
                if (status.equals(PAUSED) || status.equals(PAUSING)) {
                    // A frozen init cannot act on SIGTERM.
                    runc.resume(name);
                }
                // A created container has not started its init yet: the forced delete below ends it.
                if (!status.equals(CREATED) && runtime.signalled(name, "TERM")) {
                    WatchedProcess.awaitExitOf(container.pid(), grace);
                }
            }
            runtime.remove(name);
        }
    }

    @Override
    public void kill(String name) {
        QubeNames.validate(name);
        synchronized (lockOf(name)) {
            inits.forget(name);
            // runc's forced delete of a running container polls for its end only every 100 ms
            Optional<RuncRuntime.ContainerState> state = runc.state(name);
            if (state.isPresent() && state.get().status().equals(RUNNING) && runtime.signalled(name, "KILL")) {
                WatchedProcess.awaitExitOf(state.get().pid(), settings.commandTimeout());
            }
            runtime.remove(name);
        }
    }

    @Override
    public void pause(String name) {
        QubeNames.validate(name);
        synchronized (lockOf(name)) {
            runtime.requireRunning(name);
            runc.pause(name);
        }
    }

    @Override
    public void unpause(String name) {
        QubeNames.validate(name);
        synchronized (lockOf(name)) {
            runtime.requireRunning(name);
            runc.resume(name);
        }
    }

    @Override
    public PowerState state(String name) {
        QubeNames.validate(name);
        return runc.state(name).map(c -> powerState(c.status())).orElse(PowerState.Halted);
    }

    @Override
    public ExecResult exec(String name, List<String> command, byte[] stdin, Duration timeout) {
        QubeNames.validate(name);
        if (command == null || command.isEmpty()) {
            throw new InvalidValueException("command", String.valueOf(command), "a program and its arguments");
        }
        if (timeout == null || timeout.isNegative() || timeout.isZero()) {
            throw new InvalidValueException("timeout", String.valueOf(timeout), "a positive duration");
        }
        runtime.requireRunning(name);
        return execs.run(name, command, stdin, timeout);
    }

    @Override
    public void destroy(String name) {
        QubeNames.validate(name);
        synchronized (lockOf(name)) {
            inits.forget(name);
            runtime.remove(name);
            try {
                // runc delete normally takes its state with it; an unreadable state it cannot delete.
                FileTrees.deleteRecursively(layout.runcRoot().resolve(name));
                FileTrees.deleteRecursively(layout.domainDirectory(name));
            } catch (IOException e) {
                throw new AdminException("cannot remove the files of domain '" + name + "': " + e.getMessage(), e);
            }
            cgroups.remove(layout.cgroupsPath(name));
            Lock exclusive = cgroupParent.writeLock();
            exclusive.lock();
            try {
                cgroups.removeWhereEmpty(layout.cgroupParent());
            } finally {
                exclusive.unlock();
            }
        }
    }

    @Override
    public VolumeStorage volumes() {
        return volumes;
    }

    @Override
    public List<DomainStatus> domains() {
        List<RuncRuntime.ContainerState> containers = runc.list();
        for (RuncRuntime.ContainerState c : containers) {
            // containers an earlier platform run started are watched from when they are first seen
            if (c.status().equals(RUNNING) && !inits.watches(c.id())) {
                inits.watch(c.id(), c.pid());
            }
        }
        return containers.stream().map(c -> new DomainStatus(c.id(), powerState(c.status()))).toList();
    }

    @Override
    public List<Leftover> reconcile(Set<String> keep) {
        // Starts hold this shared while they make a domain's namespace and cgroup: half-made, those are no leftovers.
        Lock exclusive = cgroupParent.writeLock();
        exclusive.lock();
        try {
            return reconciler.reconcile(Set.copyOf(keep));
        } finally {
            exclusive.unlock();
        }
    }

    @Override
    public String consoleLog(String name) {
        QubeNames.validate(name);
        return ConsoleLogs.tail(name, layout.consoleLog(name));
    }

    @Override
    public Optional<QubeStats> stats(String name) {
        QubeNames.validate(name);
        if (!runc.holds(name)) {
            return Optional.empty();
        }
        return cgroups.usage(layout.cgroupsPath(name)).map(u -> new QubeStats(u.cpuNanos(), u.memoryBytes(), Instant.now()));
    }

    @Override
    public LinkEndpoint connect(LinkSpec link) {
        QubeNames.validate(link.client());
        QubeNames.validate(link.netvm());
        if (link.client().equals(link.netvm())) {
            throw new InvalidValueException("netvm", link.netvm(), "a qube other than the client itself");
        }
        String clientNetns = layout.netnsName(link.client());
        String netvmNetns = layout.netnsName(link.netvm());
        if (!netns.exists(clientNetns)) {
            throw new InvalidStateException("cannot link '" + link.client() + "': it is not running");
        }
        if (!netns.exists(netvmNetns)) {
            throw new InvalidStateException("cannot link '" + link.client() + "' to netvm '" + link.netvm()
                    + "': the netvm is not running");
        }
        return netns.connect(link, clientNetns, netvmNetns);
    }

    @Override
    public void disconnect(LinkSpec link) {
        QubeNames.validate(link.netvm());
        netns.disconnect(link, layout.netnsName(link.netvm()));
    }

    @Override
    public DomainProcess startProcess(String domain, String user, List<String> command, Map<String, String> environment) {
        QubeNames.validate(domain);
        runtime.requireRunning(domain);
        return processes.start(domain, user, command, environment);
    }

    @Override
    public DomainChannel openChannel(String domain, String service) {
        QubeNames.validate(domain);
        synchronized (lockOf(domain)) {
            runtime.requireRunning(domain);
            return channels.open(domain, service);
        }
    }

    @Override
    public void attachUplink(String name, UplinkSpec uplink) {
        QubeNames.validate(name);
        String domainNetns = layout.netnsName(name);
        if (!netns.exists(domainNetns)) {
            throw new InvalidStateException("cannot give '" + name + "' an uplink: it is not running");
        }
        netns.attachUplink(uplink, domainNetns);
        if (uplink.mode() == UplinkSpec.Mode.MOVE) {
            movedUplinks.add(name, uplink);
        }
    }

    @Override
    public void detachUplink(String name, UplinkSpec uplink) {
        QubeNames.validate(name);
        netns.detachUplink(uplink, layout.netnsName(name));
        if (uplink.mode() == UplinkSpec.Mode.MOVE) {
            movedUplinks.remove(name, uplink);
        }
    }

    private Object lockOf(String name) {
        return domainLocks.computeIfAbsent(name, n -> new Object());
    }

    private static PowerState powerState(String runcStatus) {
        return switch (runcStatus) {
            case RUNNING -> PowerState.Running;
            case PAUSED -> PowerState.Paused;
            case CREATED, PAUSING -> PowerState.Transient;
            case STOPPED -> PowerState.Halted;
            default -> PowerState.NA;
        };
    }

    private boolean isRoot() {
        try {
            return Files.readAllLines(procSelf.resolve("status")).stream()
                    .filter(line -> line.startsWith("Uid:"))
                    .anyMatch(line -> line.split("\\s+")[2].equals("0"));
        } catch (IOException e) {
            return false;
        }
    }

}
