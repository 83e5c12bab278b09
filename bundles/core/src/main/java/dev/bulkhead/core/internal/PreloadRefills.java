package dev.bulkhead.core.internal;

import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;

import dev.bulkhead.api.QubeEvent;
import dev.bulkhead.api.QubeEventListener;
import dev.bulkhead.api.QubeProperty;

/**
 * Keeps the pool of preloaded disposables in step with the platform's events: whatever may change
 * how many disposables a template wants ready, or how many it has, asks for a refill on the
 * worker. The refill's own events (a disposable added, started, paused, listed with its name) ask
 * for nothing, so that a refill does not feed itself.
 */
final class PreloadRefills implements QubeEventListener {
    private final ScheduledExecutorService worker;
    private final Runnable refill;
    private final long takenDelayMs;

    /** @param takenDelayMs how long after a ready disposable is handed out its successor is started */
    PreloadRefills(ScheduledExecutorService worker, Runnable refill, long takenDelayMs) {
        this.worker = worker;
        this.refill = refill;
        this.takenDelayMs = takenDelayMs;
    }

    @Override
    public void onEvent(QubeEvent event) {
        try {
            ask(event.type(), event);
        } catch (RejectedExecutionException e) {
            // the platform is stopping: no pool to keep
        }
    }

    private void ask(String type, QubeEvent event) {
        if (type.equals(QubeEvent.FEATURE_SET + Disposables.PRELOADED) && !event.data().containsKey("value")) {
            // a ready one was taken or dropped; starting the next at once would compete with the one just handed out
            worker.schedule(refill, takenDelayMs, TimeUnit.MILLISECONDS);
        } else if (type.equals(QubeEvent.FEATURE_SET + Disposables.PRELOAD_MAX)
                || type.equals(QubeEvent.FEATURE_DELETE + Disposables.PRELOAD_MAX)
                || type.equals(QubeEvent.DOMAIN_DELETE)
                || type.equals(QubeEvent.PROPERTY_SET + QubeProperty.TEMPLATE_FOR_DISPVMS.id())
                || type.equals(QubeEvent.PROPERTY_RESET + QubeProperty.TEMPLATE_FOR_DISPVMS.id())) {
            worker.execute(refill);
        }
    }
}
