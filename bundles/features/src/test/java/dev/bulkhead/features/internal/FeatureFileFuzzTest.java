package dev.bulkhead.features.internal;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.math.BigInteger;
import java.net.URISyntaxException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;

import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.Combinators;
import net.jqwik.api.Example;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;
import net.jqwik.api.Tuple;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;

/**
 * Fuzzes feature files: any file is a feature or an {@link InvalidFeatureFileException} naming the
 * file and the fault, never another exception; every bundle's coordinates print as text that parses
 * back to them; every integer given to a configuration is the number the file holds. The corpus
 * beside this class replays each hostile case found so far, one file per case.
 */
class FeatureFileFuzzTest {
    private static final ObjectMapper MAPPER = new ObjectMapper();
    private static final String VALID = """
            { "feature-resource-version": "1.0", "id": "dev.bulkhead:networking:osgifeature:1.2.0", "description": "roles",
              "bundles": [ { "id": "g:late:1" }, { "id": "g:second:2", "start-order": 2 }, "g:also:jar:tests:1" ],
              "configurations": { "a.pid": { "mode": "none", "poll": 100, "on": true, "list": ["x", "y"] }, "factory~name": {} } }""";

    @Property(tries = 800, seed = "20261204")
    void anyFileIsAFeatureOrARefusalByName(@ForAll("files") String json) throws IOException {
        Path file = Files.createTempFile("feature-", ".json");
        try {
            Files.writeString(file, json, StandardCharsets.UTF_8);
            readOrRefuse(file);
        } finally {
            Files.delete(file);
        }
    }

    @Example
    void everyCorpusCaseIsAFeatureOrARefusal() throws IOException, URISyntaxException {
        Path dir = Path.of(FeatureFileFuzzTest.class.getResource("corpus").toURI());
        List<Path> cases;
        try (Stream<Path> files = Files.list(dir)) {
            cases = files.sorted().toList();
        }
        assertTrue(cases.size() >= 10, cases.toString());
        for (Path c : cases) {
            readOrRefuse(c);
        }
    }

    private static void readOrRefuse(Path file) throws IOException {
        FeatureFile feature;
        try {
            feature = FeatureFile.read(MAPPER, file);
        } catch (InvalidFeatureFileException e) {
            assertTrue(e.getMessage().startsWith(file.toString() + ": "), e.getMessage());
            return;
        }
        for (FeatureFile.Bundle b : feature.bundles()) {
            assertEquals(b.coordinates(), Coordinates.parse(b.coordinates().toString()));
        }
        JsonNode configurations = MAPPER.readTree(file.toFile()).path("configurations");
        for (Map.Entry<String, Map<String, Object>> pid : feature.configurations().entrySet()) {
            for (Map.Entry<String, Object> p : pid.getValue().entrySet()) {
                if (p.getValue() instanceof Long number) {
                    BigInteger written = configurations.path(pid.getKey()).path(p.getKey()).bigIntegerValue();
                    assertEquals(written, BigInteger.valueOf(number), pid.getKey() + " " + p.getKey());
                }
            }
        }
    }

    @Provide
    Arbitrary<String> files() {
        Arbitrary<String> replaced = Combinators.combine(
                Arbitraries.of("\"g:late:1\"", "100", "true", "2", "\"a.pid\"", "[\"x\", \"y\"]", "\"roles\"", "{ \"id\": \"g:late:1\" }",
                        "\"dev.bulkhead:networking:osgifeature:1.2.0\""),
                Arbitraries.of("null", "-1", "0", "1.5", "1e3", "2147483648", "99999999999999999999", "-99999999999999999999", "\"\"", "\" \"",
                        "[]", "{}", "[null]", "[1]", "\"g:../x:1\"", "\"g:a:b:c:d:e\"", "\"g::1\"", "\"g:a:1\\u0000\"", "\"é:a:1\"", "{ \"x\": 1 }"))
                .as((what, with) -> VALID.replaceFirst(java.util.regex.Pattern.quote(what), java.util.regex.Matcher.quoteReplacement(with)));
        Arbitrary<Character> any = Arbitraries.oneOf(Arbitraries.chars().ascii(), Arbitraries.of('{', '}', '[', ']', '"', ':', ',', '\0', '9'));
        Arbitrary<String> mutated = Combinators.combine(Arbitraries.integers().between(0, VALID.length() - 1), any)
                .as((at, c) -> VALID.substring(0, at) + c + VALID.substring(at + 1));
        return Arbitraries.frequencyOf(Tuple.of(1, Arbitraries.just(VALID)), Tuple.of(5, replaced), Tuple.of(3, mutated),
                Tuple.of(1, Arbitraries.strings().ofMaxLength(100)));
    }
}
