package dev.bulkhead.core.internal;

import java.lang.System.Logger.Level;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.ReentrantLock;
import java.util.function.BooleanSupplier;
import java.util.function.Supplier;

import dev.bulkhead.api.AdminException;
import dev.bulkhead.api.PowerState;
import dev.bulkhead.api.QubeAdmin;
import dev.bulkhead.api.QubeClass;
import dev.bulkhead.api.QubeEvent;
import dev.bulkhead.api.QubeProperty;
import dev.bulkhead.api.hypervisor.DomainStatus;
import dev.bulkhead.api.hypervisor.HypervisorBackend;
import dev.bulkhead.api.hypervisor.Leftover;
import dev.bulkhead.api.hypervisor.LinkEndpoint;
import dev.bulkhead.api.role.QubeRole;

/**
 * Keeps what runs in line with the model: takes over a backend's domains, hands running qubes
 * back to their roles, stops those whose role does not come back or leaves, notices qubes that
 * stopped by themselves, and starts the autostart qubes.
 */
final class RuntimeReconciler {
    private static final System.Logger LOG = QubeAdminService.LOG;
    private final QubeRegistry registry;
    private final RuntimeState state;
    private final BackendSelector backends;
    private final RoleBindings roles;
    private final NetworkLinks links;
    private final Lifecycle lifecycle;
    private final Disposables disposables;
    private final QubeAdmin admin;
    private final ReentrantLock lock;
    private final ServiceQubeCalls serviceCalls;
    private final ScheduledExecutorService worker;
    private final EventDispatcher events;
    private final Supplier<CoreConfig> config;
    /** Whether the core is closing: the qubes are then left running for its next activation. */
    private final BooleanSupplier closing;
    /** Whether the whole platform is stopping, so that roles leaving with it leave their qubes running. */
    private final BooleanSupplier platformStopping;
    /** Running qubes taken over from the backend whose role has not yet been handed them. */
    private final Set<String> unclaimed = ConcurrentHashMap.newKeySet();
    /** Counts take-overs of a backend, so that a late wait for roles ends only its own. */
    private long adoptions;

    RuntimeReconciler(QubeRegistry registry, RuntimeState state, BackendSelector backends, RoleBindings roles, NetworkLinks links,
            Lifecycle lifecycle, Disposables disposables, QubeAdmin admin, ReentrantLock lock, ServiceQubeCalls serviceCalls,
            ScheduledExecutorService worker, EventDispatcher events, Supplier<CoreConfig> config, BooleanSupplier closing,
            BooleanSupplier platformStopping) {
        this.registry = registry;
        this.state = state;
        this.backends = backends;
        this.roles = roles;
        this.links = links;
        this.lifecycle = lifecycle;
        this.disposables = disposables;
        this.admin = admin;
        this.lock = lock;
        this.serviceCalls = serviceCalls;
        this.worker = worker;
        this.events = events;
        this.config = config;
        this.closing = closing;
        this.platformStopping = platformStopping;
    }

