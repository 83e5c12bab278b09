package dev.bulkhead.core.internal;

import java.io.IOException;
import java.lang.System.Logger.Level;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.ReentrantLock;
import java.util.regex.Pattern;
import java.util.stream.Stream;

import org.osgi.framework.BundleContext;
import org.osgi.service.component.annotations.Activate;
import org.osgi.service.component.annotations.Component;
import org.osgi.service.component.annotations.Deactivate;
import org.osgi.service.component.annotations.Modified;
import org.osgi.service.component.annotations.Reference;
import org.osgi.service.component.annotations.ReferenceCardinality;
import org.osgi.service.component.annotations.ReferencePolicy;
import org.osgi.service.metatype.annotations.Designate;

import dev.bulkhead.api.AdminException;
import dev.bulkhead.api.EventVetoedException;
import dev.bulkhead.api.ExecResult;
import dev.bulkhead.api.InvalidStateException;
import dev.bulkhead.api.InvalidValueException;
import dev.bulkhead.api.NoSuchQubeException;
import dev.bulkhead.api.PowerState;
import dev.bulkhead.api.PropertyValue;
import dev.bulkhead.api.Qube;
import dev.bulkhead.api.QubeAdmin;
import dev.bulkhead.api.QubeClass;
import dev.bulkhead.api.QubeEvent;
import dev.bulkhead.api.QubeEventListener;
import dev.bulkhead.api.QubeNames;
import dev.bulkhead.api.QubePreEventHandler;
import dev.bulkhead.api.QubeProperty;
import dev.bulkhead.api.QubeSpec;
import dev.bulkhead.api.QubeStats;
import dev.bulkhead.api.RoleInfo;
import dev.bulkhead.api.VolumeInfo;
import dev.bulkhead.api.hypervisor.DomainLinking;
import dev.bulkhead.api.hypervisor.DomainSpec;
import dev.bulkhead.api.hypervisor.DomainStatus;
import dev.bulkhead.api.hypervisor.HypervisorBackend;
import dev.bulkhead.api.hypervisor.LinkEndpoint;
import dev.bulkhead.api.hypervisor.LinkSpec;
import dev.bulkhead.api.hypervisor.UplinkSpec;
import dev.bulkhead.api.firewall.FirewallRule;
import dev.bulkhead.api.hypervisor.VolumeSpec;
import dev.bulkhead.api.hypervisor.VolumeStorage;
import dev.bulkhead.api.json.JsonMappers;
import dev.bulkhead.api.role.QubeRole;
import dev.bulkhead.api.role.RoleContext;

/**
 * The registry and lifecycle of qubes. Every change is made on a copy of the model, validated
 * whole, saved, and only then published; starts and stops are serialised by one lifecycle lock,
 * as Qubes serialises domain starts, which a role's commands in a service qube take no part in
 * when it takes a starting client on or the qube back ({@link ServiceQubeCalls}).
 */
@Component(service = QubeAdmin.class, configurationPid = CoreConfig.PID, immediate = true)
@Designate(ocd = CoreConfig.class)
public final class QubeAdminService implements QubeAdmin {
    private static final System.Logger LOG = System.getLogger(QubeAdminService.class.getName());
    /** Framework property naming the data directory. */
    public static final String DATA_PROPERTY = "bulkhead.data";
    /** Name of the TemplateVM a fresh platform starts with, on the backend's built-in root. */
    static final String FIRST_TEMPLATE = "minimal";
    private static final Pattern TAG = Pattern.compile("[a-zA-Z0-9_-]{1,64}");
    /** Feature of a disposable template: how many of its disposables are kept started and ready, as in Qubes 4.3. */
    static final String PRELOAD_MAX = FeatureRules.PRELOAD_MAX;
    /** Feature of a disposable template that the platform keeps: the names of its ready disposables. */
    static final String PRELOADED = FeatureRules.PRELOADED;
    static final int MAX_PRELOAD = FeatureRules.MAX_PRELOAD;
    /** How long after a preloaded disposable is handed out its successor is started. */
    private static final long REFILL_DELAY_MS = 1000;
    /** How often the core compares its view with the backend's, to notice qubes that stopped by themselves. */
    private static final long WATCH_PERIOD_MS = 1000;

    private final Path dataDir;
    private final VolumeRules volumeRules;
    private final StateStore store;
    private final EventDispatcher events = new EventDispatcher();
    private final PreEventHandlers preEvents = new PreEventHandlers();
    private final BackendSelector backends = new BackendSelector();
    private final Map<String, QubeRole> roles = new ConcurrentHashMap<>();
    private final Object modelLock = new Object();
    private final ReentrantLock lifecycle = new ReentrantLock();
    /** Where lifecycle work runs, out of reach of a client that hangs up: it finishes or rolls back. */
    private final HostWork hostWork = new HostWork(lifecycle);
    /** Where a role takes a starting client, or a taken-over qube, on: outside the lifecycle lock, one call per qube at a time. */
    private final ServiceQubeCalls serviceCalls = new ServiceQubeCalls(lifecycle);
    /** A domain that stopped by itself is cleaned up at once, not at the next look at the backend. */
    private final dev.bulkhead.api.hypervisor.DomainExitListener exits = this::domainExited;
    private final Map<String, PowerState> runtime = new ConcurrentHashMap<>();
    private final Map<String, LinkEndpoint> links = new ConcurrentHashMap<>();
    /** Running qubes taken over from the backend whose role has not yet been handed them. */
    private final java.util.Set<String> unclaimed = ConcurrentHashMap.newKeySet();
    /** Counts take-overs of a backend, so that a late wait for roles ends only its own. */
    private long adoptions;
    /** Set once deactivated. */
    private volatile boolean closing;
    private final java.util.function.BooleanSupplier platformStopping;
    private final ScheduledExecutorService worker = Executors.newSingleThreadScheduledExecutor(r -> {
        Thread t = new Thread(r, "bulkhead-lifecycle");
        t.setDaemon(true);
        return t;
    });
    private volatile Model model;
    private volatile CoreConfig config;
    /** The backend whose domains are reflected in {@link #runtime}; null while there is none. */
    private volatile HypervisorBackend adopted;

    @Activate
    public QubeAdminService(BundleContext context, CoreConfig config) throws IOException {
        this(dataDirectory(context.getProperty(DATA_PROPERTY)), config,
                () -> context.getBundle(org.osgi.framework.Constants.SYSTEM_BUNDLE_LOCATION).getState() == org.osgi.framework.Bundle.STOPPING);
    }

    QubeAdminService(Path dataDir, CoreConfig config) throws IOException {
        this(dataDir, config, () -> false);
    }

    /** @param platformStopping whether the whole platform is stopping, so that roles leaving with it leave their qubes running */
    QubeAdminService(Path dataDir, CoreConfig config, java.util.function.BooleanSupplier platformStopping) throws IOException {
        this.platformStopping = platformStopping;
        this.dataDir = dataDir;
        this.volumeRules = new VolumeRules(dataDir.resolve("qubes"));
        this.config = config;
        Files.createDirectories(dataDir);
        this.store = new StateStore(dataDir, JsonMappers.create());
        Model loaded = store.load();
        store.problems().forEach(p -> LOG.log(Level.WARNING, p));
        this.model = loaded;
        if (!Files.exists(store.file())) {
            seedFirstTemplate();
        }
        worker.scheduleWithFixedDelay(this::syncStates, WATCH_PERIOD_MS, WATCH_PERIOD_MS, TimeUnit.MILLISECONDS);
        worker.scheduleWithFixedDelay(this::pruneExpiredRules, WATCH_PERIOD_MS, WATCH_PERIOD_MS, TimeUnit.MILLISECONDS);
    }

    private static Path dataDirectory(String value) {
        if (value == null || value.isBlank()) {
            throw new IllegalStateException("the framework property " + DATA_PROPERTY + " must name the data directory");
        }
        return Paths.get(value).toAbsolutePath().normalize();
    }

    /** A fresh platform gets one TemplateVM on the backend's built-in root, so AppVMs can be made at once. */
    private void seedFirstTemplate() {
        synchronized (modelLock) {
            Model m = model.copy();
            m.qubes.put(FIRST_TEMPLATE, new QubeRecord(FIRST_TEMPLATE, 1, QubeClass.TemplateVM,
                    Map.of(QubeProperty.LABEL.id(), "black"), Map.of(), List.of()));
            m.global.put(PropertyRules.DEFAULT_TEMPLATE, FIRST_TEMPLATE);
            store.save(m);
            model = m;
        }
    }

    @Modified
    void modified(CoreConfig newConfig) {
        String before = config.backend();
        config = newConfig;
        if (!before.equals(newConfig.backend())) {
            adoptSelectedBackend();
        }
    }

    /** The core outside a framework, for {@link dev.bulkhead.core.embed.EmbeddedPlatform}. */
    public static QubeAdminService embedded(Path dataDir, Map<String, ?> settings) throws IOException {
        return new QubeAdminService(dataDir, dev.bulkhead.api.Settings.of(CoreConfig.class, settings));
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
        adoptSelectedBackend();
    }

    void removeBackend(HypervisorBackend backend) {
        backends.abilities(backend).exits().ifPresent(n -> n.removeExitListener(exits));
        backends.remove(backend);
        if (closing) {
            return;
        }
        if (adopted == backend) {
            adoptSelectedBackend();
        }
    }

