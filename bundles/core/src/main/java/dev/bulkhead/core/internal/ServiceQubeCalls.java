package dev.bulkhead.core.internal;

import java.util.HashMap;
import java.util.Map;
import java.util.concurrent.locks.ReentrantLock;

/**
 * Runs a role's calls for a service qube without the core's lifecycle lock: such a call runs
 * commands inside the qube, which a hung or hostile qube can hold up to their bound, and every other
 * command of the platform would wait that long. The calls for one service qube still run one at a
 * time, in the order they come, under a lock of that qube's own, which is kept only while calls for
 * the qube run or wait: qubes come and go, and their locks must not pile up.
 */
final class ServiceQubeCalls {
    private final ReentrantLock lifecycle;
    /** Guarded by itself. */
    private final Map<String, OwnLock> perQube = new HashMap<>();

    /** A service qube's lock, and how many calls hold it or wait for it. */
    private static final class OwnLock {
        final ReentrantLock lock = new ReentrantLock(true);
        int users;
    }

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
        OwnLock own;
        synchronized (perQube) {
            own = perQube.computeIfAbsent(serviceQube, n -> new OwnLock());
            own.users++;
        }
        try {
            own.lock.lock();
            try {
                call.run();
            } finally {
                own.lock.unlock();
            }
        } finally {
            synchronized (perQube) {
                if (--own.users == 0) {
                    perQube.remove(serviceQube);
                }
            }
            if (letGo) {
                lifecycle.lock();
            }
        }
    }

    /** How many service qubes have a lock of their own now. */
    int qubesWithCalls() {
        synchronized (perQube) {
            return perQube.size();
        }
    }
}
