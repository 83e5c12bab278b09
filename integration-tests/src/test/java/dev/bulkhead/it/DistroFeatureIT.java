package dev.bulkhead.it;

import static org.junit.Assert.assertEquals;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.stream.Stream;

import org.junit.Test;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;

/**
 * The distribution is assembled from the feature files: the launcher starts the base feature, the feature
 * repository holds every feature's bundles at their versions, and etc/ holds every feature's default configuration.
 */
public class DistroFeatureIT {
    private final Path workspace = Path.of(System.getProperty("bulkhead.it.workspace", "..")).toAbsolutePath();

    private List<JsonNode> features() throws IOException {
        List<JsonNode> all = new ArrayList<>();
        try (Stream<Path> files = Files.list(workspace.resolve("features"))) {
            for (Path f : files.filter(f -> f.toString().endsWith(".json")).sorted().toList()) {
                all.add(new ObjectMapper().readTree(f.toFile()));
            }
        }
        return all;
    }

    private static String fileName(String coordinates) {
        String[] gav = coordinates.split(":");
        return gav[1] + "-" + gav[gav.length - 1] + ".jar";
    }

    @Test
    public void theLauncherStartsExactlyTheBaseFeature() throws IOException {
        Set<String> expected = new TreeSet<>();
        for (JsonNode feature : features()) {
            if (feature.path("id").asText().startsWith("dev.bulkhead:base:")) {
                feature.path("bundles").forEach(b -> expected.add(fileName(b.path("id").asText())));
            }
        }
        Set<String> shipped = new TreeSet<>();
        try (Stream<Path> files = Files.list(workspace.resolve("distro/target/bulkhead/bundle"))) {
            files.forEach(f -> shipped.add(f.getFileName().toString()));
        }
        assertEquals(expected, shipped);
    }

    @Test
    public void theFeatureRepositoryHoldsEveryBundleOfEveryFeatureAndNothingElse() throws IOException {
        Set<String> expected = new TreeSet<>();
        for (JsonNode feature : features()) {
            for (JsonNode bundle : feature.path("bundles")) {
                String[] gav = bundle.path("id").asText().split(":");
                expected.add(gav[0].replace('.', '/') + "/" + gav[1] + "/" + gav[gav.length - 1] + "/" + fileName(bundle.path("id").asText()));
            }
        }
        Path system = workspace.resolve("distro/target/bulkhead/system");
        Set<String> shipped = new TreeSet<>();
        try (Stream<Path> files = Files.walk(system)) {
            files.filter(Files::isRegularFile).forEach(f -> shipped.add(system.relativize(f).toString()));
        }
        assertEquals(expected, shipped);
    }

    @Test
    public void theFeatureFilesShipAsTheyAre() throws IOException {
        try (Stream<Path> files = Files.list(workspace.resolve("features"))) {
            for (Path f : files.filter(f -> f.toString().endsWith(".json")).toList()) {
                assertEquals(f.toString(), Files.readString(f),
                        Files.readString(workspace.resolve("distro/target/bulkhead/features").resolve(f.getFileName())));
            }
        }
    }

    @Test
    public void distroConfigurationIsTheFeatureConfiguration() throws IOException {
        for (JsonNode feature : features()) {
            checkConfigurations(feature.path("configurations"));
        }
    }

    private void checkConfigurations(JsonNode configurations) throws IOException {
        for (Map.Entry<String, JsonNode> pid : (Iterable<Map.Entry<String, JsonNode>>) configurations::fields) {
            Properties cfg = new Properties();
            try (var in = Files.newInputStream(workspace.resolve("distro/target/bulkhead/etc/" + pid.getKey() + ".cfg"))) {
                cfg.load(in);
            }
            Map<String, String> expected = new TreeMap<>();
            pid.getValue().fields().forEachRemaining(e -> expected.put(e.getKey(), e.getValue().asText()));
            Map<String, String> actual = new TreeMap<>();
            cfg.stringPropertyNames().forEach(k -> actual.put(k, cfg.getProperty(k)));
            assertEquals("configuration " + pid.getKey(), expected, actual);
        }
    }
}
