package dev.bulkhead.api;

import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Objects;

/** What {@link QubeAdmin#create} needs: a name, a class, a label and any properties to set. */
public final class QubeSpec {
    private final String name;
    private final QubeClass klass;
    private final Label label;
    private final Map<String, String> properties;

    public QubeSpec(String name, QubeClass klass, Label label, Map<String, String> properties) {
        this.name = name;
        this.klass = Objects.requireNonNull(klass, "klass");
        this.label = Objects.requireNonNull(label, "label");
        this.properties = Map.copyOf(new LinkedHashMap<>(properties));
    }

    public String name() {
        return name;
    }

    public QubeClass klass() {
        return klass;
    }

    public Label label() {
        return label;
    }

    /** Properties to set at creation, by name, in text form (e.g. {@code template} or {@code memory}). */
    public Map<String, String> properties() {
        return properties;
    }
}
