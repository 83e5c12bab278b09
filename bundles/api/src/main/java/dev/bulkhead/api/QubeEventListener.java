package dev.bulkhead.api;

import org.osgi.annotation.versioning.ConsumerType;

/**
 * Whiteboard service: every registered listener receives every event after the change it reports,
 * on a platform thread that is not the caller's. The events of one qube arrive in the order they
 * were fired; those of different qubes may interleave and may arrive at the same time on different
 * threads, so state a listener keeps across qubes must be thread-safe. A listener that is slow
 * holds up only its own deliveries; one that throws is logged and keeps receiving. The names are
 * the constants of {@link QubeEvent}.
 */
@ConsumerType
public interface QubeEventListener {
    void onEvent(QubeEvent event);
}
