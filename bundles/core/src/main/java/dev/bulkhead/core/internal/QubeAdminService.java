package dev.bulkhead.core.internal;

import java.io.IOException;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.ReentrantLock;
import java.util.function.BooleanSupplier;
import java.util.function.UnaryOperator;

import org.osgi.framework.Bundle;
import org.osgi.framework.BundleContext;
import org.osgi.framework.Constants;
import org.osgi.service.component.annotations.Activate;
import org.osgi.service.component.annotations.Component;
import org.osgi.service.component.annotations.Deactivate;
import org.osgi.service.component.annotations.Modified;
import org.osgi.service.component.annotations.Reference;
import org.osgi.service.component.annotations.ReferenceCardinality;
import org.osgi.service.component.annotations.ReferencePolicy;
import org.osgi.service.metatype.annotations.Designate;

import dev.bulkhead.api.ExecResult;
import dev.bulkhead.api.NoSuchQubeException;
import dev.bulkhead.api.PowerState;
import dev.bulkhead.api.PropertyValue;
import dev.bulkhead.api.Qube;
import dev.bulkhead.api.QubeAdmin;
import dev.bulkhead.api.QubeClass;
import dev.bulkhead.api.QubeEventListener;
import dev.bulkhead.api.QubePreEventHandler;
import dev.bulkhead.api.QubeSpec;
import dev.bulkhead.api.QubeStats;
import dev.bulkhead.api.RoleInfo;
import dev.bulkhead.api.Settings;
import dev.bulkhead.api.VolumeInfo;
import dev.bulkhead.api.firewall.FirewallRule;
import dev.bulkhead.api.hypervisor.DomainExitListener;
import dev.bulkhead.api.hypervisor.HypervisorBackend;
import dev.bulkhead.api.role.QubeRole;

/**
 * The platform's {@link QubeAdmin} service: the Declarative Services component that wires the
 * core's collaborators together and hands each operation to the one that does it. The model and
 * its state file are in {@link QubeRegistry}; settings change in {@link QubeConfiguration}; qubes
 * are made and removed in {@link QubeCreation}, started and stopped in {@link Lifecycle}, linked to
 * their netvms in {@link NetworkLinks}; roles are bound in {@link RoleBindings}; volumes are in
 * {@link QubeVolumes}, disposables in {@link Disposables}; {@link RuntimeReconciler} keeps what
 * runs in line with the model.
 */
@Component(service = QubeAdmin.class, configurationPid = CoreConfig.PID, immediate = true)
@Designate(ocd = CoreConfig.class)
public final class QubeAdminService implements QubeAdmin {
    /** The core logs under one name, whatever part of it speaks: operators and the crash bench read it. */
    static final System.Logger LOG = System.getLogger(QubeAdminService.class.getName());
    /** Framework property naming the data directory. */
    public static final String DATA_PROPERTY = "bulkhead.data";
    /** How often the core compares its view with the backend's, to notice qubes that stopped by themselves. */
    private static final long WATCH_PERIOD_MS = 1000;

    private final EventDispatcher events = new EventDispatcher();
    private final PreEventHandlers preEvents = new PreEventHandlers();
    private final BackendSelector backends = new BackendSelector();
    private final ReentrantLock lifecycleLock = new ReentrantLock();
    /** Where lifecycle work runs, out of reach of a client that hangs up: it finishes or rolls back. */
    private final HostWork hostWork = new HostWork(lifecycleLock);
    /** Where a role takes a starting client, or a taken-over qube, on: outside the lifecycle lock, one call per qube at a time. */
    private final ServiceQubeCalls serviceCalls = new ServiceQubeCalls(lifecycleLock);
    /** The starts under way until the qube runs with its role set up, which its clients wait for. */
    private final ServiceQubeStarts starts = new ServiceQubeStarts(lifecycleLock);
    private final ScheduledExecutorService worker = Executors.newSingleThreadScheduledExecutor(r -> {
        Thread t = new Thread(r, "bulkhead-lifecycle");
        t.setDaemon(true);
        return t;
    });
    private final DomainExitListener exits = this::domainExited;
    private final QubeRegistry registry;
    private final RuntimeState state;
    private final RoleBindings roles;
    private final NetworkLinks links;
    private final QubeVolumes volumes;
    private final QubeCreation creation;
    private final Disposables disposables;
    private final Lifecycle lifecycle;
    private final QubeConfiguration configuration;
    private final RuntimeReconciler reconciler;
    /** Set once deactivated. */
    private volatile boolean closing;
    private volatile CoreConfig config;

