package dev.bulkhead.api;

import java.time.Instant;
import java.util.Map;
import java.util.Objects;

/**
 * An event of the platform, named as in Qubes: {@code domain-add}, {@code domain-delete},
 * {@code domain-pre-start}, {@code domain-start}, {@code domain-start-failed},
 * {@code domain-pre-shutdown}, {@code domain-shutdown}, {@code domain-paused},
 * {@code domain-unpaused}, {@code property-set:<name>}, {@code property-reset:<name>},
 * {@code domain-feature-set:<key>}, {@code domain-feature-delete:<key>}, {@code domain-tag-add:<tag>},
 * {@code domain-tag-delete:<tag>}, {@code global-property-set:<name>}; for volumes
 * {@code volume-resize:<volume>}, {@code volume-revert:<volume>}, {@code volume-config:<volume>},
 * {@code volume-import:<volume>}. The template store fires {@code template-install-progress} (data
 * {@code template}, {@code phase}, {@code done}, {@code total}), {@code template-install},
 * {@code template-install-failed} and {@code template-remove}, with dom0 as the qube.
 */
public final class QubeEvent {
    private final String type;
    private final String qube;
    private final Map<String, String> data;
    private final Instant time;

    public QubeEvent(String type, String qube, Map<String, String> data, Instant time) {
        this.type = Objects.requireNonNull(type);
        this.qube = qube;
        this.data = Map.copyOf(data);
        this.time = Objects.requireNonNull(time);
    }

    /** The event name, e.g. {@code domain-start} or {@code property-set:netvm}. */
    public String type() {
        return type;
    }

    /** The qube concerned; {@code dom0} for global events. */
    public String qube() {
        return qube;
    }

    /** Details, e.g. {@code newvalue} and {@code oldvalue} for a property change. */
    public Map<String, String> data() {
        return data;
    }

    public Instant time() {
        return time;
    }

    @Override
    public String toString() {
        return type + " " + qube + (data.isEmpty() ? "" : " " + data);
    }
}
