package dev.bulkhead.core.internal;

import java.lang.System.Logger.Level;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Queue;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.Executor;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.locks.ReentrantLock;
import java.util.function.Supplier;

import dev.bulkhead.api.InvalidStateException;
import dev.bulkhead.api.PowerState;
import dev.bulkhead.api.QubeEvent;
import dev.bulkhead.api.hypervisor.HypervisorBackend;
import dev.bulkhead.api.hypervisor.LinkEndpoint;
import dev.bulkhead.api.role.QubeRole;

/**
 * Where a qube stops: a graceful shutdown, a kill, or the clean-up after it stopped by itself. Each
 * stop takes the links of the qube's clients, and its own, down in the backend first, under the
 * lifecycle lock. The roles hear of it without that lock: the role of the qube's netvm forgets the
 * qube while it is shown as Halting; the qube's own role forgets its clients and is told it stops
 * under the qube's own lock ({@link ServiceQubeCalls}), before a graceful shutdown stops the qube,
 * after a kill or a death has. A kill ends a stop under way and takes it over, so that the role is
 * told once; a start of the qube waits until its stop, and the role's calls after it, have ended.
 */
final class QubeStops {
    private static final System.Logger LOG = QubeAdminService.LOG;
    private final QubeRegistry registry;
    private final RuntimeState state;
    private final RoleBindings roles;
    private final NetworkLinks links;
    private final Disposables disposables;
    private final ReentrantLock lock;
    private final HostWork hostWork;
    private final Executor worker;
    private final EventDispatcher events;
    private final PreEventHandlers preEvents;
    private final ServiceQubeCalls serviceCalls;
    private final ServiceQubeStarts starts;
    private final Supplier<CoreConfig> config;
    /** The stops under way, by qube, from the first step of one until its role has been told all. */
    private final Map<String, Stop> stops = new ConcurrentHashMap<>();

    /** One stop of one qube, which a kill may take over from a shutdown or from an earlier kill. */
    private static final class Stop {
        final QubeRole role;
        /** The links of its clients, down in the backend, that its role has not forgotten yet. */
        final Queue<LinkEndpoint> cut = new ConcurrentLinkedQueue<>();
        final AtomicBoolean stoppingTold = new AtomicBoolean();
        /** Ends once the qube is stopped (or found still running) and its role has been told. */
        final CompletableFuture<Void> ended = new CompletableFuture<>();
        /** The shutdown or kill that carries the stop on now; others that began it give up. */
        volatile Object driver;

        Stop(QubeRole role) {
            this.role = role;
        }
    }

    QubeStops(QubeRegistry registry, RuntimeState state, RoleBindings roles, NetworkLinks links, Disposables disposables,
            ReentrantLock lock, HostWork hostWork, Executor worker, EventDispatcher events, PreEventHandlers preEvents,
            ServiceQubeCalls serviceCalls, ServiceQubeStarts starts, Supplier<CoreConfig> config) {
        this.registry = registry;
        this.state = state;
        this.roles = roles;
        this.links = links;
        this.disposables = disposables;
        this.lock = lock;
        this.hostWork = hostWork;
        this.worker = worker;
        this.events = events;
        this.preEvents = preEvents;
        this.serviceCalls = serviceCalls;
        this.starts = starts;
        this.config = config;
    }

    void shutdown(String name, boolean force, boolean wait, Duration timeout) {
        hostWork.run(() -> shutdownShielded(name, force, wait, timeout));
    }

