package dev.bulkhead.api;

import java.util.Optional;

import org.osgi.annotation.versioning.ConsumerType;

/**
 * Whiteboard service: is asked, synchronously and before anything changes, about every pre-event
 * ({@link QubeEvent#DOMAIN_PRE_START}, {@link QubeEvent#DOMAIN_PRE_SHUTDOWN},
 * {@link QubeEvent#PROPERTY_PRE_SET}, {@link QubeEvent#PROPERTY_PRE_RESET},
 * {@link QubeEvent#FEATURE_PRE_SET}, {@link QubeEvent#FEATURE_PRE_DELETE}). Any handler may refuse: the request then fails with an
 * {@link EventVetoedException} carrying its reason, and nothing changes. It runs while the platform
 * holds the qube's lock, so it must answer quickly and must not change qubes itself; a handler that
 * throws refuses.
 */
@ConsumerType
public interface QubePreEventHandler {
    /** @return empty to let the change happen, or the reason to refuse it, in words for the user */
    Optional<String> veto(QubeEvent event);
}
