package dev.bulkhead.core.internal;

import java.lang.System.Logger.Level;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;

import dev.bulkhead.api.QubeEvent;
import dev.bulkhead.api.QubeEventListener;

/**
 * Delivers events to every listener, in the order they were fired, on one thread of its own so
 * that a slow listener never holds up the operation that fired the event.
 */
final class EventDispatcher {
    private static final System.Logger LOG = System.getLogger(EventDispatcher.class.getName());
    private final List<QubeEventListener> listeners = new CopyOnWriteArrayList<>();
    private final ExecutorService thread = Executors.newSingleThreadExecutor(r -> {
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
        thread.execute(() -> {
            for (QubeEventListener l : listeners) {
                try {
                    l.onEvent(event);
                } catch (RuntimeException e) {
                    LOG.log(Level.WARNING, "event listener " + l + " failed on " + event, e);
                }
            }
        });
    }

    void fire(String type, String qube) {
        fire(type, qube, Map.of());
    }

    /** Delivers what is queued, then stops. */
    void close() {
        thread.shutdown();
        try {
            thread.awaitTermination(5, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