    /**
     * Takes over the domains of the selected backend: running qubes are re-adopted as they are,
     * and domains that belong to no qube, or are stopped, are cleaned away.
     */
    void adoptSelectedBackend() {
        lock.lock();
        try {
            HypervisorBackend selected = backends.select(config.get().backend()).orElse(null);
            if (selected == state.adopted()) {
                return;
            }
            state.clear();
            unclaimed.clear();
            adoptions++;
            if (selected == null) {
                return;
            }
            Model model = registry.model();
            Set<String> leftAlone = new HashSet<>();
            for (DomainStatus d : selected.domains()) {
                QubeRecord q = model.qubes.get(d.name());
                if (q != null && q.klass != QubeClass.AdminVM
                        && (d.state() == PowerState.Running || d.state() == PowerState.Paused)) {
                    state.power().put(d.name(), d.state());
                    if (q.features.containsKey(QubeRole.ROLE_FEATURE)) {
                        unclaimed.add(d.name());
                    }
                } else if (registry.isUnreadable() || model.unreadableNames().contains(d.name())) {
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
            leftAlone.addAll(state.power().keySet());
            removeLeftovers(selected, leftAlone);
            state.adopt(selected);
            links.readopt(selected);
            LOG.log(Level.INFO, "backend " + selected.name() + " adopted with " + state.power().size() + " running qubes");
        } finally {
            lock.unlock();
        }
        worker.execute(this::handOverAdopted);
        long adoption = adoptions;
        worker.schedule(() -> stopUnclaimed(adoption), config.get().adopted_role_wait(), TimeUnit.SECONDS);
        worker.execute(this::autostart);
    }

    /**
     * Has the backend remove what a crash left on the host (half-made or half-removed qubes' namespaces,
     * mounts, devices, processes) and logs each item: only the qubes kept running, or left alone, keep theirs.
     */
    private void removeLeftovers(HypervisorBackend selected, Set<String> keep) {
        try {
            for (Leftover l : state.abilities(selected).leftovers().map(r -> r.reconcile(keep)).orElse(List.of())) {
                LOG.log(l.isRemoved() ? Level.INFO : Level.WARNING,
                        "take-over of backend " + selected.name() + ": " + l.describe());
            }
        } catch (RuntimeException e) {
            // the take-over goes on: leftovers cost room on the host, never a running qube
            LOG.log(Level.WARNING, "cannot look for leftovers of backend " + selected.name() + ": " + e.getMessage());
        }
    }

    /** A role that came hands its running qubes back to it, and lets the qubes waiting for it start. */
    void roleAdded() {
        worker.execute(this::handOverAdopted);
        worker.execute(this::autostart);
    }

    /** A role that leaves takes its qubes down with it: their clients lose the network, never reroute. */
    void roleLeft(QubeRole role) {
        if (platformStopping.getAsBoolean()) {
            // Its qubes keep running, as every qube does while the platform is down, and are handed
            // back to the role at the next start.
            LOG.log(Level.INFO, "role " + role.id() + " stops with the platform; the qubes that carry it keep running");
            return;
        }
        LOG.log(Level.WARNING, "role " + role.id() + " left; stopping the qubes that carry it");
        events.fire(QubeEvent.ROLE_REMOVE, null, Map.of("role", role.id()));
        lock.lock();
        try {
            for (QubeRecord q : registry.model().qubes.values()) {
                if (role.id().equals(q.features.get(QubeRole.ROLE_FEATURE)) && state.isActive(q.name)) {
                    try {
                        lifecycle.killLocked(q.name);
                    } catch (RuntimeException e) {
                        LOG.log(Level.ERROR, "cannot stop " + q.name + " after its role left", e);
                    }
                }
            }
        } finally {
            lock.unlock();
        }
    }

    /**
     * Hands each running qube taken over from the backend to its role, once the role is there, and
     * then the links of its running clients. A role that cannot take its qube back stops it. The
     * role runs commands in the qube meanwhile: it does so under the qube's own lock, not the
     * lifecycle lock, so a client starting behind the qube is taken on only after the take-over.
     */
    private void handOverAdopted() {
        lock.lock();
        try {
            long adoption = adoptions;
            for (String name : List.copyOf(unclaimed)) {
                QubeRecord q = registry.model().qubes.get(name);
                if (q == null || !state.isActive(name)) {
                    unclaimed.remove(name);
                    continue;
                }
                QubeRole role = roles.roleOf(q);
                if (role == null) {
                    continue;
                }
                unclaimed.remove(name);
                RuntimeException failure = null;
                try {
                    serviceCalls.call(name, () -> {
                        role.adopted(roles.context(name));
                        for (LinkEndpoint link : List.copyOf(state.links().values())) {
                            if (link.link().netvm().equals(name)) {
                                role.clientAttached(roles.context(name), link);
                            }
                        }
                    });
                } catch (RuntimeException e) {
                    failure = e;
                }
                if (adoption != adoptions || closing.getAsBoolean()) {
                    // a new take-over hands the qube over again; a core closing meanwhile leaves it running for the next
                    return;
                }
                if (!state.isActive(name)) {
                    LOG.log(Level.INFO, "the running qube " + name + " stopped while role " + role.id() + " took it over");
                } else if (failure == null) {
                    LOG.log(Level.INFO, "role " + role.id() + " took over the running qube " + name);
                } else {
                    LOG.log(Level.ERROR, "role " + role.id() + " cannot take over the running qube " + name + "; stopping it", failure);
                    events.fire(QubeEvent.DOMAIN_START_FAILED, name, Map.of("reason", String.valueOf(failure.getMessage())));
                    lifecycle.killQuietly(name);
                }
            }
        } finally {
            lock.unlock();
        }
    }

    /** A qube found running whose role has not come back in time is stopped: its clients are cut off. */
    private void stopUnclaimed(long adoption) {
        lock.lock();
        try {
            if (adoption != adoptions) {
                return;
            }
            for (String name : List.copyOf(unclaimed)) {
                unclaimed.remove(name);
                QubeRecord q = registry.model().qubes.get(name);
                if (q != null && state.isActive(name) && roles.roleOf(q) == null) {
                    LOG.log(Level.WARNING, "the role '" + q.features.get(QubeRole.ROLE_FEATURE) + "' of the running qube "
                            + name + " did not come back; stopping it");
                    lifecycle.killQuietly(name);
                }
            }
        } finally {
            lock.unlock();
        }
    }

    /**
     * Notices qubes that stopped without being asked (their init exited, the host killed them):
     * they are cleaned up, their clients cut off, and {@code domain-shutdown} is fired.
     */
    void syncStates() {
        HypervisorBackend b = state.adopted();
        if (b == null || state.power().isEmpty() || !lock.tryLock()) {
            return;
        }
        try {
            // the stop of each lets the lifecycle lock go while its netvm's role forgets it: the states are read again after it;
            // its own role forgets its clients and is told it stopped afterwards, without the lifecycle lock
            boolean again = true;
            while (again) {
                again = false;
                Map<String, PowerState> actual = new HashMap<>();
                for (DomainStatus d : b.domains()) {
                    actual.put(d.name(), d.state());
                }
                for (Map.Entry<String, PowerState> e : List.copyOf(state.power().entrySet())) {
                    String name = e.getKey();
                    PowerState now = actual.getOrDefault(name, PowerState.Halted);
                    if (e.getValue() == PowerState.Transient || e.getValue() == PowerState.Halting) {
                        continue;
                    }
                    if (now.isActive()) {
                        state.power().put(name, now);
                        continue;
                    }
                    LOG.log(Level.WARNING, "qube " + name + " stopped by itself (" + now + ")");
                    lifecycle.stoppedByItself(name);
                    again = true;
                    break;
                }
            }
        } catch (RuntimeException e) {
            LOG.log(Level.WARNING, "cannot read the state of the backend's domains: " + e.getMessage());
        } finally {
            lock.unlock();
        }
    }

    /** A domain that stopped by itself is cleaned up at once, not at the next look at the backend. */
    void domainExited(String name) {
        if (!closing.getAsBoolean()) {
            worker.execute(this::syncStates);
        }
    }

    /**
     * Removes disposables that stopped while nobody watched, starts every autostart qube whose role
     * (if it has one) is present, and preloads disposables.
     */
    private void autostart() {
        if (state.adopted() == null) {
            return;
        }
        for (QubeRecord q : registry.model().qubes.values()) {
            disposables.discardIfDisposable(q.name);
        }
        Model model = registry.model();
        for (QubeRecord q : model.qubes.values()) {
            if (q.klass == QubeClass.AdminVM || state.isActive(q.name)
                    || !"True".equals(PropertyRules.effective(model, q, QubeProperty.AUTOSTART).value())) {
                continue;
            }
            String role = q.features.get(QubeRole.ROLE_FEATURE);
            if (role != null && !roles.isPresent(role)) {
                continue;
            }
            try {
                admin.start(q.name);
            } catch (AdminException e) {
                LOG.log(Level.WARNING, "autostart of " + q.name + " failed: " + e.getMessage());
            }
        }
        disposables.refillPreloaded();
    }
}
