package dev.bulkhead.core.internal;

import java.lang.System.Logger.Level;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Executor;
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
 * Where a qube starts (its netvm chain first), is paused or runs a command; its stops are
 * {@link QubeStops}'. Starts and stops are serialised by one lifecycle lock, as Qubes serialises
 * domain starts; a role's commands in a service qube take no part in it when it takes a starting
 * client on, sets its own starting qube up, or forgets its clients and tears its qube down
 * ({@link ServiceQubeCalls}, {@link ServiceQubeStarts}): a start waits for a stop of the qube, or of
 * a netvm it needs, under way. The work runs out of reach of a caller that hangs up ({@link HostWork}).
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
    private final EventDispatcher events;
    private final PreEventHandlers preEvents;
    private final ServiceQubeCalls serviceCalls;
    private final ServiceQubeStarts starts;
    private final QubeStops stops;
    /** Looks at the backend for qubes that stopped by themselves. */
    private final Runnable syncStates;

    Lifecycle(QubeRegistry registry, RuntimeState state, RoleBindings roles, NetworkLinks links, QubeVolumes volumes,
            Disposables disposables, ReentrantLock lock, HostWork hostWork, Executor worker, EventDispatcher events,
            PreEventHandlers preEvents, ServiceQubeCalls serviceCalls, ServiceQubeStarts starts, Supplier<CoreConfig> config,
            Runnable syncStates) {
        this.registry = registry;
        this.state = state;
        this.roles = roles;
        this.links = links;
        this.volumes = volumes;
        this.disposables = disposables;
        this.lock = lock;
        this.hostWork = hostWork;
        this.events = events;
        this.preEvents = preEvents;
        this.serviceCalls = serviceCalls;
        this.starts = starts;
        this.stops = new QubeStops(registry, state, roles, links, disposables, lock, hostWork, worker, events, preEvents,
                serviceCalls, starts, config);
        this.syncStates = syncStates;
    }

    void start(String name) {
        hostWork.run(() -> startShielded(name));
    }

    private void startShielded(String name) {
        lock.lock();
        try {
            Model m;
            QubeRecord q;
            List<String> chain;
            if (state.isActive(name)) {
                syncStates.run();
            }
            // a stop of the qube or of a netvm it needs ends first, its roles' calls included
            do {
                m = registry.model();
                q = QubeRegistry.requireNotDom0(m, name, "is always running");
                chain = chainOf(m, q);
            } while (stops.awaitEnded(withQube(chain, name), name));
            if (state.isActive(name)) {
                throw new InvalidStateException("'" + name + "' is already " + state.stateOf(q));
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
                starts.awaitEnded(hop, "start '" + name + "'");
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

    /** The netvms a qube needs running, the farthest first. */
    private static List<String> chainOf(Model m, QubeRecord q) {
        List<String> chain = new ArrayList<>();
        for (String hop = PropertyRules.netvm(m, q); !hop.isEmpty(); hop = PropertyRules.netvm(m, m.qubes.get(hop))) {
            chain.add(0, hop);
        }
        return chain;
    }

    private static List<String> withQube(List<String> chain, String name) {
        List<String> all = new ArrayList<>(chain);
        all.add(name);
        return all;
    }

    private void startOne(Model m, QubeRecord q) {
        if (stops.isUnderWay(q.name)) {
            // stopped while another qube of the chain started without the lifecycle lock
            throw new InvalidStateException("cannot start '" + q.name + "': it is stopping; start it again once that has ended");
        }
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
            LinkEndpoint own = cutOwnLink(q.name);
            if (own != null) {
                // its netvm's role forgets it while it is still starting: nobody starts, kills or moves it meanwhile
                serviceCalls.call(own.link().netvm(), () -> links.forget(own));
                if (!starts.isCurrent(start)) {
                    throw new AdminException("cannot start '" + q.name + "': it was killed while its start was under way", e);
                }
            }
            starts.end(start);
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
        String virtMode = QubeVolumes.hvm(q) ? DomainSpec.HVM : DomainSpec.PVH;
        if (QubeVolumes.hvm(q)) {
            state.abilities().bootImages("cannot start '" + q.name + "'");
        }
        return new DomainSpec(q.name, q.qid, q.klass,
                Integer.parseInt(PropertyRules.effective(m, q, QubeProperty.MEMORY).value()),
                Integer.parseInt(PropertyRules.effective(m, q, QubeProperty.MAXMEM).value()),
                Integer.parseInt(PropertyRules.effective(m, q, QubeProperty.VCPUS).value()),
                PropertyRules.effective(m, q, QubeProperty.KERNELOPTS).value(),
                PropertyRules.providesNetwork(m, q), volumes.specs(m, q), virtMode);
    }

    /** Takes the qube's link to its netvm down after its start failed; logs rather than throws what fails. */
    private LinkEndpoint cutOwnLink(String name) {
        try {
            return links.cut(name);
        } catch (RuntimeException e) {
            LOG.log(Level.ERROR, "cannot unlink " + name + " after its start failed", e);
            return null;
        }
    }

    void shutdown(String name, boolean force, boolean wait, Duration timeout) {
        stops.shutdown(name, force, wait, timeout);
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
            stops.killLocked(q.name);
        } finally {
            lock.unlock();
        }
    }

    /** Kills a qube, its clients cut off first; the caller holds the lifecycle lock. */
    void killLocked(String name) {
        stops.killLocked(name);
    }

    /** Kills a qube, the caller holding the lifecycle lock, and logs rather than throws what fails. */
    void killQuietly(String name) {
        stops.killQuietly(name);
    }

    /** Cleans up after a qube that stopped by itself, as a kill does; the caller holds the lifecycle lock. */
    void stoppedByItself(String name) {
        stops.stoppedByItself(name);
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
