package dev.bulkhead.api;

import java.util.Map;
import java.util.Set;
import java.util.SortedMap;
import java.util.SortedSet;
import java.util.TreeMap;
import java.util.TreeSet;

/** An immutable snapshot of one qube: its identity, state, effective properties, features and tags. */
public final class Qube {
    private final String name;
    private final int qid;
    private final QubeClass klass;
    private final PowerState state;
    private final SortedMap<String, PropertyValue> properties;
    private final SortedMap<String, String> features;
    private final SortedSet<String> tags;

    public Qube(String name, int qid, QubeClass klass, PowerState state, Map<String, PropertyValue> properties,
            Map<String, String> features, Set<String> tags) {
        this.name = name;
        this.qid = qid;
        this.klass = klass;
        this.state = state;
        this.properties = java.util.Collections.unmodifiableSortedMap(new TreeMap<>(properties));
        this.features = java.util.Collections.unmodifiableSortedMap(new TreeMap<>(features));
        this.tags = java.util.Collections.unmodifiableSortedSet(new TreeSet<>(tags));
    }

    public String name() {
        return name;
    }

    public int qid() {
        return qid;
    }

    public QubeClass klass() {
        return klass;
    }

    public PowerState state() {
        return state;
    }

    /** Every property with its effective value and origin. */
    public SortedMap<String, PropertyValue> properties() {
        return properties;
    }

    public PropertyValue property(QubeProperty p) {
        return properties.get(p.id());
    }

    /** The effective value in text form; the empty string for an unset reference. */
    public String value(QubeProperty p) {
        PropertyValue v = properties.get(p.id());
        return v == null ? "" : v.value();
    }

    public Label label() {
        return Label.parse(value(QubeProperty.LABEL));
    }

    public SortedMap<String, String> features() {
        return features;
    }

    public SortedSet<String> tags() {
        return tags;
    }

    @Override
    public String toString() {
        return name + "[" + klass + ", qid " + qid + ", " + state + "]";
    }
}