    @Activate
    public QubeAdminService(BundleContext context, CoreConfig config) throws IOException {
        this(dataDirectory(context.getProperty(DATA_PROPERTY)), config,
                () -> context.getBundle(Constants.SYSTEM_BUNDLE_LOCATION).getState() == Bundle.STOPPING);
    }

    QubeAdminService(Path dataDir, CoreConfig config) throws IOException {
        this(dataDir, config, () -> false);
    }

    /** @param platformStopping whether the whole platform is stopping, so that roles leaving with it leave their qubes running */
    QubeAdminService(Path dataDir, CoreConfig config, BooleanSupplier platformStopping) throws IOException {
        this.config = config;
        this.registry = new QubeRegistry(dataDir);
        this.state = new RuntimeState(backends, () -> this.config);
        this.roles = new RoleBindings(this, state, hostWork, events);
        this.links = new NetworkLinks(registry, state, roles, lifecycleLock, hostWork, serviceCalls, starts);
        this.volumes = new QubeVolumes(registry, state, new VolumeRules(dataDir.resolve("qubes")), lifecycleLock, hostWork, events);
        this.creation = new QubeCreation(registry, state, volumes, lifecycleLock, hostWork, events);
        this.disposables = new Disposables(registry, state, this, lifecycleLock, hostWork, worker, events);
        this.lifecycle = new Lifecycle(registry, state, roles, links, volumes, disposables, lifecycleLock, hostWork, worker, events, preEvents,
                serviceCalls, starts, () -> this.config, this::syncStates);
        this.configuration = new QubeConfiguration(registry, state, links, events, preEvents);
        this.reconciler = new RuntimeReconciler(registry, state, backends, roles, links, lifecycle, disposables, this, lifecycleLock,
                serviceCalls, worker, events, () -> this.config, () -> closing, platformStopping);
        worker.scheduleWithFixedDelay(this::syncStates, WATCH_PERIOD_MS, WATCH_PERIOD_MS, TimeUnit.MILLISECONDS);
        worker.scheduleWithFixedDelay(this::pruneExpiredRules, WATCH_PERIOD_MS, WATCH_PERIOD_MS, TimeUnit.MILLISECONDS);
    }

    private static Path dataDirectory(String value) {
        if (value == null || value.isBlank()) {
            throw new IllegalStateException("the framework property " + DATA_PROPERTY + " must name the data directory");
        }
        return Paths.get(value).toAbsolutePath().normalize();
    }

    @Modified
    void modified(CoreConfig newConfig) {
        String before = config.backend();
        config = newConfig;
        if (!before.equals(newConfig.backend())) {
            reconciler.adoptSelectedBackend();
        }
    }

    /** The core outside a framework, for {@link dev.bulkhead.core.embed.EmbeddedPlatform}. */
    public static QubeAdminService embedded(Path dataDir, Map<String, ?> settings) throws IOException {
        return new QubeAdminService(dataDir, Settings.of(CoreConfig.class, settings));
    }

    /** Adds a backend, as Declarative Services does in OSGi. */
    public void embeddedBackend(HypervisorBackend backend) {
        addBackend(backend);
    }

    /** Adds a role, as Declarative Services does in OSGi. */
    public void embeddedRole(QubeRole role) {
        addRole(role);
    }

    /** Stops the core, as Declarative Services does in OSGi. */
    public void embeddedClose() {
        deactivate();
    }

    @Deactivate
    void deactivate() {
        // Declarative Services unbinds roles and backends after this: the qubes keep running, to be
        // taken over by the next activation, rather than being stopped as if their roles had left.
        closing = true;
        worker.shutdownNow();
        hostWork.close();
        events.close();
    }

