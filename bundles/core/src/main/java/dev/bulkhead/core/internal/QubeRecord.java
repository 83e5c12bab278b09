package dev.bulkhead.core.internal;

import java.util.LinkedHashMap;
import java.util.Map;
import java.util.TreeMap;
import java.util.TreeSet;

import dev.bulkhead.api.QubeClass;

/** What is stored of one qube: identity, the properties set on it, features and tags. */
final class QubeRecord {
    final String name;
    final int qid;
    final QubeClass klass;
    /** Only the values set on this qube; absent means the default applies. */
    final Map<String, String> properties;
    final Map<String, String> features;
    final TreeSet<String> tags;

    QubeRecord(String name, int qid, QubeClass klass, Map<String, String> properties, Map<String, String> features,
            java.util.Collection<String> tags) {
        this.name = name;
        this.qid = qid;
        this.klass = klass;
        this.properties = new LinkedHashMap<>(properties);
        this.features = new TreeMap<>(features);
        this.tags = new TreeSet<>(tags);
    }

    QubeRecord copy() {
        return new QubeRecord(name, qid, klass, properties, features, tags);
    }

    String own(String property) {
        return properties.get(property);
    }
}