    private void shutdownShielded(String name, boolean force, boolean wait, Duration timeout) {
        Duration grace = timeout == null ? Duration.ofSeconds(config.get().shutdown_timeout()) : timeout;
        HypervisorBackend b;
        Stop stop;
        Object me = new Object();
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
            stop = new Stop(roles.roleOf(q));
            stop.driver = me;
            // fail closed: its clients lose their links before its role hears of anything
            cutClients(running, stop);
            stops.put(name, stop);
        } finally {
            lock.unlock();
        }
        Runnable finish = () -> {
            try {
                finishShutdown(name, stop, me, b, grace);
            } finally {
                endIfDriver(name, stop, me);
            }
        };
        if (wait) {
            finish.run();
        } else {
            worker.execute(() -> hostWork.run(finish));
        }
    }

    private void finishShutdown(String name, Stop stop, Object me, HypervisorBackend b, Duration grace) {
        if (!tearDown(name, stop, me)) {
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
            if (stop.driver != me) {
                // a kill meanwhile has stopped it and told of that
                return;
            }
            end(name, stop);
            if (failed != null && state.recordActualState(b, name)) {
                throw failed;
            }
            state.power().remove(name);
        } finally {
            lock.unlock();
        }
        events.fire(QubeEvent.DOMAIN_SHUTDOWN, name);
        disposables.discardIfDisposable(name);
    }

    /**
     * The role of a qube shutting down forgets its clients, whose links are down already, and tears
     * the qube down, under the qube's own lock only: after any call for it in flight, and with every
     * other command going on. Then, under the lifecycle lock, the qube leaves its own netvm.
     *
     * @return whether the shutdown goes on; not when a kill has taken it over meanwhile
     */
    private boolean tearDown(String name, Stop stop, Object me) {
        serviceCalls.call(name, () -> {
            if (stop.driver == me) {
                tell(name, stop);
            }
        });
        lock.lock();
        try {
            if (stop.driver != me) {
                return false;
            }
            links.detach(name, true);
            return stop.driver == me;
        } finally {
            lock.unlock();
        }
    }

    /** Under the lifecycle lock, a shutdown that has not ended for another reason ends: a start may wait for it. */
    private void endIfDriver(String name, Stop stop, Object me) {
        lock.lock();
        try {
            if (stop.driver == me) {
                end(name, stop);
            }
        } finally {
            lock.unlock();
        }
    }

    /**
     * Kills a qube, the caller holding the lifecycle lock. The links of its clients and its own go down
     * first; the role of its netvm forgets it without the lifecycle lock while it is shown as Halting;
     * then it is killed and recorded Halted, and its own role forgets its clients and is told it
     * stopped afterwards, on a thread of its own under the qube's own lock.
     */
    void killLocked(String name) {
        stopLocked(name, false);
    }

    /** Kills a qube, the caller holding the lifecycle lock, and logs rather than throws what fails. */
    void killQuietly(String name) {
        try {
            killLocked(name);
        } catch (RuntimeException e) {
            LOG.log(Level.ERROR, "cannot stop " + name, e);
        }
    }

    /** As {@link #killLocked}, for a qube whose backend reports it stopped by itself: its remains are cleaned away. */
    void stoppedByItself(String name) {
        stopLocked(name, true);
    }

    private void stopLocked(String name, boolean died) {
        Model model = registry.model();
        QubeRecord q = model.qubes.get(name);
        List<String> running = PropertyRules.clientsOf(model, name).stream().filter(state::isActive).toList();
        starts.abandon(name);
        // a shutdown or a kill under way is taken over: its role is told once, by whoever ends the stop
        Stop stop = stops.get(name);
        if (stop == null || stop.ended.isDone()) {
            stop = new Stop(roles.roleOf(q));
            stops.put(name, stop);
        }
        Object me = new Object();
        stop.driver = me;
        state.power().put(name, PowerState.Halting);
        boolean takenOver = false;
        try {
            // fail closed: the links of its clients and its own go down in the backend before anything else
            cutClients(running, stop);
            LinkEndpoint own = links.cut(name);
            if (own != null) {
                serviceCalls.call(own.link().netvm(), () -> links.forget(own));
                if (stop.driver != me) {
                    // another kill took the stop over while its netvm's role forgot it, and ends it
                    takenOver = true;
                    return;
                }
            }
            HypervisorBackend b = state.backend();
            try {
                b.kill(name);
            } catch (RuntimeException e) {
                if (died) {
                    LOG.log(Level.WARNING, "cannot clean up " + name + ": " + e.getMessage());
                } else if (state.recordActualState(b, name)) {
                    throw e;
                } else {
                    LOG.log(Level.WARNING, "killing " + name + " failed, but it stopped: " + e.getMessage());
                }
            }
            state.power().remove(name);
        } finally {
            if (!takenOver) {
                tellLater(name, stop);
            }
        }
        events.fire(QubeEvent.DOMAIN_SHUTDOWN, name, died ? Map.of("reason", "stopped by itself") : Map.of());
        disposables.discardIfDisposable(name);
    }

    private void cutClients(List<String> running, Stop stop) {
        for (String client : running) {
            LinkEndpoint endpoint = links.cut(client);
            if (endpoint != null) {
                stop.cut.add(endpoint);
            }
        }
    }

    /**
     * On a thread of its own, without the lifecycle lock and under the qube's own lock (after the
     * calls for it in flight), its role forgets its clients and is told it stopped; the stop ends then.
     */
    private void tellLater(String name, Stop stop) {
        if (stop.role == null && stop.cut.isEmpty()) {
            end(name, stop);
            return;
        }
        Runnable calls = () -> {
            try {
                serviceCalls.call(name, () -> tell(name, stop));
            } finally {
                end(name, stop);
            }
        };
        try {
            hostWork.runLater(calls);
        } catch (RejectedExecutionException e) {
            // the core is closing: the next activation takes the qubes over as they are
            LOG.log(Level.WARNING, "the role of " + name + " is not told it stopped: the core is closing");
            end(name, stop);
        }
    }

    /** Under the qube's own lock: its role forgets the clients cut off, then is told it stops, once. */
    private void tell(String name, Stop stop) {
        for (LinkEndpoint endpoint = stop.cut.poll(); endpoint != null; endpoint = stop.cut.poll()) {
            links.forget(endpoint);
        }
        if (stop.role != null && stop.stoppingTold.compareAndSet(false, true)) {
            try {
                stop.role.stopping(roles.context(name));
            } catch (RuntimeException e) {
                LOG.log(Level.WARNING, "role " + stop.role.id() + " failed while " + name + " stopped", e);
            }
        }
    }

    private void end(String name, Stop stop) {
        stops.remove(name, stop);
        stop.ended.complete(null);
    }

    /**
     * Waits, the lifecycle lock let go, until no stop is under way for any of the qubes, its role's
     * calls included; the caller holds the lifecycle lock again afterwards and must check again
     * what it saw before.
     *
     * @return whether it waited
     */
    boolean awaitEnded(List<String> qubes, String starting) {
        for (String qube : qubes) {
            Stop stop = stops.get(qube);
            if (stop != null) {
                if (lock.getHoldCount() != 1) {
                    throw new InvalidStateException("cannot start '" + starting + "': '" + qube
                            + "' is stopping; start it again once that has ended");
                }
                lock.unlock();
                try {
                    stop.ended.join();
                } finally {
                    lock.lock();
                }
                return true;
            }
        }
        return false;
    }

    /** Whether a stop of the qube is under way, its role's calls included. */
    boolean isUnderWay(String qube) {
        return stops.containsKey(qube);
    }
}
