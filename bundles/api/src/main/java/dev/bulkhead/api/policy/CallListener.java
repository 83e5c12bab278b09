package dev.bulkhead.api.policy;

import org.osgi.annotation.versioning.ConsumerType;

/**
 * Told of every call the {@link CallLog} records. Register as a whiteboard service; calls must return quickly.
 *
 * @since 1.1
 */
@ConsumerType
public interface CallListener {
    void recorded(CallRecord call);
}
