package dev.bulkhead.templates.internal;

import java.lang.System.Logger.Level;
import java.time.Instant;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.TimeUnit;

import dev.bulkhead.api.QubeAdmin;
import dev.bulkhead.api.QubeEvent;
import dev.bulkhead.api.QubeEventListener;
import dev.bulkhead.api.template.InstallListener;

/** The store's events, told to the listeners on a thread of their own so that a slow listener holds up no install. */
final class StoreEvents {
    /** Logged under the store's name, where its operators look. */
    private static final System.Logger LOG = System.getLogger(TemplateStoreService.class.getName());

    private final List<QubeEventListener> listeners = new CopyOnWriteArrayList<>();
    private final ExecutorService eventThread = Executors.newSingleThreadExecutor(r -> {
        Thread t = new Thread(r, "bulkhead-template-events");
        t.setDaemon(true);
        return t;
    });

    void add(QubeEventListener listener) {
        listeners.add(listener);
    }

    void remove(QubeEventListener listener) {
        listeners.remove(listener);
    }

    void fire(String type, Map<String, String> data) {
        QubeEvent event = new QubeEvent(type, QubeAdmin.DOM0, data, Instant.now());
        try {
            eventThread.execute(() -> {
                for (QubeEventListener l : listeners) {
                    try {
                        l.onEvent(event);
                    } catch (RuntimeException e) {
                        LOG.log(Level.WARNING, "event listener " + l + " failed on " + event, e);
                    }
                }
            });
        } catch (RejectedExecutionException e) {
            // the store is going away: nobody is left to tell
        }
    }

    /** A listener that passes an install's progress on to {@code caller} and fires it as events. */
    InstallListener progressOf(String file, InstallListener caller) {
        return new ProgressEvents(file, caller);
    }

    void close() {
        eventThread.shutdown();
        try {
            eventThread.awaitTermination(5, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    /** Passes progress on, and fires it as events when the phase or the whole percent changes. */
    private final class ProgressEvents implements InstallListener {
        private final String file;
        private final InstallListener caller;
        private Phase lastPhase;
        private long lastPercent = -1;

        ProgressEvents(String file, InstallListener caller) {
            this.file = file;
            this.caller = caller;
        }

        @Override
        public void progress(Phase phase, long done, long total) {
            caller.progress(phase, done, total);
            long percent = total <= 0 ? 100 : done * 100 / total;
            if (phase != lastPhase || percent != lastPercent) {
                lastPhase = phase;
                lastPercent = percent;
                fire(QubeEvent.TEMPLATE_INSTALL_PROGRESS, Map.of("file", file, "phase", phase.name().toLowerCase(Locale.ROOT),
                        "done", Long.toString(done), "total", Long.toString(total)));
            }
        }
    }
}
