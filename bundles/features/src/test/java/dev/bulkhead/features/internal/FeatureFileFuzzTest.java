package dev.bulkhead.features.internal;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.math.BigInteger;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;

import org.junit.jupiter.api.DynamicTest;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestFactory;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;

import dev.bulkhead.fuzz.Fuzz;

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
    private static final List<String> REPLACED = List.of("\"g:late:1\"", "100", "true", "2", "\"a.pid\"", "[\"x\", \"y\"]", "\"roles\"",
            "{ \"id\": \"g:late:1\" }", "\"dev.bulkhead:networking:osgifeature:1.2.0\"");
    private static final List<String> REPLACEMENTS = List.of("null", "-1", "0", "1.5", "1e3", "2147483648", "99999999999999999999",
            "-99999999999999999999", "\"\"", "\" \"", "[]", "{}", "[null]", "[1]", "\"g:../x:1\"", "\"g:a:b:c:d:e\"", "\"g::1\"",
            "\"g:a:1\\u0000\"", "\"é:a:1\"", "{ \"x\": 1 }");

    @Test
    void anyFileIsAFeatureOrARefusalByName() {
        Fuzz.forAll(20261204L, 800, FeatureFileFuzzTest::file, FeatureFileFuzzTest::readOrRefuse);
    }

    @TestFactory
    Stream<DynamicTest> everyCorpusCaseIsAFeatureOrARefusal() {
        assertTrue(Fuzz.corpusFiles(FeatureFileFuzzTest.class, "corpus").size() >= 10, "the corpus is there");
        return Fuzz.corpus(FeatureFileFuzzTest.class, "corpus", FeatureFileFuzzTest::readOrRefuse);
    }

    private static void readOrRefuse(String json) throws IOException {
        readOrRefuse(json.getBytes(java.nio.charset.StandardCharsets.UTF_8));
    }

    /** Reads the bytes as a feature file on disk, as the features bundle reads one. */
    private static void readOrRefuse(byte[] content) throws IOException {
        Path file = Files.createTempFile("feature-", ".json");
        try {
            Files.write(file, content);
            readOrRefuse(file);
        } finally {
            Files.delete(file);
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

    /** The valid file, with one value replaced by a hostile one, with one character replaced, or random text. */
    private static String file(Random r) {
        return switch (r.nextInt(10)) {
            case 0 -> VALID;
            case 1, 2, 3, 4, 5 -> VALID.replaceFirst(Pattern.quote(Fuzz.oneOf(r, REPLACED)), Matcher.quoteReplacement(Fuzz.oneOf(r, REPLACEMENTS)));
            case 6, 7, 8 -> {
                int at = r.nextInt(VALID.length());
                char c = r.nextBoolean() ? (char) r.nextInt(0x80) : Fuzz.oneOf(r, '{', '}', '[', ']', '"', ':', ',', '\0', '9');
                yield VALID.substring(0, at) + c + VALID.substring(at + 1);
            }
            default -> Fuzz.hostileString(r, 100);
        };
    }
}