    // ---- dynamic references: backends, roles, listeners come and go -------------------------

    @Reference(cardinality = ReferenceCardinality.MULTIPLE, policy = ReferencePolicy.DYNAMIC)
    void addBackend(HypervisorBackend backend) {
        backends.add(backend).exits().ifPresent(n -> n.addExitListener(exits));
        reconciler.adoptSelectedBackend();
    }

    void removeBackend(HypervisorBackend backend) {
        backends.abilities(backend).exits().ifPresent(n -> n.removeExitListener(exits));
        backends.remove(backend);
        if (closing) {
            return;
        }
        if (state.adopted() == backend) {
            reconciler.adoptSelectedBackend();
        }
    }

    @Reference(cardinality = ReferenceCardinality.MULTIPLE, policy = ReferencePolicy.DYNAMIC)
    void addRole(QubeRole role) {
        roles.add(role);
        reconciler.roleAdded();
    }

    /** A role that leaves takes its qubes down with it: their clients lose the network, never reroute. */
    void removeRole(QubeRole role) {
        if (roles.remove(role) && !closing) {
            reconciler.roleLeft(role);
        }
    }

    @Reference(cardinality = ReferenceCardinality.MULTIPLE, policy = ReferencePolicy.DYNAMIC)
    void addListener(QubeEventListener listener) {
        events.add(listener);
    }

    void removeListener(QubeEventListener listener) {
        events.remove(listener);
    }

    @Reference(cardinality = ReferenceCardinality.MULTIPLE, policy = ReferencePolicy.DYNAMIC)
    void addPreEventHandler(QubePreEventHandler handler, Map<String, Object> properties) {
        preEvents.add(handler, properties);
    }

    void removePreEventHandler(QubePreEventHandler handler) {
        preEvents.remove(handler);
    }

    private void domainExited(String name) {
        reconciler.domainExited(name);
    }

    /** Notices qubes that stopped by themselves; run by the watch and at a start of a qube seen running. */
    void syncStates() {
        reconciler.syncStates();
    }

    /** Removes expired firewall rules; run by the watch. */
    void pruneExpiredRules() {
        configuration.pruneExpiredRules();
    }

    // ---- queries ------------------------------------------------------------------------------

    @Override
    public List<Qube> list() {
        Model m = registry.model();
        List<Qube> all = new ArrayList<>(m.qubes.size());
        for (QubeRecord q : m.qubes.values()) {
            all.add(snapshot(m, q));
        }
        all.sort(Comparator.comparing((Qube q) -> q.qid() != 0).thenComparing(Qube::name));
        return all;
    }

    @Override
    public Optional<Qube> find(String name) {
        Model m = registry.model();
        return m.find(name).map(q -> snapshot(m, q));
    }

    @Override
    public Qube get(String name) {
        return find(name).orElseThrow(() -> new NoSuchQubeException(name));
    }

    private Qube snapshot(Model m, QubeRecord q) {
        return new Qube(q.name, q.qid, q.klass, state.stateOf(q), PropertyRules.effectiveAll(m, q), q.features, q.tags);
    }

    @Override
    public Map<String, PropertyValue> globalProperties() {
        Map<String, String> global = registry.model().global;
        Map<String, PropertyValue> all = new LinkedHashMap<>();
        for (String g : PropertyRules.GLOBAL) {
            String v = global.get(g);
            all.put(g, v == null ? PropertyValue.byDefault("", "not set") : PropertyValue.set(v));
        }
        return all;
    }

    @Override
    public List<String> stateProblems() {
        return registry.problems();
    }

    @Override
    public List<RoleInfo> roles() {
        return roles.infos(registry.model());
    }

    @Override
    public String backendName() {
        HypervisorBackend b = state.adopted();
        return b == null ? "none" : b.name();
    }

