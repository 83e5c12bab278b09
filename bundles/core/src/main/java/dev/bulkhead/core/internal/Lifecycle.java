package dev.bulkhead.core.internal;

import java.lang.System.Logger.Level;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executor;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.locks.ReentrantLock;
import java.util.function.Supplier;

import dev.bulkhead.api.AdminException;
import dev.bulkhead.api.EventVetoedException;
import dev.bulkhead.api.ExecResult;
import dev.bulkhead.api.InvalidStateException;
import dev.bulkhead.api.InvalidValueException;
import dev.bulkhead.api.PowerState;
import dev.bulkhead.api.QubeEvent;
import dev.bulkhead.api.QubeProperty;
import dev.bulkhead.api.hypervisor.DomainSpec;
import dev.bulkhead.api.hypervisor.HypervisorBackend;
import dev.bulkhead.api.hypervisor.LinkEndpoint;
import dev.bulkhead.api.role.QubeRole;

/**
 * Where a qube starts (its netvm chain first), shuts down, is killed, paused or runs a command.
 * Starts and stops are serialised by one lifecycle lock, as Qubes serialises domain starts; a
 * role's commands in a service qube take no part in it when it takes a starting client on, sets its
 * own starting qube up, or forgets its clients and tears its qube down at a graceful shutdown
 * ({@link ServiceQubeCalls}, {@link ServiceQubeStarts}). The work runs out
 * of reach of a caller that hangs up ({@link HostWork}).
 */
final class Lifecycle {
    private static final System.Logger LOG = QubeAdminService.LOG;
    private final QubeRegistry registry;
    private final RuntimeState state;
    private final RoleBindings roles;
    private final NetworkLinks links;
    private final QubeVolumes volumes;
    private final Disposables disposables;
    private final ReentrantLock lock;
    private final HostWork hostWork;
    private final Executor worker;
    private final EventDispatcher events;
    private final PreEventHandlers preEvents;
    private final ServiceQubeCalls serviceCalls;
    private final ServiceQubeStarts starts;
    private final Supplier<CoreConfig> config;
    /** The graceful shutdowns under way, by qube; a kill ends one by removing it. */
    private final Map<String, Shutdown> shutdowns = new ConcurrentHashMap<>();
    /** Looks at the backend for qubes that stopped by themselves. */
    private final Runnable syncStates;

    Lifecycle(QubeRegistry registry, RuntimeState state, RoleBindings roles, NetworkLinks links, QubeVolumes volumes,
            Disposables disposables, ReentrantLock lock, HostWork hostWork, Executor worker, EventDispatcher events,
            PreEventHandlers preEvents, ServiceQubeCalls serviceCalls, Supplier<CoreConfig> config, Runnable syncStates) {
        this.registry = registry;
        this.state = state;
        this.roles = roles;
        this.links = links;
        this.volumes = volumes;
        this.disposables = disposables;
        this.lock = lock;
        this.hostWork = hostWork;
        this.worker = worker;
        this.events = events;
        this.preEvents = preEvents;
        this.serviceCalls = serviceCalls;
        this.starts = new ServiceQubeStarts(lock);
        this.config = config;
        this.syncStates = syncStates;
    }

    void start(String name) {
        hostWork.run(() -> startShielded(name));
    }

    private void startShielded(String name) {
        lock.lock();
        try {
            Model m = registry.model();
            QubeRecord q = QubeRegistry.requireNotDom0(m, name, "is always running");
            if (state.isActive(name)) {
                syncStates.run();
            }
            if (state.isActive(name)) {
                throw new InvalidStateException("'" + name + "' is already " + state.stateOf(q));
            }
            List<String> chain = new ArrayList<>();
            for (String hop = PropertyRules.netvm(m, q); !hop.isEmpty(); hop = PropertyRules.netvm(m, m.qubes.get(hop))) {
                chain.add(0, hop);
            }
            if (!chain.isEmpty()) {
                state.abilities().links("cannot start '" + name + "' with netvm '" + chain.get(chain.size() - 1) + "'");
            }
            for (String hop : chain) {
                if (!state.isActive(hop)) {
                    startOne(m, m.qubes.get(hop));
                }
            }
            // a netvm another thread starts is not linked to its clients until its role has set it up
            for (String hop : chain) {
                starts.awaitEnded(hop, name);
            }
            // the start of a netvm lets the lifecycle lock go while its role takes clients on: the qube may
            // have been started, changed or removed meanwhile, so it is read again
            m = registry.model();
            q = QubeRegistry.requireNotDom0(m, name, "is always running");
            if (state.isActive(name)) {
                throw new InvalidStateException("'" + name + "' is already " + state.stateOf(q));
            }
            String netvm = PropertyRules.netvm(m, q);
            if (!netvm.isEmpty() && !state.isActive(netvm)) {
                throw new InvalidStateException("cannot start '" + name + "': its netvm '" + netvm
                        + "' is not running; it stopped, failed to start or was set while this start was under way");
            }
            startOne(m, q);
        } finally {
            lock.unlock();
        }
    }

