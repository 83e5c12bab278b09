package dev.bulkhead.core.internal;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;

import com.fasterxml.jackson.databind.JsonNode;

/**
 * The stored state of the platform: qubes (dom0 excluded: it is always there), global
 * properties, and entries of the state file that could not be read, kept aside so that saving
 * writes them back unchanged. Changes are made on a copy, validated whole, saved, then published.
 */
final class Model {
    final TreeMap<String, QubeRecord> qubes = new TreeMap<>();
    final Map<String, String> global = new LinkedHashMap<>();
    final List<JsonNode> unreadable = new ArrayList<>();

    Model copy() {
        Model m = new Model();
        qubes.forEach((k, v) -> m.qubes.put(k, v.copy()));
        m.global.putAll(global);
        m.unreadable.addAll(unreadable);
        return m;
    }

    /** Names of the entries kept aside, as far as they can be read: they stay reserved. */
    java.util.Set<String> unreadableNames() {
        java.util.Set<String> names = new java.util.HashSet<>();
        unreadable.forEach(n -> {
            if (n.path("name").isTextual()) {
                names.add(n.path("name").asText());
            }
        });
        return names;
    }

    java.util.Set<Integer> unreadableQids() {
        java.util.Set<Integer> qids = new java.util.HashSet<>();
        unreadable.forEach(n -> {
            if (n.path("qid").canConvertToInt()) {
                qids.add(n.path("qid").asInt());
            }
        });
        return qids;
    }

    Optional<QubeRecord> find(String name) {
        return Optional.ofNullable(qubes.get(name));
    }
}
