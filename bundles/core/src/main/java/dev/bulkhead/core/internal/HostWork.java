package dev.bulkhead.core.internal;

import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.locks.ReentrantLock;
import java.util.function.Supplier;

/**
 * Runs work on the host where an interrupt of the caller cannot cut it in half. A client that hangs
 * up interrupts the thread of its command; a backend call interrupted halfway would leave a qube
 * half-stopped (its init gone, its netns kept) while the state says otherwise. So the work runs on a
 * thread of its own, which nobody interrupts, and the caller waits for it to end without heeding
 * interrupts, then gets its interrupt flag back to act on.
 */
final class HostWork {
    private final ReentrantLock lifecycle;
    private final ThreadLocal<Boolean> onWorkThread = ThreadLocal.withInitial(() -> false);
    private final ExecutorService threads = Executors.newCachedThreadPool(r -> {
        Thread t = new Thread(() -> {
            onWorkThread.set(true);
            r.run();
        }, "bulkhead-host-work");
        t.setDaemon(true);
        return t;
    });

    /** @param lifecycle the lock lifecycle work takes: a thread holding it runs its work itself */
    HostWork(ReentrantLock lifecycle) {
        this.lifecycle = lifecycle;
    }

    /** Runs the work to its end, or to its failure, which is thrown to the caller as it was thrown. */
    <T> T call(Supplier<T> work) {
        if (onWorkThread.get() || lifecycle.isHeldByCurrentThread()) {
            // out of a client's reach already, or holding the lock the work would wait for on another thread
            return work.get();
        }
        Future<T> result = threads.submit(work::get);
        boolean interrupted = false;
        try {
            while (true) {
                try {
                    return result.get();
                } catch (InterruptedException e) {
                    interrupted = true;
                } catch (ExecutionException e) {
                    if (e.getCause() instanceof RuntimeException r) {
                        throw r;
                    }
                    if (e.getCause() instanceof Error err) {
                        throw err;
                    }
                    throw new IllegalStateException(e.getCause());
                }
            }
        } finally {
            if (interrupted) {
                Thread.currentThread().interrupt();
            }
        }
    }

    void run(Runnable work) {
        call(() -> {
            work.run();
            return null;
        });
    }

    /**
     * Runs the work on a thread of its own, out of every caller's reach, and returns at once; what it
     * throws is the work's to report.
     *
     * @throws java.util.concurrent.RejectedExecutionException once closed
     */
    void runLater(Runnable work) {
        threads.execute(work);
    }

    /** Lets running work end; new work is refused. */
    void close() {
        threads.shutdown();
    }
}
