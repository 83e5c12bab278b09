package dev.bulkhead.backend.qemu.internal;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentMap;
import java.util.stream.Stream;

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
import dev.bulkhead.api.host.NetworkNamespaces;
import dev.bulkhead.api.host.WatchedProcess;
import dev.bulkhead.api.hypervisor.BootImages;
import dev.bulkhead.api.hypervisor.ConsoleLogs;
import dev.bulkhead.api.hypervisor.DomainChannel;
import dev.bulkhead.api.hypervisor.DomainChannels;
import dev.bulkhead.api.hypervisor.DomainLinking;
import dev.bulkhead.api.hypervisor.DomainSpec;
import dev.bulkhead.api.hypervisor.DomainStatus;
import dev.bulkhead.api.hypervisor.DomainUplinking;
import dev.bulkhead.api.hypervisor.HypervisorBackend;
import dev.bulkhead.api.hypervisor.Leftover;
import dev.bulkhead.api.hypervisor.LeftoverReconciling;
import dev.bulkhead.api.hypervisor.LinkEndpoint;
import dev.bulkhead.api.hypervisor.LinkSpec;
import dev.bulkhead.api.hypervisor.ServiceNames;
import dev.bulkhead.api.hypervisor.UplinkSpec;
import dev.bulkhead.api.hypervisor.UsageCounting;
import dev.bulkhead.api.hypervisor.VolumeSpec;
import dev.bulkhead.api.hypervisor.VolumeStorage;
import dev.bulkhead.api.hypervisor.VolumeStoring;
import dev.bulkhead.api.json.JsonMappers;

/**
 * The qemu backend: each qube is a QEMU virtual machine (KVM where the host has it, TCG otherwise) booting the built-in
 * guest image (a Debian kernel, an initramfs with busybox and the QEMU guest agent), on its template's root disk where it
 * has one ({@link QemuRootDisks}). Commands go through the guest agent, power operations through QMP. A QEMU outlives the
 * platform and is found again through its pid file ({@link #domains()}). Channels are virtio-serial ports
 * ({@link QemuChannels}); each QEMU has a network namespace with one tap, joined to lite's veth links ({@link QemuNetwork}).
 * A qube with {@code virt_mode=hvm} boots the disk image or ISO kept in its root's storage ({@link BootImageStore})
 * through QEMU's firmware, with no agent ({@link HvmDomains}).
 */
@Component(service = HypervisorBackend.class, configurationPid = QemuBackend.PID,
        property = HypervisorBackend.BACKEND_PROPERTY + "=" + QemuBackend.NAME)
