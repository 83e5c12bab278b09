package dev.bulkhead.features.internal;

import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;

/**
 * One feature file in the OSGi Feature JSON format (Compendium R8, chapter 160): its id, bundles with their
 * start order, and configurations by PID. Only the parts the platform uses are read; a file that gets any
 * of them wrong is refused with the reason.
 *
 * @param name           the short name: the artifact id of the feature's id
 * @param id             the feature's id as written
 * @param description    its description, or its name when it has none
 * @param bundles        its bundles, sorted by start order (bundles without one last, in file order)
 * @param configurations default configuration by PID ({@code factory~name} for factory configurations)
 */
record FeatureFile(String name, String id, String description, List<Bundle> bundles,
        Map<String, Map<String, Object>> configurations) {

    /** A bundle of the feature. {@code startOrder} 0 means none given. */
    record Bundle(Coordinates coordinates, int startOrder) {
    }

    FeatureFile {
        bundles = List.copyOf(bundles);
        configurations = Map.copyOf(configurations);
    }

    static FeatureFile read(ObjectMapper mapper, Path file) {
        JsonNode root;
        try {
            root = mapper.readTree(file.toFile());
        } catch (JsonProcessingException e) {
            throw new InvalidFeatureFileException(file + ": not JSON: " + e.getOriginalMessage());
        } catch (IOException e) {
            throw new InvalidFeatureFileException(file + ": cannot be read: " + e.getMessage());
        }
        try {
            return parse(root);
        } catch (InvalidFeatureFileException e) {
            throw new InvalidFeatureFileException(file + ": " + e.getMessage());
        }
    }

    static FeatureFile parse(JsonNode root) {
        if (root == null || !root.isObject()) {
            throw new InvalidFeatureFileException("a feature is a JSON object");
        }
        String id = text(root, "id");
        Coordinates coordinates = Coordinates.parse(id);
        String description = root.hasNonNull("description") ? text(root, "description") : coordinates.artifactId();
        JsonNode bundleNodes = root.path("bundles");
        if (!bundleNodes.isArray()) {
            throw new InvalidFeatureFileException("'bundles' must be an array");
        }
        List<Bundle> bundles = new ArrayList<>();
        for (JsonNode b : bundleNodes) {
            String bundleId = b.isTextual() ? b.asText() : text(b, "id");
            JsonNode order = b.path("start-order");
            if (!order.isMissingNode() && !(order.isInt() && order.asInt() > 0)) {
                throw new InvalidFeatureFileException("bundle " + bundleId + ": 'start-order' must be a positive integer, not " + order);
            }
            bundles.add(new Bundle(Coordinates.parse(bundleId), order.isMissingNode() ? 0 : order.asInt()));
        }
        List<Bundle> sorted = new ArrayList<>(bundles);
        sorted.sort(Comparator.comparingInt(b -> b.startOrder() == 0 ? Integer.MAX_VALUE : b.startOrder()));
        Map<String, Map<String, Object>> configurations = new LinkedHashMap<>();
        JsonNode configNodes = root.path("configurations");
        if (!configNodes.isMissingNode()) {
            if (!configNodes.isObject()) {
                throw new InvalidFeatureFileException("'configurations' must be an object of PIDs");
            }
            for (Iterator<Map.Entry<String, JsonNode>> it = configNodes.fields(); it.hasNext();) {
                Map.Entry<String, JsonNode> pid = it.next();
                configurations.put(pid.getKey(), properties(pid.getKey(), pid.getValue()));
            }
        }
        return new FeatureFile(coordinates.artifactId(), id, description, sorted, configurations);
    }

    private static Map<String, Object> properties(String pid, JsonNode node) {
        if (!node.isObject()) {
            throw new InvalidFeatureFileException("configuration " + pid + " must be an object");
        }
        Map<String, Object> properties = new LinkedHashMap<>();
        for (Iterator<Map.Entry<String, JsonNode>> it = node.fields(); it.hasNext();) {
            Map.Entry<String, JsonNode> p = it.next();
            properties.put(p.getKey(), value(pid, p.getKey(), p.getValue()));
        }
        return properties;
    }

    private static Object value(String pid, String key, JsonNode v) {
        if (v.isTextual()) {
            return v.asText();
        }
        if (v.isBoolean()) {
            return v.asBoolean();
        }
        if (v.isIntegralNumber()) {
            if (!v.canConvertToLong()) {
                // asLong would wrap it round to some other number
                throw new InvalidFeatureFileException("configuration " + pid + ": '" + key + "' is " + v
                        + ", beyond the 64-bit integers a configuration holds");
            }
            return v.asLong();
        }
        if (v.isArray()) {
            List<String> items = new ArrayList<>();
            for (JsonNode item : v) {
                if (!item.isTextual()) {
                    throw new InvalidFeatureFileException("configuration " + pid + ": '" + key + "' arrays hold strings only");
                }
                items.add(item.asText());
            }
            return items.toArray(String[]::new);
        }
        throw new InvalidFeatureFileException("configuration " + pid + ": '" + key + "' must be a string, boolean, integer or"
                + " array of strings, not " + v);
    }

    private static String text(JsonNode node, String field) {
        JsonNode v = node.path(field);
        if (!v.isTextual() || v.asText().isBlank()) {
            throw new InvalidFeatureFileException("'" + field + "' must be a non-empty string");
        }
        return v.asText();
    }
}
