package dev.bulkhead.api;

import java.time.Instant;
import java.util.Map;
import java.util.Objects;

/**
 * An event of the platform, named as in Qubes. Every name the platform fires is a constant here,
 * with its payload ({@link #data()} keys); a name ending in {@code :} is followed by the property,
 * feature, tag or volume concerned.
 * <p>
 * Pre-events ({@link #DOMAIN_PRE_START}, {@link #DOMAIN_PRE_SHUTDOWN}, {@link #PROPERTY_PRE_SET},
 * {@link #PROPERTY_PRE_RESET}, {@link #FEATURE_PRE_SET}, {@link #FEATURE_PRE_DELETE}) go first, synchronously, to every
 * {@link QubePreEventHandler}, any of which may refuse the change; {@code domain-pre-start} and
 * {@code domain-pre-shutdown} then also reach the listeners. All other events reach the
 * {@link QubeEventListener}s after the change is made.
 * <p>
 * The template store fires its events with dom0 as the qube.
 */
public final class QubeEvent {
    /** A qube was created. Data: {@code template} for a disposable. */
    public static final String DOMAIN_ADD = "domain-add";
    /** A qube was removed. No data. */
    public static final String DOMAIN_DELETE = "domain-delete";
    /** A qube is about to start; a handler may refuse. No data. */
    public static final String DOMAIN_PRE_START = "domain-pre-start";
    /** A qube has started. No data. */
    public static final String DOMAIN_START = "domain-start";
    /** A start failed and was rolled back. Data: {@code reason}. */
    public static final String DOMAIN_START_FAILED = "domain-start-failed";
    /** A qube is about to shut down; a handler may refuse. No data. */
    public static final String DOMAIN_PRE_SHUTDOWN = "domain-pre-shutdown";
    /** A qube has stopped. Data: {@code reason} when it stopped by itself. */
    public static final String DOMAIN_SHUTDOWN = "domain-shutdown";
    /** A qube was paused. No data. */
    public static final String DOMAIN_PAUSED = "domain-paused";
    /** A qube was unpaused. No data. */
    public static final String DOMAIN_UNPAUSED = "domain-unpaused";
    /** Prefix, then the property: it is about to be set; a handler may refuse. Data: {@code newvalue}, {@code oldvalue}. */
    public static final String PROPERTY_PRE_SET = "property-pre-set:";
    /** Prefix, then the property: it is about to go back to its default; a handler may refuse. Data: {@code newvalue}, {@code oldvalue}. */
    public static final String PROPERTY_PRE_RESET = "property-pre-reset:";
    /** Prefix, then the property: it was set. Data: {@code newvalue}, and {@code oldvalue} or, when a refused move is undone, {@code reason}. */
    public static final String PROPERTY_SET = "property-set:";
    /** Prefix, then the property: it went back to its default. Data: {@code newvalue}, and {@code oldvalue} or {@code reason}. */
    public static final String PROPERTY_RESET = "property-reset:";
    /** Prefix, then the feature: it is about to be set; a handler may refuse. Data: {@code value}, and {@code oldvalue} if it had one. */
    public static final String FEATURE_PRE_SET = "feature-pre-set:";
    /** Prefix, then the feature: it is about to be removed; a handler may refuse. Data: {@code oldvalue}. */
    public static final String FEATURE_PRE_DELETE = "feature-pre-delete:";
    /** Prefix, then the feature: it was set. Data: {@code value} (absent when the platform emptied its own feature). */
    public static final String FEATURE_SET = "domain-feature-set:";
    /** Prefix, then the feature: it was removed. No data. */
    public static final String FEATURE_DELETE = "domain-feature-delete:";
    /** Prefix, then the tag: it was added. No data. */
    public static final String TAG_ADD = "domain-tag-add:";
    /** Prefix, then the tag: it was removed. No data. */
    public static final String TAG_DELETE = "domain-tag-delete:";
    /** Prefix, then the global property; the qube is dom0. Data: {@code newvalue}. */
    public static final String GLOBAL_PROPERTY_SET = "global-property-set:";
    /** A qube's firewall rules changed. Data: {@code rules} (their number), or {@code reason}. */
    public static final String FIREWALL_CHANGED = "firewall-changed";
    /** Prefix, then the volume: it was resized. Data: {@code size} in bytes. */
    public static final String VOLUME_RESIZE = "volume-resize:";
    /** Prefix, then the volume: it was reverted. Data: {@code revision}, or {@code latest}. */
    public static final String VOLUME_REVERT = "volume-revert:";
    /** Prefix, then the volume: its settings changed. Data: {@code revisions_to_keep}. */
    public static final String VOLUME_CONFIG = "volume-config:";
    /** Prefix, then the volume: data was imported into it. No data. */
    public static final String VOLUME_IMPORT = "volume-import:";
    /** A role became available; the qube is {@code null}. Data: {@code role}. */
    public static final String ROLE_ADD = "role-add";
    /** A role left; the qube is {@code null}. Data: {@code role}. */
    public static final String ROLE_REMOVE = "role-remove";
    /** A template install advanced. Data: {@code file}, {@code phase}, {@code done}, {@code total}. */
    public static final String TEMPLATE_INSTALL_PROGRESS = "template-install-progress";
    /** A template was installed. Data: {@code template}, {@code version}, {@code key} and what the store adds. */
    public static final String TEMPLATE_INSTALL = "template-install";
    /** A template install failed. Data: {@code file}, {@code reason}. */
    public static final String TEMPLATE_INSTALL_FAILED = "template-install-failed";
    /** A template was removed. Data: {@code template}. */
    public static final String TEMPLATE_REMOVE = "template-remove";

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