    @Override
    public Optional<QubeStats> stats(String name) {
        QubeRecord q = QubeRegistry.require(registry.model(), name);
        HypervisorBackend b = state.adopted();
        PowerState now = state.stateOf(q);
        if (b == null || q.klass == QubeClass.AdminVM || now != PowerState.Running && now != PowerState.Paused) {
            return Optional.empty();
        }
        return backends.abilities(b).usage().flatMap(u -> u.stats(name));
    }

    @Override
    public String consoleLog(String name) {
        QubeRegistry.require(registry.model(), name);
        return state.backend().consoleLog(name);
    }

    // ---- creation and settings ----------------------------------------------------------------

    @Override
    public Qube create(QubeSpec spec) {
        return get(creation.create(spec));
    }

    @Override
    public void remove(String name) {
        creation.remove(name);
    }

    @Override
    public Qube clone(String source, String target) {
        return get(creation.clone(source, target));
    }

    @Override
    public void setProperty(String name, String property, String value) {
        configuration.setProperty(name, property, value);
    }

    @Override
    public void resetProperty(String name, String property) {
        configuration.resetProperty(name, property);
    }

    @Override
    public void setFeature(String name, String key, String value) {
        configuration.setFeature(name, key, value);
    }

    @Override
    public void removeFeature(String name, String key) {
        configuration.removeFeature(name, key);
    }

    @Override
    public void addTag(String name, String tag) {
        configuration.addTag(name, tag);
    }

    @Override
    public void removeTag(String name, String tag) {
        configuration.removeTag(name, tag);
    }

    @Override
    public void setGlobalProperty(String property, String value) {
        configuration.setGlobalProperty(property, value);
    }

    @Override
    public List<FirewallRule> firewallRules(String name) {
        return configuration.firewallRules(name);
    }

    @Override
    public void setFirewallRules(String name, List<FirewallRule> rules) {
        configuration.setFirewallRules(name, rules);
    }

    @Override
    public void editFirewallRules(String name, UnaryOperator<List<FirewallRule>> edit) {
        configuration.editFirewallRules(name, edit);
    }

    @Override
    public List<String> firewallProblems(String name) {
        return links.firewallProblems(name);
    }

    // ---- lifecycle ----------------------------------------------------------------------------

    @Override
    public void start(String name) {
        lifecycle.start(name);
    }

    @Override
    public void shutdown(String name, boolean force, boolean wait, Duration timeout) {
        lifecycle.shutdown(name, force, wait, timeout);
    }

    @Override
    public void kill(String name) {
        lifecycle.kill(name);
    }

    @Override
    public void pause(String name) {
        lifecycle.pause(name);
    }

    @Override
    public void unpause(String name) {
        lifecycle.unpause(name);
    }

    @Override
    public void restart(String name, Duration timeout) {
        shutdown(name, false, true, timeout);
        start(name);
    }

    @Override
    public ExecResult run(String name, List<String> command, byte[] stdin, Duration timeout) {
        return lifecycle.run(name, command, stdin, timeout);
    }

    // ---- volumes and disposables --------------------------------------------------------------

    @Override
    public List<VolumeInfo> volumes(String name) {
        return volumes.volumes(name);
    }

    @Override
    public VolumeInfo volume(String name, String volume) {
        return volumes.volume(name, volume);
    }

    @Override
    public void revertVolume(String name, String volume, String revision) {
        volumes.revert(name, volume, revision);
    }

    @Override
    public void resizeVolume(String name, String volume, long sizeBytes) {
        volumes.resize(name, volume, sizeBytes);
    }

    @Override
    public void setVolumeRevisionsToKeep(String name, String volume, int revisions) {
        volumes.setRevisionsToKeep(name, volume, revisions);
    }

    @Override
    public void importVolume(String name, String volume, Path content) {
        volumes.importContent(name, volume, content);
    }

    @Override
    public Qube createDisposable(String dispvmTemplate) {
        return disposables.create(dispvmTemplate);
    }

    @Override
    public ExecResult runDisposable(String dispvmTemplate, List<String> command, byte[] stdin, Duration timeout) {
        return disposables.run(dispvmTemplate, command, stdin, timeout);
    }
}