    private void startOne(Model m, QubeRecord q) {
        HypervisorBackend b = state.backend();
        String roleId = q.features.get(QubeRole.ROLE_FEATURE);
        QubeRole role = roleId == null ? null : roles.get(roleId);
        if (roleId != null && role == null) {
            throw new InvalidStateException("cannot start '" + q.name + "': its role '" + roleId + "' is not installed");
        }
        try {
            preEvents.check(QubeEvent.DOMAIN_PRE_START, q.name, Map.of());
        } catch (EventVetoedException e) {
            disposables.discardIfDisposable(q.name);
            throw e;
        }
        events.fire(QubeEvent.DOMAIN_PRE_START, q.name);
        state.power().put(q.name, PowerState.Transient);
        ServiceQubeStarts.Start start = starts.begin(q.name);
        boolean started = false;
        try {
            b.start(domainSpec(m, q));
            started = true;
            // still Transient while its netvm's role takes it on without the lifecycle lock: nobody kills or moves it meanwhile
            links.attach(m, q, true);
            if (role != null) {
                // still Transient while its own role sets it up without the lifecycle lock: its clients wait, a kill ends the start
                start.roleStarting = true;
                serviceCalls.call(q.name, () -> role.started(roles.context(q.name)));
                if (!starts.isCurrent(start)) {
                    throw new InvalidStateException("it was killed while its role " + roleId + " set it up");
                }
            }
            state.power().put(q.name, PowerState.Running);
        } catch (RuntimeException e) {
            if (!starts.isCurrent(start)) {
                // the kill that ended this start has stopped and cleaned up the qube
                throw new AdminException("cannot start '" + q.name + "': it was killed while its start was under way", e);
            }
            starts.end(start);
            state.links().remove(q.name);
            if (started) {
                try {
                    b.kill(q.name);
                } catch (RuntimeException k) {
                    LOG.log(Level.ERROR, "cannot kill " + q.name + " after its start failed", k);
                }
            }
            state.recordActualState(b, q.name);
            events.fire(QubeEvent.DOMAIN_START_FAILED, q.name, Map.of("reason", String.valueOf(e.getMessage())));
            disposables.discardIfDisposable(q.name);
            throw new AdminException("cannot start '" + q.name + "': " + e.getMessage(), e);
        }
        starts.end(start);
        links.reattachClients(q.name);
        // a kill or shutdown while its role took its clients back without the lifecycle lock has already stopped it
        PowerState now = state.power().get(q.name);
        if (now != PowerState.Running && now != PowerState.Paused) {
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
                PropertyRules.providesNetwork(m, q), volumes.specs(m, q));
    }

    void shutdown(String name, boolean force, boolean wait, Duration timeout) {
        hostWork.run(() -> shutdownShielded(name, force, wait, timeout));
    }

