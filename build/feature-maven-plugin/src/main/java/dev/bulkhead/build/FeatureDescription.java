package dev.bulkhead.build;

import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;

/**
 * What the assembly needs of a feature file (OSGi Feature JSON): its name, its bundles with their start order,
 * and its configurations with scalar values.
 */
record FeatureDescription(Path file, String name, List<BundleRef> bundles, Map<String, Map<String, String>> configurations) {

    record BundleRef(String coordinates, int startOrder) {
    }

    static FeatureDescription read(Path file) throws IOException {
        JsonNode root = new ObjectMapper().readTree(file.toFile());
        String id = root.path("id").asText();
        String[] parts = id.split(":");
        if (parts.length < 3) {
            throw new IllegalArgumentException(file + ": 'id' must be groupId:artifactId[:type[:classifier]]:version, not '" + id + "'");
        }
        List<BundleRef> bundles = new ArrayList<>();
        for (JsonNode b : root.path("bundles")) {
            String coordinates = b.isTextual() ? b.asText() : b.path("id").asText();
            if (coordinates.split(":").length < 3 || coordinates.split(":").length > 5) {
                throw new IllegalArgumentException(file + ": bundle '" + coordinates + "' is not groupId:artifactId[:type[:classifier]]:version");
            }
            bundles.add(new BundleRef(coordinates, b.path("start-order").asInt(0)));
        }
        Map<String, Map<String, String>> configurations = new LinkedHashMap<>();
        for (Iterator<Map.Entry<String, JsonNode>> it = root.path("configurations").fields(); it.hasNext();) {
            Map.Entry<String, JsonNode> pid = it.next();
            Map<String, String> values = new LinkedHashMap<>();
            for (Iterator<Map.Entry<String, JsonNode>> p = pid.getValue().fields(); p.hasNext();) {
                Map.Entry<String, JsonNode> v = p.next();
                if (!v.getValue().isValueNode()) {
                    throw new IllegalArgumentException(file + ": configuration " + pid.getKey() + " '" + v.getKey()
                            + "': a .cfg file holds strings, numbers and booleans only");
                }
                values.put(v.getKey(), v.getValue().asText());
            }
            configurations.put(pid.getKey(), values);
        }
        return new FeatureDescription(file, parts[1], bundles, configurations);
    }
}