@Designate(ocd = QemuBackend.Config.class)
public final class QemuBackend implements HypervisorBackend, DomainLinking, DomainUplinking, LeftoverReconciling, UsageCounting,
        DomainChannels, VolumeStoring, BootImages {
    static final String NAME = "qemu";
    static final String PID = "dev.bulkhead.backend.qemu";
    /** Framework property naming the platform's data directory; this backend owns its {@code qemu} subdirectory. */
    static final String DATA_PROPERTY = "bulkhead.data";
    static final String HOME_PROPERTY = "bulkhead.home";

    @ObjectClassDefinition(name = "Bulkhead qemu backend",
            description = "Runs qubes as QEMU virtual machines booting the built-in guest image.")
    @interface Config {
        @AttributeDefinition(name = "qemu-system-x86_64",
                description = "The QEMU binary: a name looked up on PATH, or an absolute path.")
        String qemuPath() default "qemu-system-x86_64";

        @AttributeDefinition(name = "Guest image directory",
                description = "Directory holding the guest kernel (vmlinuz) and initramfs (initrd.img); empty means"
                        + " images/qemu of the installation.")
        String imageDirectory() default "";

        @AttributeDefinition(name = "Accelerator",
                description = "auto: KVM where the host's processor virtualisation is usable, TCG (slow, emulated) otherwise;"
                        + " kvm or tcg to insist. The backend counts as supported (for backend=auto) only with KVM.",
                options = { @org.osgi.service.metatype.annotations.Option(value = "auto"),
                        @org.osgi.service.metatype.annotations.Option(value = "kvm"),
                        @org.osgi.service.metatype.annotations.Option(value = "tcg") })
        String accelerator() default "auto";

        @AttributeDefinition(name = "Boot timeout (s)",
                description = "How long a start waits for the guest agent to answer before it kills the qube and fails.", min = "1")
        int bootTimeoutSeconds() default 60;

        @AttributeDefinition(name = "Command timeout (s)",
                description = "How long launching QEMU, making a volume, or a QMP or guest agent request may take.", min = "1")
        int commandTimeoutSeconds() default 30;

        @AttributeDefinition(name = "Shutdown grace (s)",
                description = "How long a qube gets to power off when shutdown is asked without a timeout.", min = "0")
        int shutdownGraceSeconds() default 10;

        @AttributeDefinition(name = "Memory balance period (s)", description = MemoryBalancer.PERIOD_HELP, min = "0")
        int memoryBalanceSeconds() default MemoryBalancer.DEFAULT_PERIOD_SECONDS;
        @AttributeDefinition(name = "Memory free margin (%)", description = MemoryBalancer.MARGIN_HELP, min = "1", max = "90")
        int memoryFreePercent() default MemoryBalancer.DEFAULT_FREE_PERCENT;
    }

    private final DomainLayout layout;
    private final QemuSettings settings;
    private final HostPaths host;
    private final QemuProcesses processes;
    private final QemuLauncher launcher;
    private final GuestControl control;
    private final PrivateVolumes privateVolumes;
    private final QemuRootDisks rootDisks;
    private final QemuChannels channels;
    private final QemuNetwork network;
    private final BootImageStore bootImages;
    private final HvmDomains hvm;
    private final BootCompletion boot;
    private final MemoryBalancer memory;
    /** Operations on one domain run one at a time; different domains proceed in parallel. */
    private final ConcurrentMap<String, Object> domainLocks = new ConcurrentHashMap<>();

    @Activate
    public QemuBackend(BundleContext context, Config config, @Reference HostCommands commands) {
        this(DomainLayout.dataDirectory(context.getProperty(DATA_PROPERTY)), QemuSettings.of(config, context.getProperty(HOME_PROPERTY)),
                HostPaths.system(), commands, NetworkNamespaces.DIRECTORY, MemoryBalancer.policy(config.memoryFreePercent()),
                Duration.ofSeconds(config.memoryBalanceSeconds()));
    }

    @Deactivate
    void deactivate() {
        memory.close();
    }

    QemuBackend(Path dataDirectory, QemuSettings settings, HostPaths host, HostCommands commands) {
        this(dataDirectory, settings, host, commands, NetworkNamespaces.DIRECTORY);
    }

    QemuBackend(Path dataDirectory, QemuSettings settings, HostPaths host, HostCommands commands, Path netnsDirectory) {
        this(dataDirectory, settings, host, commands, netnsDirectory, MemoryBalancer.policy(MemoryBalancer.DEFAULT_FREE_PERCENT),
                Duration.ofSeconds(MemoryBalancer.DEFAULT_PERIOD_SECONDS));
    }

    QemuBackend(Path dataDirectory, QemuSettings settings, HostPaths host, HostCommands commands, Path netnsDirectory,
            MemoryPolicy memoryPolicy, Duration memoryPeriod) {
        ObjectMapper json = JsonMappers.create();
        this.layout = new DomainLayout(dataDirectory);
        this.settings = settings;
        this.host = host;
        this.processes = new QemuProcesses(host.proc());
        this.launcher = new QemuLauncher(layout, commands, settings.commandTimeout());
        this.control = new GuestControl(layout, new QmpClient(json, settings.commandTimeout()), new GuestAgentClient(json),
                settings.commandTimeout());
        this.rootDisks = new QemuRootDisks(layout, commands, settings.commandTimeout(),
                name -> processes.running(layout.pidFile(name)).isPresent());
        this.privateVolumes = new PrivateVolumes(commands, settings.commandTimeout(), rootDisks);
        this.channels = new QemuChannels(layout, control, settings.commandTimeout(), this::lockOf,
                name -> processes.running(layout.pidFile(name)).isPresent());
        this.bootImages = new BootImageStore(commands);
        this.hvm = new HvmDomains(layout, bootImages);
        this.boot = new BootCompletion(layout, processes, control, settings.bootTimeout(), this::consoleLog);
        this.network = new QemuNetwork(layout, new NetworkNamespaces(commands, netnsDirectory, settings.commandTimeout()), commands,
                this::exec, settings.commandTimeout(), hvm::isHvm);
        this.memory = new MemoryBalancer(layout, control, name -> processes.running(layout.pidFile(name)).isPresent(), memoryPolicy,
                memoryPeriod);
    }

    @Override
    public String name() {
        return NAME;
    }

    /**
     * Only where guests would run with KVM and the guest image is there: TCG works everywhere but is too slow to
     * be picked by {@code backend=auto}; configure {@code backend=qemu} to use it.
     */
    @Override
    public boolean isSupported() {
        return settings.accelerator() != QemuSettings.Accelerator.TCG && host.kvmUsable() && settings.imagePresent()
                && HostPaths.onPath(settings.qemu());
    }

    private boolean useKvm() {
        return switch (settings.accelerator()) {
            case KVM -> true;
            case TCG -> false;
            case AUTO -> host.kvmUsable();
        };
    }

    @Override
    public void start(DomainSpec spec) {
        String name = QubeNames.validate(spec.name());
        StartChecks.check(spec, settings, host, layout, rootDisks);
        synchronized (lockOf(name)) {
            if (processes.running(layout.pidFile(name)).isPresent()) {
                throw new InvalidStateException("domain '" + name + "' is already running");
            }
            removeRuntime(name);
            try {
                Files.createDirectories(layout.directory(name));
                // The logs of the previous run go: they tell about this one.
                Files.deleteIfExists(layout.consoleLog(name));
                Files.deleteIfExists(layout.qemuLog(name));
            } catch (IOException e) {
                throw new AdminException("cannot make the state directory of domain '" + name + "': " + e.getMessage(), e);
            }
            try {
                channels.prepare(name, QemuCommandLine.GUEST_UID_BASE + spec.qid());
                hvm.mark(name, spec.hvm());
                memory.prepare(spec);
                List<String> argv = spec.hvm() ? hvm.commandLine(settings, useKvm(), spec)
                        : QemuCommandLine.of(settings, useKvm(), layout, spec, privateVolumes.prepare(spec), rootDisks.prepare(spec));
                network.create(name);
                launcher.launch(name, network.path(name), argv);
                network.tapUp(name);
                boot.await(name, spec.hvm());
            } catch (RuntimeException e) {
                try {
                    stopProcess(name);
                    removeRuntime(name);
                } catch (RuntimeException cleanup) {
                    e.addSuppressed(cleanup);
                }
                throw e;
            }
        }
    }

    @Override
    public void shutdown(String name, Duration timeout) {
        QubeNames.validate(name);
        Duration grace = timeout == null ? settings.shutdownGrace() : timeout;
        synchronized (lockOf(name)) {
            Optional<WatchedProcess> qemu = processes.running(layout.pidFile(name));
            if (qemu.isPresent()) {
                long deadline = System.nanoTime() + grace.toNanos();
                control.askToPowerOff(name);
                if (!qemu.get().awaitExit(Duration.ofNanos(Math.max(0, deadline - System.nanoTime())))) {
                    stopProcess(name);
                }
                processes.awaitThreadsGone(qemu.get(), settings.commandTimeout());
            }
            removeRuntime(name);
        }
    }

    @Override
    public void kill(String name) {
        QubeNames.validate(name);
        synchronized (lockOf(name)) {
            stopProcess(name);
            removeRuntime(name);
        }
    }

    /** Kills the domain's QEMU if it runs and waits for it to go. */
    private void stopProcess(String name) {
        Optional<WatchedProcess> qemu = processes.running(layout.pidFile(name));
        if (qemu.isPresent()) {
            qemu.get().kill();
            if (!qemu.get().awaitExit(settings.commandTimeout())) {
                throw new AdminException("QEMU of '" + name + "' (pid " + qemu.get().pid() + ") did not end after SIGKILL");
            }
            processes.awaitThreadsGone(qemu.get(), settings.commandTimeout());
        }
    }

    @Override
    public void pause(String name) {
        QubeNames.validate(name);
        synchronized (lockOf(name)) {
            requireRunning(name);
            control.monitor(name, "stop");
        }
    }

    @Override
    public void unpause(String name) {
        QubeNames.validate(name);
        synchronized (lockOf(name)) {
            requireRunning(name);
            control.monitor(name, "cont");
        }
    }

    @Override
    public PowerState state(String name) {
        QubeNames.validate(name);
        return stateOf(name);
    }

    /**
     * Halted without a QEMU process; otherwise the run state QMP reports, or {@link PowerState#Transient} when the
     * monitor does not answer (the process lives, so the domain is never taken for stopped).
     */
    private PowerState stateOf(String name) {
        if (processes.running(layout.pidFile(name)).isEmpty()) {
            return PowerState.Halted;
        }
        try {
            return control.runState(name);
        } catch (AdminException e) {
            return processes.running(layout.pidFile(name)).isPresent() ? PowerState.Transient : PowerState.Halted;
        }
    }

    @Override
    public ExecResult exec(String name, List<String> command, byte[] stdin, Duration timeout) {
        QubeNames.validate(name);
        if (command == null || command.isEmpty() || command.get(0).isEmpty()) {
            throw new InvalidValueException("command", String.valueOf(command), "a program and its arguments");
        }
        if (timeout == null || timeout.isNegative() || timeout.isZero()) {
            throw new InvalidValueException("timeout", String.valueOf(timeout), "a positive duration");
        }
        requireRunning(name);
        hvm.requireAgent(name, "run " + command.get(0));
        // a paused guest's agent would not answer until the request's timeout
        if (stateOf(name) == PowerState.Paused) {
            throw new InvalidStateException("domain '" + name + "' is paused: unpause it to run commands");
        }
        return control.exec(name, command, stdin, timeout);
    }

    /**
     * Adds a virtio-serial port for the service while the guest runs; it returns once the guest has it at
     * {@link DomainChannel#qubePath()}.
     */
    @Override
    public DomainChannel openChannel(String domain, String service) {
        QubeNames.validate(domain);
        ServiceNames.validate(service);
        synchronized (lockOf(domain)) {
            if (processes.running(layout.pidFile(domain)).isEmpty()) {
                throw new InvalidStateException("cannot open channel '" + service + "' of '" + domain + "': it is not running");
            }
            hvm.requireAgent(domain, "open channel '" + service + "'");
            if (stateOf(domain) == PowerState.Paused) {
                throw new InvalidStateException("cannot open channel '" + service + "' of '" + domain + "': it is paused,"
                        + " and its guest must take the port: unpause it first");
            }
            return channels.open(domain, service);
        }
    }

    @Override
    public void destroy(String name) {
        QubeNames.validate(name);
        synchronized (lockOf(name)) {
            stopProcess(name);
            channels.remove(name);
            network.delete(name); // a card moved in as an uplink goes back before its record goes with the directory
            try {
                layout.deleteDirectory(name);
            } catch (IOException e) {
                throw new AdminException("cannot remove the files of domain '" + name + "': " + e.getMessage(), e);
            }
        }
        domainLocks.remove(name);
        control.forget(name);
    }

    @Override
    public VolumeStorage volumes() {
        return privateVolumes.storage();
    }

    @Override
    public List<DomainStatus> domains() {
        if (!Files.isDirectory(layout.domains())) {
            return List.of();
        }
        List<DomainStatus> result = new ArrayList<>();
        try (Stream<Path> dirs = Files.list(layout.domains())) {
            for (Path dir : dirs.filter(Files::isDirectory).sorted().toList()) {
                String name = dir.getFileName().toString();
                if (Files.exists(layout.pidFile(name))) {
                    result.add(new DomainStatus(name, stateOf(name)));
                }
            }
        } catch (IOException e) {
            throw new AdminException("cannot list the domains in " + layout.domains() + ": " + e.getMessage(), e);
        }
        return result;
    }

    @Override
    public List<Leftover> reconcile(Set<String> keep) {
        List<Leftover> report = new ArrayList<>(new QemuLeftovers(layout, processes, settings.commandTimeout(), this::lockOf).reconcile(keep));
        report.addAll(network.reconcile(keep, name -> processes.running(layout.pidFile(name)).isPresent(), this::lockOf));
        return report;
    }

    @Override
    public String consoleLog(String name) {
        QubeNames.validate(name);
        return ConsoleLogs.tail(name, layout.consoleLog(name));
    }

    @Override
    public Optional<QubeStats> stats(String name) {
        QubeNames.validate(name);
        return processes.running(layout.pidFile(name)).flatMap(qemu -> processes.usage(qemu.pid()))
                .map(u -> new QubeStats(u[0], u[1], Instant.now()));
    }

    @Override
    public String installBootImage(VolumeSpec root, Path image) {
        return bootImages.install(root, image);
    }

    @Override
    public boolean hasBootImage(VolumeSpec root) {
        return bootImages.installed(root);
    }

    /** The domains' network namespaces and links, for the tests. */
    QemuNetwork network() {
        return network;
    }

    @Override
    public LinkEndpoint connect(LinkSpec link) {
        QubeNames.validate(link.client());
        QubeNames.validate(link.netvm());
        if (link.client().equals(link.netvm())) {
            throw new InvalidValueException("netvm", link.netvm(), "a qube other than the client itself");
        }
        if (processes.running(layout.pidFile(link.client())).isEmpty() || !network.exists(link.client())) {
            throw new InvalidStateException("cannot link '" + link.client() + "': it is not running");
        }
        if (processes.running(layout.pidFile(link.netvm())).isEmpty() || !network.exists(link.netvm())) {
            throw new InvalidStateException("cannot link '" + link.client() + "' to netvm '" + link.netvm()
                    + "': the netvm is not running");
        }
        return network.connect(link);
    }

    @Override
    public void disconnect(LinkSpec link) {
        QubeNames.validate(link.netvm());
        network.disconnect(link);
    }

    @Override
    public void attachUplink(String name, UplinkSpec uplink) {
        QubeNames.validate(name);
        synchronized (lockOf(name)) {
            if (processes.running(layout.pidFile(name)).isEmpty() || !network.exists(name)) {
                throw new InvalidStateException("cannot give '" + name + "' an uplink: it is not running");
            }
            network.attachUplink(name, uplink);
        }
    }

    @Override
    public void detachUplink(String name, UplinkSpec uplink) {
        QubeNames.validate(name);
        synchronized (lockOf(name)) {
            network.detachUplink(name, uplink);
        }
    }

    private Object lockOf(String name) {
        return domainLocks.computeIfAbsent(name, n -> new Object());
    }

    private void requireRunning(String name) {
        if (processes.running(layout.pidFile(name)).isEmpty()) {
            throw new InvalidStateException("domain '" + name + "' is not running");
        }
    }

    /** What a QEMU that ended leaves: its pid file and sockets (removed by a QEMU that exits cleanly), its channels. */
    private void removeRuntime(String name) {
        channels.remove(name);
        // its link ends and taps go with it: its clients' and netvm's ends of their links vanish at once
        network.delete(name);
        rootDisks.discard(name);
        try {
            Files.deleteIfExists(layout.pidFile(name));
            Files.deleteIfExists(layout.qmpSocket(name));
            Files.deleteIfExists(layout.agentSocket(name));
        } catch (IOException e) {
            throw new AdminException("cannot remove the runtime files of domain '" + name + "': " + e.getMessage(), e);
        }
    }
}
