package dev.bulkhead.api;

import java.util.Objects;

/**
 * A property's value with where it comes from. {@code source} is {@code null} for a value set on
 * the qube itself, otherwise it says which default applies (e.g. {@code "global default_netvm"}).
 * An unset reference (no netvm) has the empty string as its value.
 */
public final class PropertyValue {
    private final String value;
    private final String source;

    private PropertyValue(String value, String source) {
        this.value = Objects.requireNonNull(value);
        this.source = source;
    }

    public static PropertyValue set(String value) {
        return new PropertyValue(value, null);
    }

    public static PropertyValue byDefault(String value, String source) {
        return new PropertyValue(value, Objects.requireNonNull(source));
    }

    /** The effective value in its text form. */
    public String value() {
        return value;
    }

    public boolean isDefault() {
        return source != null;
    }

    /** Where a default comes from; {@code null} when the value is set on the qube. */
    public String source() {
        return source;
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof PropertyValue p && p.value.equals(value) && Objects.equals(p.source, source);
    }

    @Override
    public int hashCode() {
        return Objects.hash(value, source);
    }

    @Override
    public String toString() {
        return source == null ? value : value + " (default: " + source + ")";
    }
}