    private void shutdownShielded(String name, boolean force, boolean wait, Duration timeout) {
        Duration grace = timeout == null ? Duration.ofSeconds(config.get().shutdown_timeout()) : timeout;
        HypervisorBackend b;
        Shutdown stop;
        QubeRole role;
        List<LinkEndpoint> cut = new ArrayList<>();
        lock.lock();
        try {
            Model model = registry.model();
            QubeRecord q = QubeRegistry.requireNotDom0(model, name, "cannot be shut down");
            PowerState current = state.stateOf(q);
            if (current != PowerState.Running && current != PowerState.Paused) {
                throw new InvalidStateException("'" + name + "' is " + current + ", not running");
            }
            List<String> running = PropertyRules.clientsOf(model, name).stream().filter(state::isActive).toList();
            if (!running.isEmpty() && !force) {
                throw new InvalidStateException("'" + name + "' is the netvm of running qubes " + String.join(", ", running)
                        + "; shut them down first or use --force");
            }
            b = state.backend();
            preEvents.check(QubeEvent.DOMAIN_PRE_SHUTDOWN, name, Map.of());
            events.fire(QubeEvent.DOMAIN_PRE_SHUTDOWN, name);
            if (current == PowerState.Paused) {
                b.unpause(name);
            }
            state.power().put(name, PowerState.Halting);
            stop = new Shutdown();
            shutdowns.put(name, stop);
            // fail closed: its clients lose their links before its role hears of anything
            for (String client : running) {
                LinkEndpoint endpoint = links.cut(client);
                if (endpoint != null) {
                    cut.add(endpoint);
                }
            }
            role = roles.roleOf(q);
        } finally {
            lock.unlock();
        }
        Shutdown s = stop;
        QubeRole r = role;
        Runnable finish = () -> {
            if (!tearDown(name, s, r, cut)) {
                return;
            }
            RuntimeException failed = null;
            try {
                b.shutdown(name, grace);
            } catch (RuntimeException e) {
                failed = e;
            }
            lock.lock();
            try {
                if (!shutdowns.remove(name, s)) {
                    // a kill meanwhile has stopped it and told of that
                    return;
                }
                if (failed != null && state.recordActualState(b, name)) {
                    throw failed;
                }
                state.power().remove(name);
            } finally {
                lock.unlock();
            }
            events.fire(QubeEvent.DOMAIN_SHUTDOWN, name);
            disposables.discardIfDisposable(name);
        };
        if (wait) {
            finish.run();
        } else {
            worker.execute(() -> hostWork.run(finish));
        }
    }

    /**
     * The role of a qube shutting down forgets its clients, whose links are down already, and tears
     * the qube down, under the qube's own lock only: after any call for it in flight, and with every
     * other command going on. Then, under the lifecycle lock, the qube leaves its own netvm.
     *
     * @return whether the shutdown goes on; not when a kill has ended it meanwhile
     */
    private boolean tearDown(String name, Shutdown stop, QubeRole role, List<LinkEndpoint> cut) {
        serviceCalls.call(name, () -> {
            if (shutdowns.get(name) != stop) {
                return;
            }
            cut.forEach(links::forget);
            if (role != null && stop.tellStopping()) {
                tellStopping(role, name);
            }
        });
        lock.lock();
        try {
            if (shutdowns.get(name) != stop) {
                return false;
            }
            links.detach(name, true);
            return shutdowns.get(name) == stop;
        } finally {
            lock.unlock();
        }
    }

    private void tellStopping(QubeRole role, String name) {
        try {
            role.stopping(roles.context(name));
        } catch (RuntimeException e) {
            LOG.log(Level.WARNING, "role " + role.id() + " failed while " + name + " stopped", e);
        }
    }

    /** A graceful shutdown under way: its qube's role is told it stops once, by it or by a kill that ends it. */
    private static final class Shutdown {
        private final AtomicBoolean stoppingTold = new AtomicBoolean();

        /** Whether the caller is the one to tell the role. */
        boolean tellStopping() {
            return stoppingTold.compareAndSet(false, true);
        }
    }

    /**
     * Cuts a stopping qube's clients off it, tells its role, and unlinks it from its own netvm, whose
     * role is told without the lifecycle lock: the caller shows the qube as Halting, and checks
     * afterwards whether it still is.
     */
    void stopLinks(QubeRecord q, List<String> runningClients) {
        stopLinks(q, runningClients, true);
    }

    private void stopLinks(QubeRecord q, List<String> runningClients, boolean tellRole) {
        runningClients.forEach(client -> links.detach(client, false));
        QubeRole role = roles.roleOf(q);
        if (role != null && tellRole) {
            tellStopping(role, q.name);
        }
        links.detach(q.name, true);
    }