    @Reference(cardinality = ReferenceCardinality.MULTIPLE, policy = ReferencePolicy.DYNAMIC)
    void addRole(QubeRole role) {
        roles.put(role.id(), role);
        LOG.log(Level.INFO, "role " + role.id() + " is available");
        events.fire(QubeEvent.ROLE_ADD, null, Map.of("role", role.id()));
        worker.execute(this::handOverAdopted);
        worker.execute(this::autostart);
    }

    /** A role that leaves takes its qubes down with it: their clients lose the network, never reroute. */
    void removeRole(QubeRole role) {
        if (!roles.remove(role.id(), role) || closing) {
            return;
        }
        if (platformStopping.getAsBoolean()) {
            // Its qubes keep running, as every qube does while the platform is down, and are handed
            // back to the role at the next start.
            LOG.log(Level.INFO, "role " + role.id() + " stops with the platform; the qubes that carry it keep running");
            return;
        }
        LOG.log(Level.WARNING, "role " + role.id() + " left; stopping the qubes that carry it");
        events.fire(QubeEvent.ROLE_REMOVE, null, Map.of("role", role.id()));
        lifecycle.lock();
        try {
            for (QubeRecord q : model.qubes.values()) {
                if (role.id().equals(q.features.get(QubeRole.ROLE_FEATURE)) && isActive(q.name)) {
                    try {
                        killLocked(q.name);
                    } catch (RuntimeException e) {
                        LOG.log(Level.ERROR, "cannot stop " + q.name + " after its role left", e);
                    }
                }
            }
        } finally {
            lifecycle.unlock();
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

    /**
     * Takes over the domains of the selected backend: running qubes are re-adopted as they are,
     * and domains that belong to no qube, or are stopped, are cleaned away.
     */
    private void adoptSelectedBackend() {
        lifecycle.lock();
        try {
            HypervisorBackend selected = backends.select(config.backend()).orElse(null);
            if (selected == adopted) {
                return;
            }
            adopted = null;
            runtime.clear();
            links.clear();
            unclaimed.clear();
            adoptions++;
            if (selected == null) {
                return;
            }
            java.util.Set<String> leftAlone = new java.util.HashSet<>();
            for (DomainStatus d : selected.domains()) {
                QubeRecord q = model.qubes.get(d.name());
                if (q != null && q.klass != QubeClass.AdminVM
                        && (d.state() == PowerState.Running || d.state() == PowerState.Paused)) {
                    runtime.put(d.name(), d.state());
                    if (q.features.containsKey(QubeRole.ROLE_FEATURE)) {
                        unclaimed.add(d.name());
                    }
                } else if (store.isUnreadable() || model.unreadableNames().contains(d.name())) {
                    // the state file may still hold this qube: never destroy what could be a user's
                    LOG.log(Level.WARNING, "leaving domain " + d.name() + " alone: the state file does not describe it readably");
                    leftAlone.add(d.name());
                } else {
                    LOG.log(Level.INFO, "removing leftover domain " + d.name() + " (" + d.state() + ")");
                    try {
                        if (d.state().isActive()) {
                            selected.kill(d.name());
                        }
                        selected.destroy(d.name());
                    } catch (AdminException e) {
                        LOG.log(Level.WARNING, "cannot remove leftover domain " + d.name() + ": " + e.getMessage());
                    }
                }
            }
            leftAlone.addAll(runtime.keySet());
            removeLeftovers(selected, leftAlone);
            adopted = selected;
            for (String client : List.copyOf(runtime.keySet())) {
                QubeRecord q = model.qubes.get(client);
                String netvm = PropertyRules.netvm(model, q);
                if (!netvm.isEmpty() && runtime.containsKey(netvm)) {
                    try {
                        links.put(client, backends.abilities(selected).links("netvm " + netvm).connect(linkSpec(model, q, model.qubes.get(netvm))));
                    } catch (AdminException e) {
                        LOG.log(Level.WARNING, "cannot re-adopt the link of " + client + ": " + e.getMessage());
                    }
                }
            }
            LOG.log(Level.INFO, "backend " + selected.name() + " adopted with " + runtime.size() + " running qubes");
        } finally {
            lifecycle.unlock();
        }
        worker.execute(this::handOverAdopted);
        long adoption = adoptions;
        worker.schedule(() -> stopUnclaimed(adoption), config.adopted_role_wait(), TimeUnit.SECONDS);
        worker.execute(this::autostart);
    }

    /**
     * Has the backend remove what a crash left on the host (half-made or half-removed qubes' namespaces,
     * mounts, devices, processes) and logs each item: only the qubes kept running, or left alone, keep theirs.
     */
    private void removeLeftovers(HypervisorBackend selected, java.util.Set<String> keep) {
        try {
            for (dev.bulkhead.api.hypervisor.Leftover l : backends.abilities(selected).leftovers().map(r -> r.reconcile(keep)).orElse(List.of())) {
                LOG.log(l.isRemoved() ? Level.INFO : Level.WARNING, "take-over of backend " + selected.name() + ": " + l.describe());
            }
        } catch (RuntimeException e) {
            // the take-over goes on: leftovers cost room on the host, never a running qube
            LOG.log(Level.WARNING, "cannot look for leftovers of backend " + selected.name() + ": " + e.getMessage());
        }
    }

    /**
     * Hands each running qube taken over from the backend to its role, once the role is there, and
     * then the links of its running clients. A role that cannot take its qube back stops it. The
     * role runs commands in the qube meanwhile: it does so under the qube's own lock, not the
     * lifecycle lock, so a client starting behind the qube is taken on only after the take-over.
     */
    private void handOverAdopted() {
        lifecycle.lock();
        try {
            long adoption = adoptions;
            for (String name : List.copyOf(unclaimed)) {
                QubeRecord q = model.qubes.get(name);
                if (q == null || !isActive(name)) {
                    unclaimed.remove(name);
                    continue;
                }
                QubeRole role = roleOf(q);
                if (role == null) {
                    continue;
                }
                unclaimed.remove(name);
                RuntimeException failure = null;
                try {
                    serviceCalls.call(name, () -> {
                        role.adopted(roleContext(name));
                        for (LinkEndpoint link : List.copyOf(links.values())) {
                            if (link.link().netvm().equals(name)) {
                                role.clientAttached(roleContext(name), link);
                            }
                        }
                    });
                } catch (RuntimeException e) {
                    failure = e;
                }
                if (adoption != adoptions || closing) {
                    // a new take-over hands the qube over again; a core closing meanwhile leaves it running for the next
                    return;
                }
                if (!isActive(name)) {
                    LOG.log(Level.INFO, "the running qube " + name + " stopped while role " + role.id() + " took it over");
                } else if (failure == null) {
                    LOG.log(Level.INFO, "role " + role.id() + " took over the running qube " + name);
                } else {
                    LOG.log(Level.ERROR, "role " + role.id() + " cannot take over the running qube " + name + "; stopping it", failure);
                    events.fire(QubeEvent.DOMAIN_START_FAILED, name, Map.of("reason", String.valueOf(failure.getMessage())));
                    killQuietly(name);
                }
            }
        } finally {
            lifecycle.unlock();
        }
    }

    /** A qube found running whose role has not come back in time is stopped: its clients are cut off. */
    private void stopUnclaimed(long adoption) {
        lifecycle.lock();
        try {
            if (adoption != adoptions) {
                return;
            }
            for (String name : List.copyOf(unclaimed)) {
                unclaimed.remove(name);
                QubeRecord q = model.qubes.get(name);
                if (q != null && isActive(name) && roleOf(q) == null) {
                    LOG.log(Level.WARNING, "the role '" + q.features.get(QubeRole.ROLE_FEATURE) + "' of the running qube " + name
                            + " did not come back; stopping it");
                    killQuietly(name);
                }
            }
        } finally {
            lifecycle.unlock();
        }
    }

    private void killQuietly(String name) {
        try {
            killLocked(name);
        } catch (RuntimeException e) {
            LOG.log(Level.ERROR, "cannot stop " + name, e);
        }
    }

    /**
     * Notices qubes that stopped without being asked (their init exited, the host killed them):
     * they are cleaned up, their clients cut off, and {@code domain-shutdown} is fired.
     */
    void syncStates() {
        HypervisorBackend b = adopted;
        if (b == null || runtime.isEmpty() || !lifecycle.tryLock()) {
            return;
        }
        try {
            // the stop of each lets the lifecycle lock go while its netvm's role forgets it: the states are read again after it
            boolean again = true;
            while (again) {
                again = false;
                Map<String, PowerState> actual = new java.util.HashMap<>();
                for (DomainStatus d : b.domains()) {
                    actual.put(d.name(), d.state());
                }
                for (Map.Entry<String, PowerState> e : List.copyOf(runtime.entrySet())) {
                    String name = e.getKey();
                    PowerState now = actual.getOrDefault(name, PowerState.Halted);
                    if (e.getValue() == PowerState.Transient || e.getValue() == PowerState.Halting) {
                        continue;
                    }
                    if (now.isActive()) {
                        runtime.put(name, now);
                        continue;
                    }
                    LOG.log(Level.WARNING, "qube " + name + " stopped by itself (" + now + ")");
                    QubeRecord q = model.qubes.get(name);
                    runtime.put(name, PowerState.Halting);
                    stopLinks(q, PropertyRules.clientsOf(model, name).stream().filter(this::isActive).toList());
                    again = true;
                    if (runtime.get(name) != PowerState.Halting) {
                        // a kill ended the stop meanwhile
                        break;
                    }
                    try {
                        b.kill(name);
                    } catch (AdminException k) {
                        LOG.log(Level.WARNING, "cannot clean up " + name + ": " + k.getMessage());
                    }
                    runtime.remove(name);
                    events.fire(QubeEvent.DOMAIN_SHUTDOWN, name, Map.of("reason", "stopped by itself"));
                    discardIfDisposable(name);
                    break;
                }
            }
        } catch (RuntimeException e) {
            LOG.log(Level.WARNING, "cannot read the state of the backend's domains: " + e.getMessage());
        } finally {
            lifecycle.unlock();
        }
    }

    private void domainExited(String name) {
        if (!closing) {
            worker.execute(this::syncStates);
        }
    }

    /**
     * Removes disposables that stopped while nobody watched, starts every autostart qube whose role
     * (if it has one) is present, and preloads disposables.
     */
    private void autostart() {
        if (adopted == null) {
            return;
        }
        for (QubeRecord q : model.qubes.values()) {
            discardIfDisposable(q.name);
        }
        for (QubeRecord q : model.qubes.values()) {
            if (q.klass == QubeClass.AdminVM || isActive(q.name)
                    || !"True".equals(PropertyRules.effective(model, q, QubeProperty.AUTOSTART).value())) {
                continue;
            }
            String role = q.features.get(QubeRole.ROLE_FEATURE);
            if (role != null && !roles.containsKey(role)) {
                continue;
            }
            try {
                start(q.name);
            } catch (AdminException e) {
                LOG.log(Level.WARNING, "autostart of " + q.name + " failed: " + e.getMessage());
            }
        }
        refillPreloaded();
    }

    // ---- queries ------------------------------------------------------------------------------

    @Override
    public List<Qube> list() {
        Model m = model;
        List<Qube> all = new ArrayList<>(m.qubes.size());
        for (QubeRecord q : m.qubes.values()) {
            all.add(snapshot(m, q));
        }
        all.sort(Comparator.comparing((Qube q) -> q.qid() != 0).thenComparing(Qube::name));
        return all;
    }

    @Override
    public Optional<Qube> find(String name) {
        Model m = model;
        return m.find(name).map(q -> snapshot(m, q));
    }

    @Override
    public Qube get(String name) {
        return find(name).orElseThrow(() -> new NoSuchQubeException(name));
    }

    private Qube snapshot(Model m, QubeRecord q) {
        return new Qube(q.name, q.qid, q.klass, stateOf(q), PropertyRules.effectiveAll(m, q), q.features, q.tags);
    }

    private PowerState stateOf(QubeRecord q) {
        if (q.klass == QubeClass.AdminVM) {
            return PowerState.Running;
        }
        if (adopted == null) {
            return PowerState.NA;
        }
        return runtime.getOrDefault(q.name, PowerState.Halted);
    }

    private boolean isActive(String name) {
        return runtime.containsKey(name);
    }

    @Override
    public Map<String, PropertyValue> globalProperties() {
        Map<String, PropertyValue> all = new LinkedHashMap<>();
        for (String g : PropertyRules.GLOBAL) {
            String v = model.global.get(g);
            all.put(g, v == null ? PropertyValue.byDefault("", "not set") : PropertyValue.set(v));
        }
        return all;
    }

    @Override
    public List<String> stateProblems() {
        return store.problems();
    }

    @Override
    public List<RoleInfo> roles() {
        Model m = model;
        List<RoleInfo> result = new ArrayList<>();
        for (QubeRole role : roles.values()) {
            List<String> carriers = m.qubes.values().stream()
                    .filter(q -> role.id().equals(q.features.get(QubeRole.ROLE_FEATURE)))
                    .map(q -> q.name).sorted().toList();
            result.add(new RoleInfo(role.id(), role.description(), role.providesNetwork(), carriers));
        }
        result.sort(Comparator.comparing(RoleInfo::id));
        return result;
    }

    @Override
    public String backendName() {
        HypervisorBackend b = adopted;
        return b == null ? "none" : b.name();
    }

    @Override
    public Optional<QubeStats> stats(String name) {
        QubeRecord q = require(model, name);
        HypervisorBackend b = adopted;
        if (b == null || q.klass == QubeClass.AdminVM || stateOf(q) != PowerState.Running && stateOf(q) != PowerState.Paused) {
            return Optional.empty();
        }
        return backends.abilities(b).usage().flatMap(u -> u.stats(name));
    }

    @Override
    public String consoleLog(String name) {
        require(model, name);
        return backend().consoleLog(name);
    }

    // ---- changes to the model -----------------------------------------------------------------

    /** A change to a copy of the model; returns the event to fire once it is saved. */
    private interface Change {
        Runnable apply(Model copy);

        /** The copy, changed, without saving it or firing its event: to check a change before the host is touched. */
        default Model applyTo(Model copy) {
            apply(copy);
            return copy;
        }
    }

    private void change(Change change) {
        Runnable after;
        synchronized (modelLock) {
            Model copy = model.copy();
            after = change.apply(copy);
            PropertyRules.validate(copy);
            store.save(copy);
            model = copy;
        }
        after.run();
    }

    /** A change that creates the qube {@code name}: its volumes go again if the change is refused. */
    private void change(Change change, String name) {
        if (model.qubes.containsKey(name)) {
            throw new InvalidValueException("name", name, "a qube of that name already exists");
        }
        if (model.unreadableNames().contains(name)) {
            throw new InvalidValueException("name", name,
                    "the state file holds an unreadable qube of that name; fix or remove that entry first");
        }
        try {
            change(change);
        } catch (RuntimeException e) {
            deleteTree(qubeDir(name));
            throw e;
        }
    }

    private static QubeRecord require(Model m, String name) {
        QubeRecord q = m.qubes.get(name);
        if (q == null) {
            throw new NoSuchQubeException(name);
        }
        return q;
    }

    private static QubeRecord requireNotDom0(Model m, String name, String what) {
        QubeRecord q = require(m, name);
        if (q.klass == QubeClass.AdminVM) {
            throw new InvalidValueException("qube", name, "dom0 " + what);
        }
        return q;
    }

    @Override
    public Qube create(QubeSpec spec) {
        String name = QubeNames.validate(spec.name());
        if (spec.klass() == QubeClass.AdminVM) {
            throw new InvalidValueException("class", "AdminVM", "there is only one AdminVM, dom0");
        }
        change(m -> {
            if (m.qubes.containsKey(name)) {
                throw new InvalidValueException("name", name, "a qube of that name already exists");
            }
            QubeRecord q = new QubeRecord(name, freeQid(m), spec.klass(), Map.of(QubeProperty.LABEL.id(), spec.label().id()),
                    Map.of(), List.of());
            m.qubes.put(name, q);
            for (Map.Entry<String, String> e : spec.properties().entrySet()) {
                QubeProperty p = QubeProperty.parse(e.getKey());
                q.properties.put(p.id(), PropertyRules.parse(m, q, p, e.getValue()));
            }
            if (spec.klass() == QubeClass.AppVM && !q.properties.containsKey(QubeProperty.TEMPLATE.id())) {
                String template = m.global.getOrDefault(PropertyRules.DEFAULT_TEMPLATE, "");
                if (template.isEmpty()) {
                    throw new InvalidValueException("template", "", "an AppVM needs a template and no default_template is set");
                }
                q.properties.put(QubeProperty.TEMPLATE.id(), template);
            }
            return () -> events.fire(QubeEvent.DOMAIN_ADD, name);
        }, name);
        return get(name);
    }

    private static int freeQid(Model m) {
        java.util.Set<Integer> taken = new java.util.HashSet<>(m.unreadableQids());
        m.qubes.values().forEach(q -> taken.add(q.qid));
        boolean[] used = new boolean[taken.size() + 2];
        for (int qid : taken) {
            if (qid >= 0 && qid < used.length) {
                used[qid] = true;
            }
        }
        int qid = 1;
        while (used[qid]) {
            qid++;
        }
        return qid;
    }

    private Path qubeDir(String name) {
        return dataDir.resolve("qubes").resolve(name);
    }


    @Override
    public void remove(String name) {
        hostWork.run(() -> removeShielded(name));
    }

    private void removeShielded(String name) {
        lifecycle.lock();
        try {
            Change removal = m -> {
                QubeRecord q = requireNotDom0(m, name, "cannot be removed");
                if (isActive(name)) {
                    throw new InvalidStateException("'" + name + "' is " + stateOf(q) + "; shut it down before removing it");
                }
                List<String> users = new ArrayList<>();
                for (QubeRecord o : m.qubes.values()) {
                    for (QubeProperty p : List.of(QubeProperty.NETVM, QubeProperty.TEMPLATE, QubeProperty.DEFAULT_DISPVM)) {
                        if (o != q && name.equals(o.own(p.id()))) {
                            users.add(o.name + "." + p.id());
                        }
                    }
                }
                m.global.forEach((k, v) -> {
                    if (name.equals(v)) {
                        users.add("global " + k);
                    }
                });
                if (!users.isEmpty()) {
                    throw new InvalidStateException("'" + name + "' is still used by " + String.join(", ", users));
                }
                m.qubes.remove(name);
                for (QubeRecord o : m.qubes.values()) {
                    updatePreloaded(o, list -> list.remove(name));
                }
                return () -> events.fire(QubeEvent.DOMAIN_DELETE, name);
            };
            // the record goes only once the backend has let the domain go: refused first, then destroyed, then saved
            PropertyRules.validate(removal.applyTo(model.copy()));
            HypervisorBackend b = adopted;
            if (b != null) {
                b.destroy(name);
            }
            change(removal);
            deleteTree(qubeDir(name));
        } finally {
            lifecycle.unlock();
        }
    }

    @Override
    public Qube clone(String source, String target) {
        return hostWork.call(() -> cloneShielded(source, target));
    }

    private Qube cloneShielded(String source, String target) {
        String name = QubeNames.validate(target);
        Model before = model;
        QubeRecord src = requireNotDom0(before, source, "cannot be cloned");
        change(m -> {
            if (m.qubes.containsKey(name)) {
                throw new InvalidValueException("name", name, "a qube of that name already exists");
            }
            QubeRecord s = m.qubes.get(src.name);
            QubeRecord copy = new QubeRecord(name, freeQid(m), s.klass, s.properties, s.features, s.tags);
            copy.firewall = s.firewall;
            copy.volumes.putAll(s.volumes);
            copy.features.remove(PRELOADED);
            m.qubes.put(name, copy);
            for (String volume : List.of(VolumeSpec.ROOT, VolumeSpec.PRIVATE)) {
                if (VolumeRules.plan(m, s, volume, this::hasOwnRoot).kind() == VolumeRules.Kind.KEPT
                        && Files.exists(volumeRules.storage(s.name, volume))) {
                    VolumeStorage storage = abilities().volumes("cannot clone '" + src.name + "'");
                    VolumeSpec from = volumeRules.keptSpec(s, volume);
                    if (storage.exists(from)) {
                        storage.copy(from, volumeRules.keptSpec(copy, volume));
                    }
                }
            }
            return () -> events.fire(QubeEvent.DOMAIN_ADD, name);
        }, name);
        return get(name);
    }

    @Override
    public void setProperty(String name, String property, String value) {
        QubeProperty p = QubeProperty.parse(property);
        String[] relink = new String[1];
        String[] own = new String[2];
        change(m -> {
            QubeRecord q = requireNotDom0(m, name, "properties cannot be changed");
            String v = PropertyRules.parse(m, q, p, value);
            checkChange(m, q, p, v);
            String old = PropertyRules.effective(m, q, p).value();
            preEvents.check(QubeEvent.PROPERTY_PRE_SET + p.id(), name, Map.of("newvalue", v, "oldvalue", old));
            own[0] = q.properties.put(p.id(), v);
            own[1] = v;
            relink[0] = p == QubeProperty.NETVM && isActive(name) && !old.equals(v) ? old : null;
            return () -> events.fire(QubeEvent.PROPERTY_SET + p.id(), name, Map.of("newvalue", v, "oldvalue", old));
        });
        if (relink[0] != null) {
            relinkOrRestore(name, own[0], own[1]);
        }
    }

    @Override
    public void resetProperty(String name, String property) {
        QubeProperty p = QubeProperty.parse(property);
        boolean[] relink = new boolean[1];
        String[] ownBefore = new String[1];
        change(m -> {
            QubeRecord q = requireNotDom0(m, name, "properties cannot be changed");
            if (PropertyRules.READ_ONLY.contains(p) || !PropertyRules.applies(q.klass, p)) {
                throw new InvalidValueException("property", p.id(), "'" + p.id() + "' cannot be reset on " + q.klass + " '" + name + "'");
            }
            if (!p.defaultValue().resettable()) {
                throw new InvalidValueException("property", p.id(), "a qube always has a " + p.id() + " of its own");
            }
            String old = PropertyRules.effective(m, q, p).value();
            ownBefore[0] = q.properties.remove(p.id());
            String now = PropertyRules.effective(m, q, p).value();
            checkChange(m, q, p, now);
            preEvents.check(QubeEvent.PROPERTY_PRE_RESET + p.id(), name, Map.of("newvalue", now, "oldvalue", old));
            relink[0] = p == QubeProperty.NETVM && isActive(name) && !old.equals(now);
            return () -> events.fire(QubeEvent.PROPERTY_RESET + p.id(), name, Map.of("newvalue", now, "oldvalue", old));
        });
        if (relink[0]) {
            relinkOrRestore(name, ownBefore[0], null);
        }
    }

    /**
     * Moves a running qube to the netvm it was just given; should that fail (the netvm's role
     * refuses it, say), its previous netvm setting and link come back.
     *
     * @param ownBefore the qube's own netvm value before the change, {@code null} for the default
     * @param ownNow its own value the change saved, {@code null} for the default
     */
    private void relinkOrRestore(String name, String ownBefore, String ownNow) {
        String id = QubeProperty.NETVM.id();
        try {
            relink(name);
        } catch (RuntimeException e) {
            throw Rollback.refusal("cannot move '" + name + "' to its new netvm", e,
                    () -> restore(name, q -> java.util.Objects.equals(q.properties.get(id), ownNow), q -> {
                        if (ownBefore == null) {
                            q.properties.remove(id);
                        } else {
                            q.properties.put(id, ownBefore);
                        }
                    }, () -> events.fire(ownBefore == null ? QubeEvent.PROPERTY_RESET + id : QubeEvent.PROPERTY_SET + id, name,
                            Map.of("newvalue", ownBefore == null ? "" : ownBefore, "reason", "new netvm refused"))),
                    () -> relink(name), "it is back on its previous netvm");
        }
    }

    /** Rules that depend on the running state, checked before the whole model is validated. */
    private void checkChange(Model m, QubeRecord q, QubeProperty p, String v) {
        if (!p.changesWhileRunning() && isActive(q.name)) {
            throw new InvalidStateException("the " + p.id() + " of '" + q.name + "' can change only while it is halted");
        }
        if (p == QubeProperty.PROVIDES_NETWORK && "False".equals(v)) {
            List<String> clients = PropertyRules.clientsOf(m, q.name);
            if (!clients.isEmpty()) {
                throw new InvalidStateException("cannot turn off provides_network of '" + q.name
                        + "': it is the netvm of " + String.join(", ", clients));
            }
        }
        if (p == QubeProperty.NETVM) {
            requireNotStarting(q.name, "moved to another netvm");
        }
        if (p == QubeProperty.NETVM && isActive(q.name) && !v.isEmpty()) {
            abilities().links("cannot give running '" + q.name + "' netvm '" + v + "'");
        }
        if (p == QubeProperty.NETVM && isActive(q.name) && !v.isEmpty() && !isActive(v)) {
            throw new InvalidStateException("'" + q.name + "' is running, so its new netvm '" + v + "' must be running too");
        }
    }

    @Override
    public void setFeature(String name, String key, String value) {
        FeatureRules.checkSet(key, value);
        change(m -> {
            QubeRecord q = require(m, name);
            checkRoleChange(q, key);
            String old = q.features.get(key);
            preEvents.check(QubeEvent.FEATURE_PRE_SET + key, name, old == null ? Map.of("value", value) : Map.of("value", value, "oldvalue", old));
            q.features.put(key, value);
            return () -> events.fire(QubeEvent.FEATURE_SET + key, name, Map.of("value", value));
        });
        if (PRELOAD_MAX.equals(key)) {
            worker.execute(this::refillPreloaded);
        }
    }

    @Override
    public void removeFeature(String name, String key) {
        FeatureRules.checkRemove(key);
        change(m -> {
            QubeRecord q = require(m, name);
            if (!q.features.containsKey(key)) {
                throw new InvalidValueException("feature", key, "'" + name + "' has no such feature");
            }
            checkRoleChange(q, key);
            preEvents.check(QubeEvent.FEATURE_PRE_DELETE + key, name, Map.of("oldvalue", q.features.get(key)));
            q.features.remove(key);
            return () -> events.fire(QubeEvent.FEATURE_DELETE + key, name);
        });
        if (PRELOAD_MAX.equals(key)) {
            worker.execute(this::refillPreloaded);
        }
    }

    private void checkRoleChange(QubeRecord q, String key) {
        FeatureRules.checkRunning(q.name, key, isActive(q.name));
    }

    @Override
    public void addTag(String name, String tag) {
        if (tag == null || !TAG.matcher(tag).matches()) {
            throw new InvalidValueException("tag", String.valueOf(tag), "1 to 64 letters, digits, '_' or '-'");
        }
        change(m -> {
            require(m, name).tags.add(tag);
            return () -> events.fire(QubeEvent.TAG_ADD + tag, name);
        });
    }

    @Override
    public void removeTag(String name, String tag) {
        change(m -> {
            if (!require(m, name).tags.remove(tag)) {
                throw new InvalidValueException("tag", tag, "'" + name + "' has no such tag");
            }
            return () -> events.fire(QubeEvent.TAG_DELETE + tag, name);
        });
    }

    @Override
    public void setGlobalProperty(String property, String value) {
        if (!PropertyRules.GLOBAL.contains(property)) {
            throw new InvalidValueException("global property", property, "one of " + String.join(", ", PropertyRules.GLOBAL));
        }
        change(m -> {
            String v = PropertyRules.parseQubeRef(m, property, value == null ? "" : value);
            m.global.put(property, v);
            return () -> events.fire(QubeEvent.GLOBAL_PROPERTY_SET + property, DOM0, Map.of("newvalue", v));
        });
    }

    @Override
    public List<FirewallRule> firewallRules(String name) {
        Instant now = Instant.now();
        return require(model, name).firewallRules().stream().filter(r -> !r.isExpired(now)).toList();
    }

    @Override
    public void setFirewallRules(String name, List<FirewallRule> rules) {
        checkRules(rules);
        List<FirewallRule> given = List.copyOf(rules);
        editFirewallRules(name, current -> given);
    }

    private static void checkRules(List<FirewallRule> rules) {
        if (rules == null || rules.stream().anyMatch(java.util.Objects::isNull)) {
            throw new InvalidValueException("firewall", String.valueOf(rules), "a list of rules");
        }
    }

    @Override
    public void editFirewallRules(String name, java.util.function.UnaryOperator<List<FirewallRule>> edit) {
        List<List<FirewallRule>> before = new ArrayList<>(1);
        List<List<FirewallRule>> after = new ArrayList<>(1);
        change(m -> {
            // read and written under the model's lock: no other change of these rules comes between
            QubeRecord q = requireNotDom0(m, name, "has no firewall");
            Instant now = Instant.now();
            List<FirewallRule> current = q.firewallRules().stream().filter(r -> !r.isExpired(now)).toList();
            List<FirewallRule> rules = edit.apply(current);
            checkRules(rules);
            before.add(q.firewall);
            after.add(List.copyOf(rules));
            q.firewall = after.get(0);
            return () -> events.fire(QubeEvent.FIREWALL_CHANGED, name, Map.of("rules", Integer.toString(rules.size())));
        });
        List<FirewallRule> saved = after.get(0);
        try {
            clientChanged(name);
        } catch (RuntimeException e) {
            throw Rollback.refusal("cannot put the firewall rules of '" + name + "' in force", e,
                    () -> restore(name, q -> saved.equals(q.firewall), q -> q.firewall = before.get(0),
                            () -> events.fire(QubeEvent.FIREWALL_CHANGED, name, Map.of("reason", "new rules refused"))),
                    () -> clientChanged(name), "its previous rules are back");
        }
    }

    /**
     * Undoes a saved change of a qube in a new change, if {@code unchanged} still holds; says whether it did.
     */
    private boolean restore(String name, java.util.function.Predicate<QubeRecord> unchanged, java.util.function.Consumer<QubeRecord> undo,
            Runnable event) {
        boolean[] restored = new boolean[1];
        change(m -> {
            QubeRecord q = m.qubes.get(name);
            restored[0] = q != null && unchanged.test(q);
            if (!restored[0]) {
                return () -> { };
            }
            undo.accept(q);
            return event;
        });
        return restored[0];
    }

    @Override
    public List<String> firewallProblems(String name) {
        require(model, name);
        LinkEndpoint endpoint = links.get(name);
        QubeRole role = endpoint == null ? null : roleOf(model.qubes.get(endpoint.link().netvm()));
        return role == null ? List.of() : List.copyOf(role.clientProblems(roleContext(endpoint.link().netvm()), endpoint));
    }

    /** Tells the role of a qube's netvm that something deciding the qube's traffic changed. */
    private void clientChanged(String client) {
        LinkEndpoint endpoint = links.get(client);
        if (endpoint == null) {
            return;
        }
        QubeRole role = roleOf(model.qubes.get(endpoint.link().netvm()));
        if (role != null) {
            role.clientChanged(roleContext(endpoint.link().netvm()), endpoint);
        }
    }

    /** Expired rules leave the stored list, and the netvm of their qube hears of it. */
    void pruneExpiredRules() {
        Instant now = Instant.now();
        List<String> changed = model.qubes.values().stream()
                .filter(q -> q.firewall != null && q.firewall.stream().anyMatch(r -> r.isExpired(now)))
                .map(q -> q.name).toList();
        for (String name : changed) {
            try {
                change(m -> {
                    QubeRecord q = m.qubes.get(name);
                    if (q != null && q.firewall != null) {
                        q.firewall = q.firewall.stream().filter(r -> !r.isExpired(now)).toList();
                    }
                    return () -> events.fire(QubeEvent.FIREWALL_CHANGED, name, Map.of("reason", "expired rules removed"));
                });
                clientChanged(name);
            } catch (AdminException e) {
                LOG.log(Level.WARNING, "cannot remove expired firewall rules of " + name + ": " + e.getMessage());
            }
        }
    }

    // ---- lifecycle ----------------------------------------------------------------------------

    private HypervisorBackend backend() {
        HypervisorBackend b = adopted;
        if (b == null) {
            return backends.require(config.backend());
        }
        return b;
    }

    /** What the backend in use can do beyond running domains. */
    private BackendAbilities abilities() {
        return backends.abilities(backend());
    }

    private Duration defaultTimeout() {
        return Duration.ofSeconds(config.shutdown_timeout());
    }

    @Override
    public void start(String name) {
        hostWork.run(() -> startShielded(name));
    }

    private void startShielded(String name) {
        lifecycle.lock();
        try {
            Model m = model;
            QubeRecord q = requireNotDom0(m, name, "is always running");
            if (isActive(name)) {
                syncStates();
            }
            if (isActive(name)) {
                throw new InvalidStateException("'" + name + "' is already " + stateOf(q));
            }
            List<String> chain = new ArrayList<>();
            for (String hop = PropertyRules.netvm(m, q); !hop.isEmpty(); hop = PropertyRules.netvm(m, m.qubes.get(hop))) {
                chain.add(0, hop);
            }
            if (!chain.isEmpty()) {
                abilities().links("cannot start '" + name + "' with netvm '" + chain.get(chain.size() - 1) + "'");
            }
            for (String hop : chain) {
                if (!isActive(hop)) {
                    startOne(m, m.qubes.get(hop));
                }
            }
            // the start of a netvm lets the lifecycle lock go while its role takes clients on: the qube may
            // have been started, changed or removed meanwhile, so it is read again
            m = model;
            q = requireNotDom0(m, name, "is always running");
            if (isActive(name)) {
                throw new InvalidStateException("'" + name + "' is already " + stateOf(q));
            }
            String netvm = PropertyRules.netvm(m, q);
            if (!netvm.isEmpty() && !isActive(netvm)) {
                throw new InvalidStateException("cannot start '" + name + "': its netvm became '" + netvm
                        + "', which is not running, while its start was under way");
            }
            startOne(m, q);
        } finally {
            lifecycle.unlock();
        }
    }

    private void startOne(Model m, QubeRecord q) {
        HypervisorBackend b = backend();
        String roleId = q.features.get(QubeRole.ROLE_FEATURE);
        QubeRole role = roleId == null ? null : roles.get(roleId);
        if (roleId != null && role == null) {
            throw new InvalidStateException("cannot start '" + q.name + "': its role '" + roleId + "' is not installed");
        }
        try {
            preEvents.check(QubeEvent.DOMAIN_PRE_START, q.name, Map.of());
        } catch (EventVetoedException e) {
            discardIfDisposable(q.name);
            throw e;
        }
        events.fire(QubeEvent.DOMAIN_PRE_START, q.name);
        runtime.put(q.name, PowerState.Transient);
        boolean started = false;
        try {
            b.start(domainSpec(m, q));
            started = true;
            // still Transient while its netvm's role takes it on without the lifecycle lock: nobody kills or moves it meanwhile
            attach(m, q, true);
            runtime.put(q.name, PowerState.Running);
            if (role != null) {
                role.started(roleContext(q.name));
            }
        } catch (RuntimeException e) {
            links.remove(q.name);
            if (started) {
                try {
                    b.kill(q.name);
                } catch (RuntimeException k) {
                    LOG.log(Level.ERROR, "cannot kill " + q.name + " after its start failed", k);
                }
            }
            recordActualState(b, q.name);
            events.fire(QubeEvent.DOMAIN_START_FAILED, q.name, Map.of("reason", String.valueOf(e.getMessage())));
            discardIfDisposable(q.name);
            throw new AdminException("cannot start '" + q.name + "': " + e.getMessage(), e);
        }
        reattachClients(q.name);
        // a kill or shutdown while its role took its clients back without the lifecycle lock has already stopped it
        if (runtime.get(q.name) != PowerState.Running && runtime.get(q.name) != PowerState.Paused) {
            throw new AdminException("cannot start '" + q.name + "': it stopped while it took its clients back");
        }
        events.fire(QubeEvent.DOMAIN_START, q.name);
    }

    private DomainSpec domainSpec(Model m, QubeRecord q) {
        return new DomainSpec(q.name, q.qid, q.klass,
                Integer.parseInt(PropertyRules.effective(m, q, QubeProperty.MEMORY).value()),
                Integer.parseInt(PropertyRules.effective(m, q, QubeProperty.MAXMEM).value()),
                Integer.parseInt(PropertyRules.effective(m, q, QubeProperty.VCPUS).value()),
                PropertyRules.effective(m, q, QubeProperty.KERNELOPTS).value(),
                PropertyRules.providesNetwork(m, q), volumeSpecs(m, q));
    }

    private List<VolumeSpec> volumeSpecs(Model m, QubeRecord q) {
        List<VolumeSpec> volumes = new ArrayList<>();
        for (String volume : VolumeRules.NAMES) {
            VolumeSpec spec = volumeRules.spec(q, VolumeRules.plan(m, q, volume, this::hasOwnRoot));
            if (spec != null) {
                volumes.add(spec);
            }
        }
        return volumes;
    }

    /** Whether a template or standalone qube has a root of its own, rather than the backend's built-in one. */
    private boolean hasOwnRoot(QubeRecord q) {
        HypervisorBackend b = adopted;
        if (b == null || (q.klass != QubeClass.TemplateVM && q.klass != QubeClass.StandaloneVM)) {
            return false;
        }
        try {
            return backends.abilities(b).volumes().map(v -> v.exists(volumeRules.keptSpec(q, VolumeSpec.ROOT))).orElse(false);
        } catch (AdminException e) {
            return false;
        }
    }

    private static LinkSpec linkSpec(Model m, QubeRecord client, QubeRecord netvm) {
        return new LinkSpec(client.name, client.qid, netvm.name, Addressing.address(client.qid, client.klass),
                Addressing.address(netvm.qid, netvm.klass));
    }

    /** Links a running qube to its netvm, if it has one that runs, and tells the netvm's role. */
    private void attach(Model m, QubeRecord client) {
        attach(m, client, false);
    }

    /**
     * Links a qube to its netvm, if it has one that runs and is not itself starting (whose start then
     * links its clients), and tells the netvm's role.
     *
     * @param starting whether the client is shown as Transient (starting, or being taken on by a
     *     netvm): the role is then told without the lifecycle lock, and the link must still be there
     *     afterwards, or the netvm stopped meanwhile and this fails
     */
    private void attach(Model m, QubeRecord client, boolean starting) {
        String netvm = PropertyRules.netvm(m, client);
        if (netvm.isEmpty() || !isActive(netvm) || runtime.get(netvm) == PowerState.Transient) {
            return;
        }
        DomainLinking b = abilities().links("cannot link '" + client.name + "' to netvm '" + netvm + "'");
        LinkEndpoint endpoint = b.connect(linkSpec(m, client, m.qubes.get(netvm)));
        links.put(client.name, endpoint);
        QubeRole role = roleOf(m.qubes.get(netvm));
        if (role == null) {
            return;
        }
        try {
            if (starting) {
                serviceCalls.call(netvm, () -> role.clientAttached(roleContext(netvm), endpoint));
                if (links.get(client.name) != endpoint) {
                    throw new InvalidStateException("'" + netvm + "' stopped while it took '" + client.name + "' on");
                }
            } else {
                role.clientAttached(roleContext(netvm), endpoint);
            }
        } catch (RuntimeException e) {
            if (links.remove(client.name, endpoint)) {
                b.disconnect(endpoint.link());
            }
            throw e;
        }
    }

    /**
     * Unlinks a qube from its netvm and tells the netvm's role.
     *
     * @param stopping whether the qube is shown as Halting or Transient (being stopped or moved):
     *     the role is then told without the lifecycle lock, the link being down already
     */
    private void detach(String client, boolean stopping) {
        LinkEndpoint endpoint = links.remove(client);
        if (endpoint == null) {
            return;
        }
        abilities().links("cannot unlink '" + client + "'").disconnect(endpoint.link());
        String netvm = endpoint.link().netvm();
        QubeRole role = roleOf(model.qubes.get(netvm));
        if (role != null) {
            try {
                if (stopping) {
                    serviceCalls.call(netvm, () -> role.clientDetached(roleContext(netvm), endpoint));
                } else {
                    role.clientDetached(roleContext(netvm), endpoint);
                }
            } catch (RuntimeException e) {
                LOG.log(Level.WARNING, "role " + role.id() + " failed to detach " + client, e);
            }
        }
    }

    /**
     * When a netvm (re)starts, its running clients get their links back. Its role takes each on
     * without the lifecycle lock, so each check is made again on the model as it is now; the client
     * is shown as Transient meanwhile, which keeps it from being killed, stopped or moved until its
     * netvm has taken it on.
     */
    private void reattachClients(String netvm) {
        for (String client : PropertyRules.clientsOf(model, netvm)) {
            Model m = model;
            PowerState before = runtime.get(client);
            boolean netvmUp = runtime.get(netvm) == PowerState.Running || runtime.get(netvm) == PowerState.Paused;
            // a client still starting or stopping is left to that; one linked meanwhile is already taken on
            if (!netvmUp || (before != PowerState.Running && before != PowerState.Paused) || links.containsKey(client)
                    || !netvm.equals(PropertyRules.netvm(m, m.qubes.get(client)))) {
                continue;
            }
            runtime.put(client, PowerState.Transient);
            try {
                attach(m, m.qubes.get(client), true);
            } catch (RuntimeException e) {
                LOG.log(Level.WARNING, "cannot reattach " + client + " to " + netvm + ": " + e.getMessage());
            } finally {
                runtime.replace(client, PowerState.Transient, before);
            }
        }
    }

    /**
     * Moves a running qube's link to its netvm as it is now set. The new netvm's role takes it on
     * without the lifecycle lock; the qube is Transient meanwhile, so it is neither killed, stopped
     * nor moved again before that ends.
     */
    private void relink(String name) {
        hostWork.run(() -> {
            lifecycle.lock();
            try {
                PowerState before = runtime.get(name);
                if (before == PowerState.Halting) {
                    // its link is down already; its next start links it to the netvm now set
                    return;
                }
                if (before != PowerState.Running && before != PowerState.Paused) {
                    detach(name, false);
                    attach(model, model.qubes.get(name));
                    return;
                }
                runtime.put(name, PowerState.Transient);
                try {
                    detach(name, true);
                    attach(model, model.qubes.get(name), true);
                } finally {
                    runtime.replace(name, PowerState.Transient, before);
                }
            } finally {
                lifecycle.unlock();
            }
        });
    }

    private QubeRole roleOf(QubeRecord q) {
        String id = q == null ? null : q.features.get(QubeRole.ROLE_FEATURE);
        return id == null ? null : roles.get(id);
    }

    private RoleContext roleContext(String name) {
        return new RoleContext() {
            @Override
            public Qube qube() {
                return get(name);
            }

            @Override
            public ExecResult exec(List<String> command, byte[] stdin, Duration timeout) {
                // a role configures its qube with commands: none may be cut off halfway
                return hostWork.call(() -> backend().exec(name, command, stdin, timeout));
            }

            @Override
            public List<LinkEndpoint> clients() {
                return links.values().stream().filter(l -> l.link().netvm().equals(name)).toList();
            }

            @Override
            public List<FirewallRule> firewallRules(String client) {
                return QubeAdminService.this.firewallRules(client);
            }

            @Override
            public void attachUplink(UplinkSpec uplink) {
                hostWork.run(() -> abilities().uplinks("cannot give '" + name + "' an uplink").attachUplink(name, uplink));
            }

            @Override
            public void detachUplink(UplinkSpec uplink) {
                hostWork.run(() -> abilities().uplinks("cannot take the uplink of '" + name + "' away").detachUplink(name, uplink));
            }
        };
    }

    @Override
    public void shutdown(String name, boolean force, boolean wait, Duration timeout) {
        hostWork.run(() -> shutdownShielded(name, force, wait, timeout));
    }

    private void shutdownShielded(String name, boolean force, boolean wait, Duration timeout) {
        Duration grace = timeout == null ? defaultTimeout() : timeout;
        HypervisorBackend b;
        lifecycle.lock();
        try {
            QubeRecord q = requireNotDom0(model, name, "cannot be shut down");
            PowerState state = stateOf(q);
            if (state != PowerState.Running && state != PowerState.Paused) {
                throw new InvalidStateException("'" + name + "' is " + state + ", not running");
            }
            List<String> running = PropertyRules.clientsOf(model, name).stream().filter(this::isActive).toList();
            if (!running.isEmpty() && !force) {
                throw new InvalidStateException("'" + name + "' is the netvm of running qubes " + String.join(", ", running)
                        + "; shut them down first or use --force");
            }
            b = backend();
            preEvents.check(QubeEvent.DOMAIN_PRE_SHUTDOWN, name, Map.of());
            events.fire(QubeEvent.DOMAIN_PRE_SHUTDOWN, name);
            if (state == PowerState.Paused) {
                b.unpause(name);
            }
            runtime.put(name, PowerState.Halting);
            stopLinks(q, running);
        } finally {
            lifecycle.unlock();
        }
        Runnable finish = () -> {
            try {
                b.shutdown(name, grace);
            } catch (RuntimeException e) {
                lifecycle.lock();
                try {
                    if (recordActualState(b, name)) {
                        throw e;
                    }
                } finally {
                    lifecycle.unlock();
                }
            }
            runtime.remove(name);
            events.fire(QubeEvent.DOMAIN_SHUTDOWN, name);
            discardIfDisposable(name);
        };
        if (wait) {
            finish.run();
        } else {
            worker.execute(() -> hostWork.run(finish));
        }
    }

    /**
     * Cuts a stopping qube's clients off it, tells its role, and unlinks it from its own netvm, whose
     * role is told without the lifecycle lock: the caller shows the qube as Halting, and checks
     * afterwards whether it still is.
     */
    private void stopLinks(QubeRecord q, List<String> runningClients) {
        runningClients.forEach(client -> detach(client, false));
        QubeRole role = roleOf(q);
        if (role != null) {
            try {
                role.stopping(roleContext(q.name));
            } catch (RuntimeException e) {
                LOG.log(Level.WARNING, "role " + role.id() + " failed while " + q.name + " stopped", e);
            }
        }
        detach(q.name, true);
    }

    @Override
    public void kill(String name) {
        hostWork.run(() -> killShielded(name));
    }

    private void killShielded(String name) {
        lifecycle.lock();
        try {
            QubeRecord q = requireNotDom0(model, name, "cannot be killed");
            if (!isActive(name)) {
                throw new InvalidStateException("'" + name + "' is not running");
            }
            requireNotStarting(name, "killed");
            killLocked(q.name);
        } finally {
            lifecycle.unlock();
        }
    }

    /** A qube whose start is under way is left to that start, which ends with it running or stopped. */
    private void requireNotStarting(String name, String what) {
        if (runtime.get(name) == PowerState.Transient) {
            throw new InvalidStateException("'" + name + "' is starting; it can be " + what + " once its start has ended");
        }
    }

    private void killLocked(String name) {
        QubeRecord q = model.qubes.get(name);
        List<String> running = PropertyRules.clientsOf(model, name).stream().filter(this::isActive).toList();
        runtime.put(name, PowerState.Halting);
        stopLinks(q, running);
        if (runtime.get(name) != PowerState.Halting) {
            // another kill ended the stop while its netvm's role forgot it
            return;
        }
        HypervisorBackend b = backend();
        try {
            b.kill(name);
        } catch (RuntimeException e) {
            if (recordActualState(b, name)) {
                throw e;
            }
            LOG.log(Level.WARNING, "killing " + name + " failed, but it stopped: " + e.getMessage());
        }
        runtime.remove(name);
        events.fire(QubeEvent.DOMAIN_SHUTDOWN, name);
        discardIfDisposable(name);
    }

    /**
     * After a failed backend call, records what the backend reports of the domain rather than what
     * the call meant to do; a domain whose state cannot be read is taken as still there, for the
     * watcher to look at again.
     *
     * @return whether the domain is still active
     */
    private boolean recordActualState(HypervisorBackend b, String name) {
        PowerState actual;
        try {
            actual = b.state(name);
        } catch (RuntimeException e) {
            LOG.log(Level.WARNING, "cannot read the state of " + name + ": " + e.getMessage());
            runtime.putIfAbsent(name, PowerState.NA);
            return true;
        }
        if (actual.isActive()) {
            runtime.put(name, actual);
            return true;
        }
        runtime.remove(name);
        return false;
    }

    @Override
    public void pause(String name) {
        freezeTransition(name, PowerState.Running, PowerState.Paused, () -> backend().pause(name), QubeEvent.DOMAIN_PAUSED);
    }

    @Override
    public void unpause(String name) {
        freezeTransition(name, PowerState.Paused, PowerState.Running, () -> backend().unpause(name), QubeEvent.DOMAIN_UNPAUSED);
    }

    private void freezeTransition(String name, PowerState from, PowerState to, Runnable backendCall, String event) {
        hostWork.run(() -> freezeShielded(name, from, to, backendCall, event));
    }

    private void freezeShielded(String name, PowerState from, PowerState to, Runnable backendCall, String event) {
        lifecycle.lock();
        try {
            QubeRecord q = requireNotDom0(model, name, "cannot be paused");
            if (stateOf(q) != from) {
                throw new InvalidStateException("'" + name + "' is " + stateOf(q) + ", not " + from);
            }
            try {
                backendCall.run();
            } catch (RuntimeException e) {
                recordActualState(backend(), name);
                throw e;
            }
            runtime.put(name, to);
        } finally {
            lifecycle.unlock();
        }
        events.fire(event, name);
    }

    @Override
    public void restart(String name, Duration timeout) {
        shutdown(name, false, true, timeout);
        start(name);
    }

    @Override
    public ExecResult run(String name, List<String> command, byte[] stdin, Duration timeout) {
        if (command == null || command.isEmpty()) {
            throw new InvalidValueException("command", "", "a command to run is required");
        }
        QubeRecord q = requireNotDom0(model, name, "runs no commands through qvm-run");
        PowerState state = stateOf(q);
        if (state == PowerState.Halted) {
            start(name);
        } else if (state != PowerState.Running) {
            throw new InvalidStateException("'" + name + "' is " + state + "; it must be running to run a command");
        }
        return backend().exec(name, command, stdin == null ? new byte[0] : stdin, timeout == null ? Duration.ofMinutes(10) : timeout);
    }

    // ---- volumes ------------------------------------------------------------------------------

    @Override
    public List<VolumeInfo> volumes(String name) {
        Model m = model;
        QubeRecord q = require(m, name);
        if (q.klass == QubeClass.AdminVM) {
            return List.of();
        }
        List<VolumeInfo> all = new ArrayList<>();
        for (String volume : VolumeRules.NAMES) {
            all.add(volumeInfo(m, q, volume));
        }
        return all;
    }

    @Override
    public VolumeInfo volume(String name, String volume) {
        Model m = model;
        QubeRecord q = requireNotDom0(m, name, "has no volumes");
        return volumeInfo(m, q, VolumeRules.requireName(volume));
    }

    private VolumeInfo volumeInfo(Model m, QubeRecord q, String volume) {
        VolumeRules.Plan plan = VolumeRules.plan(m, q, volume, this::hasOwnRoot);
        String pool = backendName();
        long size = VolumeRules.size(plan.owner(), volume);
        String origin = plan.owner().name + ":" + volume;
        switch (plan.kind()) {
            case KEPT -> {
                VolumeSpec spec = volumeRules.keptSpec(q, volume);
                VolumeStorage storage = storageIfAny();
                boolean stored = storage != null && Files.isDirectory(spec.source());
                return new VolumeInfo(q.name, volume, pool, spec.source().toString(), true, "", true, false, size,
                        stored ? storage.usage(spec) : 0, spec.revisionsToKeep(), stored ? storage.revisions(spec) : List.of());
            }
            case SNAPSHOT -> {
                return new VolumeInfo(q.name, volume, pool, "", true, origin, false, true, size, 0, 0, List.of());
            }
            case FRESH -> {
                return new VolumeInfo(q.name, volume, pool, "", true, "", false, false, size, 0, 0, List.of());
            }
            default -> {
                // the backend's built-in root: read-only, no storage of the qube's own
                return new VolumeInfo(q.name, volume, pool, "", false, plan.owner() == q ? "" : origin, false, false, 0, 0, 0,
                        List.of());
            }
        }
    }

    private VolumeStorage storageIfAny() {
        HypervisorBackend b = adopted;
        return b == null ? null : backends.abilities(b).volumes().orElse(null);
    }

    /** The plan of a volume the qube keeps itself; refused, naming where the volume comes from, otherwise. */
    private QubeRecord requireKeptVolume(Model m, String name, String volume, String what) {
        QubeRecord q = requireNotDom0(m, name, "has no volumes");
        VolumeRules.Plan plan = VolumeRules.plan(m, q, VolumeRules.requireName(volume), this::hasOwnRoot);
        if (plan.kind() != VolumeRules.Kind.KEPT) {
            String why = switch (plan.kind()) {
                case SNAPSHOT -> "it starts afresh from " + plan.owner().name + ":" + volume + " at each start";
                case FRESH -> "it is volatile: empty at each start";
                default -> "it is the backend's built-in root";
            };
            throw new InvalidValueException("volume", name + ":" + volume, "cannot " + what + ": " + why);
        }
        return q;
    }

    @Override
    public void revertVolume(String name, String volume, String revision) {
        hostWork.run(() -> revertVolumeShielded(name, volume, revision));
    }

    private void revertVolumeShielded(String name, String volume, String revision) {
        lifecycle.lock();
        try {
            QubeRecord q = requireKeptVolume(model, name, volume, "be reverted");
            if (isActive(name)) {
                throw new InvalidStateException("'" + name + "' is " + stateOf(q) + "; shut it down before reverting " + name + ":" + volume);
            }
            abilities().volumes("cannot revert " + name + ":" + volume).revert(volumeRules.keptSpec(q, volume), revision);
        } finally {
            lifecycle.unlock();
        }
        events.fire(QubeEvent.VOLUME_REVERT + volume, name, Map.of("revision", revision == null ? "latest" : revision));
    }

    @Override
    public void resizeVolume(String name, String volume, long sizeBytes) {
        hostWork.run(() -> resizeVolumeShielded(name, volume, sizeBytes));
    }

    private void resizeVolumeShielded(String name, String volume, long sizeBytes) {
        lifecycle.lock();
        try {
            Model m = model;
            QubeRecord q = requireNotDom0(m, name, "has no volumes");
            VolumeRules.Plan plan = VolumeRules.plan(m, q, VolumeRules.requireName(volume), this::hasOwnRoot);
            if (plan.kind() == VolumeRules.Kind.SNAPSHOT || plan.kind() == VolumeRules.Kind.BUILTIN) {
                throw new InvalidValueException("volume", name + ":" + volume, plan.kind() == VolumeRules.Kind.SNAPSHOT
                        ? "its size is that of " + plan.owner().name + ":" + volume + "; resize that one"
                        : "the backend's built-in root has no size to change");
            }
            long present = VolumeRules.size(q, volume);
            if (sizeBytes < present) {
                throw new InvalidValueException("size of " + name + ":" + volume, Long.toString(sizeBytes),
                        "at least its present size " + present + ": volumes only grow, as in Qubes");
            }
            if (plan.kind() == VolumeRules.Kind.KEPT && Files.exists(volumeRules.storage(name, volume))) {
                VolumeStorage storage = abilities().volumes("cannot resize " + name + ":" + volume);
                VolumeSpec spec = volumeRules.keptSpec(q, volume);
                if (storage.exists(spec)) {
                    storage.resize(name, spec, sizeBytes);
                }
            }
            change(c -> {
                QubeRecord r = c.qubes.get(name);
                r.volumes.put(volume, r.volume(volume).withSize(sizeBytes));
                return () -> events.fire(QubeEvent.VOLUME_RESIZE + volume, name, Map.of("size", Long.toString(sizeBytes)));
            });
        } finally {
            lifecycle.unlock();
        }
    }

    @Override
    public void setVolumeRevisionsToKeep(String name, String volume, int revisions) {
        if (revisions < 0 || revisions > VolumeRules.MAX_REVISIONS) {
            throw new InvalidValueException("revisions_to_keep", Integer.toString(revisions), "a number from 0 to " + VolumeRules.MAX_REVISIONS);
        }
        change(m -> {
            QubeRecord q = requireKeptVolume(m, name, volume, "keep revisions");
            q.volumes.put(volume, q.volume(volume).withRevisionsToKeep(revisions));
            return () -> events.fire(QubeEvent.VOLUME_CONFIG + volume, name, Map.of("revisions_to_keep", Integer.toString(revisions)));
        });
    }

    @Override
    public void importVolume(String name, String volume, Path content) {
        hostWork.run(() -> importVolumeShielded(name, volume, content));
    }

    private void importVolumeShielded(String name, String volume, Path content) {
        lifecycle.lock();
        try {
            QubeRecord q = requireNotDom0(model, name, "has no volumes");
            VolumeRules.requireName(volume);
            boolean keeps = volume.equals(VolumeSpec.ROOT) ? q.klass == QubeClass.TemplateVM || q.klass == QubeClass.StandaloneVM
                    : volume.equals(VolumeSpec.PRIVATE) && q.klass != QubeClass.DispVM;
            if (!keeps) {
                throw new InvalidValueException("volume", name + ":" + volume, "only a volume the qube keeps itself can be imported"
                        + " (the root of a TemplateVM or StandaloneVM, the private volume of any qube but a DispVM)");
            }
            if (isActive(name)) {
                throw new InvalidStateException("'" + name + "' is " + stateOf(q) + "; shut it down before importing " + name + ":" + volume);
            }
            abilities().volumes("cannot import " + name + ":" + volume).importContent(volumeRules.keptSpec(q, volume), content);
        } finally {
            lifecycle.unlock();
        }
        events.fire(QubeEvent.VOLUME_IMPORT + volume, name);
    }

    // ---- disposables --------------------------------------------------------------------------

    @Override
    public Qube createDisposable(String dispvmTemplate) {
        return hostWork.call(() -> createDisposableShielded(dispvmTemplate));
    }

    private Qube createDisposableShielded(String dispvmTemplate) {
        String template = dispvmTemplate(dispvmTemplate);
        Qube ready = takePreloaded(template);
        if (ready != null) {
            // starting the next one at once would compete with the one just handed out, on the same lock and CPUs
            worker.schedule(this::refillPreloaded, REFILL_DELAY_MS, TimeUnit.MILLISECONDS);
            return ready;
        }
        String name = newDisposable(template);
        start(name);
        return get(name);
    }

    @Override
    public ExecResult runDisposable(String dispvmTemplate, List<String> command, byte[] stdin, Duration timeout) {
        if (command == null || command.isEmpty()) {
            throw new InvalidValueException("command", "", "a command to run is required");
        }
        String name = createDisposable(dispvmTemplate).name();
        try {
            return backend().exec(name, command, stdin == null ? new byte[0] : stdin, timeout == null ? Duration.ofMinutes(10) : timeout);
        } finally {
            try {
                kill(name);
            } catch (AdminException e) {
                // it stopped by itself meanwhile; it goes all the same
                discardIfDisposable(name);
            }
        }
    }

    /** The disposable template asked for, or the global default; refused unless it is an AppVM with template_for_dispvms=True. */
    private String dispvmTemplate(String asked) {
        Model m = model;
        String template = asked == null || asked.isBlank() ? m.global.getOrDefault(PropertyRules.DEFAULT_DISPVM, "") : asked;
        if (template.isEmpty()) {
            throw new InvalidValueException("default_dispvm", "", "no disposable template was given and the global default_dispvm"
                    + " is not set; name one, or set it with qvm:globalprefs default_dispvm");
        }
        QubeRecord t = m.qubes.get(template);
        if (t == null || !PropertyRules.isDispvmTemplate(m, t)) {
            throw new InvalidValueException("disposable template", template, "an AppVM with template_for_dispvms=True");
        }
        return template;
    }

    /** Adds {@code disp<N>}, a DispVM of the template that goes when it stops; N is free and random, as Qubes' dispid. */
    private String newDisposable(String template) {
        String[] made = new String[1];
        change(m -> {
            QubeRecord t = m.qubes.get(template);
            if (t == null || !PropertyRules.isDispvmTemplate(m, t)) {
                throw new InvalidValueException("disposable template", template, "an AppVM with template_for_dispvms=True");
            }
            String name = freeDisposableName(m);
            QubeRecord d = new QubeRecord(name, freeQid(m), QubeClass.DispVM,
                    Map.of(QubeProperty.LABEL.id(), PropertyRules.effective(m, t, QubeProperty.LABEL).value(),
                            QubeProperty.TEMPLATE.id(), template, QubeProperty.AUTO_CLEANUP.id(), "True"),
                    Map.of(), List.of());
            m.qubes.put(name, d);
            made[0] = name;
            return () -> events.fire(QubeEvent.DOMAIN_ADD, name, Map.of("template", template));
        });
        return made[0];
    }

    private String freeDisposableName(Model m) {
        java.util.Set<String> taken = new java.util.HashSet<>(m.qubes.keySet());
        taken.addAll(m.unreadableNames());
        java.util.concurrent.ThreadLocalRandom random = java.util.concurrent.ThreadLocalRandom.current();
        for (int attempt = 0; attempt < 100; attempt++) {
            String name = "disp" + random.nextInt(1, 10_000);
            if (!taken.contains(name)) {
                return name;
            }
        }
        for (int n = 1; n < 10_000; n++) {
            if (!taken.contains("disp" + n)) {
                return "disp" + n;
            }
        }
        throw new InvalidStateException("every disposable name disp1 to disp9999 is taken");
    }

    /** Removes a halted disposable that goes when it stops, with everything it had; logs what it cannot. */
    private void discardIfDisposable(String name) {
        QubeRecord q = model.qubes.get(name);
        if (q == null || q.klass != QubeClass.DispVM || !"True".equals(q.own(QubeProperty.AUTO_CLEANUP.id())) || isActive(name)) {
            return;
        }
        try {
            remove(name);
        } catch (AdminException e) {
            LOG.log(Level.WARNING, "cannot remove the disposable " + name + ": " + e.getMessage());
        }
    }

    private static List<String> preloadedOf(QubeRecord q) {
        String list = q.features.getOrDefault(PRELOADED, "");
        return list.isBlank() ? List.of() : List.of(list.strip().split(" +"));
    }

    /** Changes the list of a template's ready disposables within a change of the model. */
    private static void updatePreloaded(QubeRecord t, java.util.function.Consumer<List<String>> update) {
        List<String> list = new ArrayList<>(preloadedOf(t));
        update.accept(list);
        if (list.isEmpty()) {
            t.features.remove(PRELOADED);
        } else {
            t.features.put(PRELOADED, String.join(" ", list));
        }
    }

    /** Hands out one of the template's ready disposables, running; {@code null} when it has none. */
    private Qube takePreloaded(String template) {
        lifecycle.lock();
        try {
            for (String name : preloadedOf(model.qubes.get(template))) {
                change(m -> {
                    updatePreloaded(m.qubes.get(template), list -> list.remove(name));
                    return () -> events.fire(QubeEvent.FEATURE_SET + PRELOADED, template);
                });
                QubeRecord d = model.qubes.get(name);
                if (d == null || d.klass != QubeClass.DispVM || !isActive(name)) {
                    continue;
                }
                if (stateOf(d) == PowerState.Paused) {
                    unpause(name);
                }
                return get(name);
            }
            return null;
        } finally {
            lifecycle.unlock();
        }
    }

    /**
     * Keeps as many disposables of each template ready, started and paused, as its
     * {@value #PRELOAD_MAX} feature asks, and no more. Runs on the platform's worker thread.
     */
    void refillPreloaded() {
        if (adopted == null) {
            return;
        }
        for (QubeRecord t : model.qubes.values()) {
            int max = preloadMax(t);
            List<String> ready = preloadedOf(t).stream().filter(n -> model.qubes.containsKey(n) && isActive(n)).toList();
            if (!ready.equals(preloadedOf(t))) {
                change(m -> {
                    updatePreloaded(m.qubes.get(t.name), list -> list.retainAll(ready));
                    return () -> events.fire(QubeEvent.FEATURE_SET + PRELOADED, t.name);
                });
            }
            if (max > 0 && !PropertyRules.isDispvmTemplate(model, t)) {
                continue;
            }
            for (int missing = max - ready.size(); missing > 0; missing--) {
                try {
                    String name = newDisposable(t.name);
                    start(name);
                    pause(name);
                    change(m -> {
                        updatePreloaded(m.qubes.get(t.name), list -> list.add(name));
                        return () -> events.fire(QubeEvent.FEATURE_SET + PRELOADED, t.name, Map.of("value", name));
                    });
                } catch (AdminException e) {
                    LOG.log(Level.WARNING, "cannot preload a disposable of " + t.name + ": " + e.getMessage());
                    break;
                }
            }
            for (String extra : ready.subList(Math.min(max, ready.size()), ready.size())) {
                try {
                    kill(extra);
                } catch (AdminException e) {
                    LOG.log(Level.WARNING, "cannot stop the preloaded disposable " + extra + ": " + e.getMessage());
                }
            }
        }
    }

    private static int preloadMax(QubeRecord q) {
        String value = q.features.get(PRELOAD_MAX);
        return value == null || !value.matches("[0-9]{1,2}") ? 0 : Math.min(MAX_PRELOAD, Integer.parseInt(value));
    }

    // ---- files ----------------------------------------------------------------------------------

    private static void deleteTree(Path root) {
        if (!Files.exists(root)) {
            return;
        }
        try (Stream<Path> walk = Files.walk(root)) {
            for (Path p : walk.sorted(Comparator.reverseOrder()).toList()) {
                Files.delete(p);
            }
        } catch (IOException e) {
            throw new AdminException("cannot remove " + root + ": " + e.getMessage(), e);
        }
    }
}
