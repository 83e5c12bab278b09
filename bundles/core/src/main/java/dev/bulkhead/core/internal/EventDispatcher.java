package dev.bulkhead.core.internal;

import java.lang.System.Logger.Level;
import java.time.Instant;
import java.util.ArrayDeque;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;

import dev.bulkhead.api.QubeEvent;
import dev.bulkhead.api.QubeEventListener;

/**
 * Delivers events to every listener after the operation that fired them. Each listener has one
 * queue per qube, drained by a pooled thread: a qube's events reach a listener in the order they
 * were fired, while a slow listener, or a busy qube, holds up nothing but its own queue.
 */
final class EventDispatcher {
    private static final System.Logger LOG = System.getLogger(EventDispatcher.class.getName());

    private record Key(QubeEventListener listener, String qube) {
    }

    private final List<QubeEventListener> listeners = new CopyOnWriteArrayList<>();
    /** Queues with a drain under way; a key is present exactly while a thread is draining it. */
    private final Map<Key, ArrayDeque<QubeEvent>> queues = new HashMap<>();
    private final ExecutorService pool = Executors.newCachedThreadPool(r -> {
        Thread t = new Thread(r, "bulkhead-events");
        t.setDaemon(true);
        return t;
    });

    void add(QubeEventListener l) {
        listeners.add(l);
    }

    void remove(QubeEventListener l) {
        listeners.remove(l);
    }

    void fire(String type, String qube, Map<String, String> data) {
        QubeEvent event = new QubeEvent(type, qube, data, Instant.now());
        for (QubeEventListener l : listeners) {
            Key key = new Key(l, String.valueOf(qube));
            synchronized (queues) {
                ArrayDeque<QubeEvent> queue = queues.get(key);
                if (queue != null) {
                    queue.add(event);
                    continue;
                }
                queues.put(key, new ArrayDeque<>());
            }
            try {
                pool.execute(() -> drain(key, event));
            } catch (java.util.concurrent.RejectedExecutionException e) {
                // closed: events after deactivation reach no one
                synchronized (queues) {
                    queues.remove(key);
                }
            }
        }
    }

    void fire(String type, String qube) {
        fire(type, qube, Map.of());
    }

    private void drain(Key key, QubeEvent first) {
        QubeEvent next = first;
        while (next != null) {
            if (listeners.contains(key.listener())) {
                try {
                    key.listener().onEvent(next);
                } catch (RuntimeException e) {
                    LOG.log(Level.WARNING, "event listener " + key.listener() + " failed on " + next, e);
                }
            }
            synchronized (queues) {
                next = queues.get(key).poll();
                if (next == null) {
                    queues.remove(key);
                    queues.notifyAll();
                }
            }
        }
    }

    /** Delivers what is queued, waiting at most a few seconds for slow listeners, then stops. */
    void close() {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(5);
        synchronized (queues) {
            long left;
            while (!queues.isEmpty() && (left = deadline - System.nanoTime()) > 0) {
                try {
                    TimeUnit.NANOSECONDS.timedWait(queues, left);
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                    break;
                }
            }
        }
        pool.shutdown();
    }
}
