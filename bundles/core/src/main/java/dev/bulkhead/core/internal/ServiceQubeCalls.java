package dev.bulkhead.core.internal;

import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.locks.ReentrantLock;

/**
 * Runs a role's calls for a service qube without the core's lifecycle lock: such a call runs
 * commands inside the qube, which a hung or hostile qube can hold up to their bound, and every other
 * command of the platform would wait that long. The calls for one service qube still run one at a
 * time, in the order they come, under a lock of that qube's own.
 */
final class ServiceQubeCalls {
    private final ReentrantLock lifecycle;
    private final Map<String, ReentrantLock> perQube = new ConcurrentHashMap<>();

    ServiceQubeCalls(ReentrantLock lifecycle) {
        this.lifecycle = lifecycle;
    }

    /**
     * Runs the call for the service qube with the lifecycle lock let go, and takes that lock back
     * before returning or throwing: the caller must then check again what it saw before. A caller
     * holding the lifecycle lock more than once (from within other lifecycle work) keeps it, since
     * the work around it counts on it.
     */
    void call(String serviceQube, Runnable call) {
        boolean letGo = lifecycle.getHoldCount() == 1;
        if (letGo) {
            lifecycle.unlock();
        }
        ReentrantLock own = perQube.computeIfAbsent(serviceQube, n -> new ReentrantLock(true));
        try {
            own.lock();
            try {
                call.run();
            } finally {
                own.unlock();
            }
        } finally {
            if (letGo) {
                lifecycle.lock();
            }
        }
    }
}
