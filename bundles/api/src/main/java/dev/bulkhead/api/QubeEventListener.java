package dev.bulkhead.api;

import org.osgi.annotation.versioning.ConsumerType;

/**
 * Whiteboard service: every registered listener receives every event, in order, on a platform
 * thread that is not the caller's. A listener that throws is logged and keeps receiving.
 */
@ConsumerType
public interface QubeEventListener {
    void onEvent(QubeEvent event);
}
