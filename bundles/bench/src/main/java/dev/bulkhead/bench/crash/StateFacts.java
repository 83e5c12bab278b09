package dev.bulkhead.bench.crash;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;

import com.fasterxml.jackson.databind.JsonNode;

import dev.bulkhead.api.json.JsonMappers;

/**
 * What the platform must show after a restart. Facts are keyed {@code qube/what}: {@code c0/exists},
 * {@code c0/label}, {@code c0/memory}, {@code c0/feature/k0}, {@code c0/tag/t1}, {@code c0/fw/192.0.2.7},
 * {@code c0/power}. A write acknowledged ({@code bin/client} returned 0) makes its fact certain; a write
 * whose command a crash cut off may or may not have happened, so the facts it touches are not checked
 * until the platform has been read again.
 */
final class StateFacts {
    private final Map<String, String> expected = new TreeMap<>();
    private final Set<String> uncertain = new HashSet<>();
    private final Set<String> uncertainQubes = new HashSet<>();

    /** Starts over from what the platform shows now. */
    void reset(Map<String, String> actual) {
        expected.clear();
        expected.putAll(actual);
        uncertain.clear();
        uncertainQubes.clear();
    }

    /** An acknowledged write of one fact; a null value means the fact is gone. */
    void set(String key, String value) {
        uncertain.remove(key);
        if (value == null) {
            expected.remove(key);
        } else {
            expected.put(key, value);
        }
    }

    /** An acknowledged creation or removal: the qube's facts start over. */
    void replaceQube(String qube, Map<String, String> facts) {
        expected.keySet().removeIf(k -> k.startsWith(qube + "/"));
        uncertain.removeIf(k -> k.startsWith(qube + "/"));
        uncertainQubes.remove(qube);
        expected.putAll(facts);
    }

    void unsure(String key) {
        uncertain.add(key);
    }

    void unsureOfQube(String qube) {
        uncertainQubes.add(qube);
    }

    String expected(String key) {
        return expected.get(key);
    }

    /** The acknowledged facts the platform no longer shows, one line each. */
    List<String> lost(Map<String, String> actual) {
        List<String> lost = new ArrayList<>();
        for (Map.Entry<String, String> e : expected.entrySet()) {
            String key = e.getKey();
            if (uncertain.contains(key) || uncertainQubes.contains(key.substring(0, key.indexOf('/')))) {
                continue;
            }
            if (!e.getValue().equals(actual.get(key))) {
                lost.add(key + ": acknowledged " + e.getValue() + ", found " + actual.get(key));
            }
        }
        return lost;
    }

    /**
     * The facts of the given qubes as the state file holds them, with each qube's power state as
     * {@code qvm:ls} shows it.
     */
    static Map<String, String> read(Path stateFile, Map<String, String> power, List<String> qubes) {
        JsonNode state;
        try {
            state = JsonMappers.create().readTree(Files.readString(stateFile));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        Map<String, String> facts = new TreeMap<>();
        for (String qube : qubes) {
            facts.put(qube + "/exists", "false");
        }
        for (JsonNode q : state.path("qubes")) {
            String name = q.path("name").asText();
            if (!qubes.contains(name)) {
                continue;
            }
            facts.put(name + "/exists", "true");
            facts.put(name + "/label", q.path("properties").path("label").asText("-"));
            facts.put(name + "/memory", q.path("properties").path("memory").asText("default"));
            q.path("features").fields().forEachRemaining(f -> facts.put(name + "/feature/" + f.getKey(), f.getValue().asText()));
            q.path("tags").forEach(t -> facts.put(name + "/tag/" + t.asText(), "true"));
            for (JsonNode rule : q.path("firewall")) {
                for (String part : rule.asText().split(" ")) {
                    if (part.startsWith("dsthost=")) {
                        facts.put(name + "/fw/" + part.substring("dsthost=".length()).replace("/32", ""), "true");
                    }
                }
            }
            facts.put(name + "/power", power.getOrDefault(name, "absent"));
        }
        return facts;
    }
}