    void kill(String name) {
        hostWork.run(() -> killShielded(name));
    }

    private void killShielded(String name) {
        lock.lock();
        try {
            QubeRecord q = QubeRegistry.requireNotDom0(registry.model(), name, "cannot be killed");
            if (!state.isActive(name)) {
                throw new InvalidStateException("'" + name + "' is not running");
            }
            if (!starts.roleStarting(name)) {
                state.requireNotStarting(name, "killed");
            }
            killLocked(q.name);
        } finally {
            lock.unlock();
        }
    }

    /** Kills a qube, its clients cut off first; the caller holds the lifecycle lock. */
    void killLocked(String name) {
        Model model = registry.model();
        QubeRecord q = model.qubes.get(name);
        List<String> running = PropertyRules.clientsOf(model, name).stream().filter(state::isActive).toList();
        starts.abandon(name);
        // a stop under way has told its role already, or a shutdown leaves that to this kill, which ends it
        Shutdown stop = shutdowns.remove(name);
        boolean tellRole = stop != null ? stop.tellStopping() : state.power().get(name) != PowerState.Halting;
        state.power().put(name, PowerState.Halting);
        stopLinks(q, running, tellRole);
        if (state.power().get(name) != PowerState.Halting) {
            // another kill ended the stop while its netvm's role forgot it
            return;
        }
        HypervisorBackend b = state.backend();
        try {
            b.kill(name);
        } catch (RuntimeException e) {
            if (state.recordActualState(b, name)) {
                throw e;
            }
            LOG.log(Level.WARNING, "killing " + name + " failed, but it stopped: " + e.getMessage());
        }
        state.power().remove(name);
        events.fire(QubeEvent.DOMAIN_SHUTDOWN, name);
        disposables.discardIfDisposable(name);
    }

    /** Kills a qube, the caller holding the lifecycle lock, and logs rather than throws what fails. */
    void killQuietly(String name) {
        try {
            killLocked(name);
        } catch (RuntimeException e) {
            LOG.log(Level.ERROR, "cannot stop " + name, e);
        }
    }

    void pause(String name) {
        freezeTransition(name, PowerState.Running, PowerState.Paused, () -> state.backend().pause(name), QubeEvent.DOMAIN_PAUSED);
    }

    void unpause(String name) {
        freezeTransition(name, PowerState.Paused, PowerState.Running, () -> state.backend().unpause(name), QubeEvent.DOMAIN_UNPAUSED);
    }

    private void freezeTransition(String name, PowerState from, PowerState to, Runnable backendCall, String event) {
        hostWork.run(() -> freezeShielded(name, from, to, backendCall, event));
    }

    private void freezeShielded(String name, PowerState from, PowerState to, Runnable backendCall, String event) {
        lock.lock();
        try {
            QubeRecord q = QubeRegistry.requireNotDom0(registry.model(), name, "cannot be paused");
            if (state.stateOf(q) != from) {
                throw new InvalidStateException("'" + name + "' is " + state.stateOf(q) + ", not " + from);
            }
            try {
                backendCall.run();
            } catch (RuntimeException e) {
                state.recordActualState(state.backend(), name);
                throw e;
            }
            state.power().put(name, to);
        } finally {
            lock.unlock();
        }
        events.fire(event, name);
    }

    /** Runs a command in a qube, as {@code qvm-run}: a halted qube is started first. */
    ExecResult run(String name, List<String> command, byte[] stdin, Duration timeout) {
        if (command == null || command.isEmpty()) {
            throw new InvalidValueException("command", "", "a command to run is required");
        }
        QubeRecord q = QubeRegistry.requireNotDom0(registry.model(), name, "runs no commands through qvm-run");
        PowerState current = state.stateOf(q);
        if (current == PowerState.Halted) {
            start(name);
        } else if (current != PowerState.Running) {
            throw new InvalidStateException("'" + name + "' is " + current + "; it must be running to run a command");
        }
        return state.backend().exec(name, command, stdin == null ? new byte[0] : stdin, timeout == null ? Duration.ofMinutes(10) : timeout);
    }
}
