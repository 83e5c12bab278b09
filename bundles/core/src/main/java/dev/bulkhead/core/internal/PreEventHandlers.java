package dev.bulkhead.core.internal;

import java.time.Instant;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;

import org.osgi.framework.Constants;

import dev.bulkhead.api.EventVetoedException;
import dev.bulkhead.api.QubeEvent;
import dev.bulkhead.api.QubePreEventHandler;

/**
 * The registered {@link QubePreEventHandler}s, asked in turn before a start, a shutdown or a change;
 * the first refusal ends the request. A handler that throws refuses too: a broken check must not let
 * through what it was there to stop.
 */
final class PreEventHandlers {
    private final Map<QubePreEventHandler, String> handlers = new ConcurrentHashMap<>();

    /** @param properties the service's properties; its {@code component.name}, else its class, names it in a refusal */
    void add(QubePreEventHandler handler, Map<String, ?> properties) {
        Object name = properties.get("component.name");
        handlers.put(handler, name != null ? name.toString()
                : handler.getClass().getName() + "#" + properties.get(Constants.SERVICE_ID));
    }

    void remove(QubePreEventHandler handler) {
        handlers.remove(handler);
    }

    /** Asks every handler; throws the first refusal. */
    void check(String type, String qube, Map<String, String> data) {
        QubeEvent event = new QubeEvent(type, qube, data, Instant.now());
        for (Map.Entry<QubePreEventHandler, String> h : handlers.entrySet()) {
            Optional<String> reason;
            try {
                reason = h.getKey().veto(event);
            } catch (RuntimeException e) {
                reason = Optional.of("its check failed: " + e);
            }
            if (reason == null) {
                reason = Optional.of("it gave no answer");
            }
            if (reason.isPresent()) {
                throw new EventVetoedException(type, qube, h.getValue(), reason.get());
            }
        }
    }
}
