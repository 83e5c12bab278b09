package dev.bulkhead.core.internal;

import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.locks.ReentrantLock;

import dev.bulkhead.api.InvalidStateException;

/**
 * The starts under way, by qube, until the qube runs with its role set up. The role of a service
 * qube sets it up without the lifecycle lock, so a client starting meanwhile must wait for that
 * rather than be linked to a netvm not yet set up, or run without a link; and a kill meanwhile ends
 * the start, whose thread must then leave the clean-up to the kill.
 */
final class ServiceQubeStarts {
    private final ReentrantLock lifecycle;
    private final Map<String, Start> underWay = new ConcurrentHashMap<>();

    /** One start of one qube. */
    static final class Start {
        final String qube;
        final CompletableFuture<Void> ended = new CompletableFuture<>();
        /** Whether the qube's role is setting it up, when a kill may end the start; guarded by the lifecycle lock. */
        boolean roleStarting;

        Start(String qube) {
            this.qube = qube;
        }
    }

    ServiceQubeStarts(ReentrantLock lifecycle) {
        this.lifecycle = lifecycle;
    }

    Start begin(String qube) {
        Start start = new Start(qube);
        underWay.put(qube, start);
        return start;
    }

    /** Whether the start is still the qube's start under way, not ended by a kill. */
    boolean isCurrent(Start start) {
        return underWay.get(start.qube) == start;
    }

    void end(Start start) {
        underWay.remove(start.qube, start);
        start.ended.complete(null);
    }

    /** At a kill: ends the qube's start under way, if any; its thread finds it no longer current. */
    void abandon(String qube) {
        Start start = underWay.remove(qube);
        if (start != null) {
            start.ended.complete(null);
        }
    }

    /** Whether the qube's role is setting it up in a start under way. */
    boolean roleStarting(String qube) {
        Start start = underWay.get(qube);
        return start != null && start.roleStarting;
    }

    /**
     * Waits, the lifecycle lock let go, until no start of the netvm is under way (in another thread);
     * the caller holds the lifecycle lock again afterwards and must check again what it saw before.
     *
     * @param waiting what waits, for the refusal when the lock cannot be let go, e.g. {@code start 'work'}
     */
    void awaitEnded(String netvm, String waiting) {
        Start start;
        while ((start = underWay.get(netvm)) != null) {
            if (lifecycle.getHoldCount() != 1) {
                throw new InvalidStateException("cannot " + waiting + ": its netvm '" + netvm
                        + "' is starting; try again once that has ended");
            }
            lifecycle.unlock();
            try {
                start.ended.join();
            } finally {
                lifecycle.lock();
            }
        }
    }
}
