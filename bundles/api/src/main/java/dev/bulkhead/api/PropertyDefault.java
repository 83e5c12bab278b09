package dev.bulkhead.api;

import java.util.Objects;

/**
 * Where a property's value comes from when the qube has none of its own, as declared by
 * {@link QubeProperty#defaultValue()}. The core computes it; this says how, for the core and for
 * the documentation.
 */
public final class PropertyDefault {
    /** How the default is found. */
    public enum Kind {
        /** The platform keeps the value: the property is read-only. */
        PLATFORM,
        /** One value for every qube of the class; {@link #value()} holds it. */
        FIXED,
        /** Every qube has its own value from its creation; {@link #value()} stands in for one an old state file lacks. It cannot be reset. */
        REQUIRED,
        /** The template's value, else {@link #value()}. */
        FROM_TEMPLATE,
        /** The global property {@link #value()}. */
        FROM_GLOBAL,
        /**
         * The netvm rule: none for a TemplateVM or a qube that provides network itself, the template's
         * for a DispVM, else the global {@code default_netvm}.
         */
        NETVM
    }

    private final Kind kind;
    private final String value;

    private PropertyDefault(Kind kind, String value) {
        this.kind = kind;
        this.value = Objects.requireNonNull(value);
    }

    public static PropertyDefault platform() {
        return new PropertyDefault(Kind.PLATFORM, "");
    }

    public static PropertyDefault fixed(String value) {
        return new PropertyDefault(Kind.FIXED, value);
    }

    public static PropertyDefault required(String fallback) {
        return new PropertyDefault(Kind.REQUIRED, fallback);
    }

    public static PropertyDefault fromTemplate(String fallback) {
        return new PropertyDefault(Kind.FROM_TEMPLATE, fallback);
    }

    public static PropertyDefault fromGlobal(String global) {
        return new PropertyDefault(Kind.FROM_GLOBAL, global);
    }

    public static PropertyDefault netvm(String global) {
        return new PropertyDefault(Kind.NETVM, global);
    }

    public Kind kind() {
        return kind;
    }

    /** The fixed value or fallback, or the global property's name; in text form, empty for none. */
    public String value() {
        return value;
    }

    /** Whether the qube's own value may be removed to go back to this default. */
    public boolean resettable() {
        return kind != Kind.PLATFORM && kind != Kind.REQUIRED;
    }

    /** The default in words, as {@code help} and the README show it. */
    public String describe() {
        return switch (kind) {
            case PLATFORM -> "set by the platform";
            case FIXED -> value.isEmpty() ? "none" : value;
            case REQUIRED -> "given at creation (" + value + " if missing)";
            case FROM_TEMPLATE -> "the template's, else " + (value.isEmpty() ? "none" : value);
            case FROM_GLOBAL -> "global " + value;
            case NETVM -> "global " + value + "; none for a TemplateVM or a qube that provides network, the template's for a DispVM";
        };
    }

    @Override
    public String toString() {
        return describe();
    }
}
