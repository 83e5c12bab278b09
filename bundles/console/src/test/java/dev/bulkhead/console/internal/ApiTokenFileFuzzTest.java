package dev.bulkhead.console.internal;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.SecureRandom;
import java.time.Instant;
import java.util.List;

import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.Example;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;

/**
 * The token file reader fed hostile files: the checked-in corpus, arbitrary bytes and token-shaped
 * JSON. It either reads tokens that pass every check or refuses the file with an
 * {@link IllegalStateException}; nothing else escapes. A store over such a file fails closed: it
 * accepts no token and leaves the file as it was.
 */
class ApiTokenFileFuzzTest {
    private final ApiTokenFile reader = new ApiTokenFile(Path.of("/nonexistent/tokens.json"));

    private void readOrRefused(byte[] content) {
        try {
            List<ApiToken> tokens = reader.parse(content);
            for (ApiToken t : tokens) {
                assertTrue(t.id().matches("[0-9a-f]{8}") && t.hash().matches("[0-9a-f]{64}") && t.created() != null, t.toString());
            }
        } catch (IllegalStateException e) {
            assertTrue(e.getMessage().startsWith("/nonexistent/tokens.json "), e.getMessage());
        }
    }

    @Example
    void theHostileCorpusIsReadOrRefusedCleanly() {
        List<byte[]> files = AdminApiFuzzTest.corpus("/fuzz/token-files.txt");
        assertTrue(files.size() > 25, "the corpus is there: " + files.size());
        files.forEach(this::readOrRefused);
        for (byte[] f : files) {
            assertThrows(IllegalStateException.class, () -> reader.parse(f), new String(f, StandardCharsets.UTF_8));
        }
    }

    @Example
    void aStoreOverAHostileFileFailsClosedAndLeavesItAlone() throws IOException {
        Path dir = Files.createTempDirectory("bulkhead-tokens-");
        Path file = dir.resolve("tokens.json");
        try {
            for (byte[] f : AdminApiFuzzTest.corpus("/fuzz/token-files.txt")) {
                Files.write(file, f);
                Files.setPosixFilePermissions(file, PosixFilePermissions.fromString("rw-------"));
                ApiTokenStore store = new ApiTokenStore(file, new SecureRandom(), new TestClock(Instant.parse("2025-01-01T00:00:00Z")));
                assertTrue(store.problem().isPresent(), new String(f, StandardCharsets.UTF_8));
                assertTrue(store.verify("bht_" + "A".repeat(43)).isEmpty());
                assertThrows(IllegalStateException.class, () -> store.create("x", null));
                assertArrayEquals(f, Files.readAllBytes(file));
            }
        } finally {
            Files.deleteIfExists(file);
            Files.delete(dir);
        }
    }

    @Property(tries = 300, seed = "20261207")
    void arbitraryBytesAreReadOrRefusedCleanly(@ForAll("bytes") byte[] content) {
        readOrRefused(content);
    }

    @Property(tries = 300, seed = "20261208")
    void tokenShapedFilesAreReadOrRefusedCleanly(@ForAll("files") String content) {
        readOrRefused(content.getBytes(StandardCharsets.UTF_8));
    }

    @Provide
    Arbitrary<byte[]> bytes() {
        return Arbitraries.bytes().array(byte[].class).ofMaxSize(400);
    }

    @Provide
    Arbitrary<String> files() {
        Arbitrary<String> value = Arbitraries.oneOf(
                Arbitraries.of("\"0123abcd\"", "\"ci\"", "\"" + "0".repeat(64) + "\"", "\"2025-01-01T00:00:00Z\"", "null", "1", "[]",
                        "{}", "\"\\ud800\"", "\"+999999999-12-31T23:59:59Z\"", "\"2025-13-01T00:00:00Z\"", "true"),
                Arbitraries.strings().alpha().numeric().ofMaxLength(70).map(s -> "\"" + s + "\""));
        Arbitrary<String> field = Arbitraries.of("id", "name", "sha256", "created", "expires", "last_used", "other")
                .flatMap(k -> value.map(v -> "\"" + k + "\": " + v));
        Arbitrary<String> token = field.list().ofMaxSize(8).map(fs -> "{" + String.join(", ", fs) + "}");
        Arbitrary<String> format = Arbitraries.of("1", "2", "\"1\"", "null");
        return Arbitraries.oneOf(token, value).list().ofMaxSize(4)
                .flatMap(ts -> format.map(f -> "{\"format\": " + f + ", \"tokens\": [" + String.join(", ", ts) + "]}"));
    }
}
