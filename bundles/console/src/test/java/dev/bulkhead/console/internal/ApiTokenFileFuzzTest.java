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
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.stream.IntStream;
import java.util.stream.Stream;

import org.junit.jupiter.api.DynamicTest;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestFactory;

import dev.bulkhead.fuzz.Fuzz;

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

    @TestFactory
    Stream<DynamicTest> theHostileCorpusIsRefusedCleanly() {
        List<byte[]> files = AdminApiFuzzTest.corpus("/fuzz/token-files.txt");
        assertTrue(files.size() > 25, "the corpus is there: " + files.size());
        return IntStream.range(0, files.size()).mapToObj(i -> DynamicTest.dynamicTest("case " + i, () -> {
            byte[] f = files.get(i);
            readOrRefused(f);
            assertThrows(IllegalStateException.class, () -> reader.parse(f), new String(f, StandardCharsets.UTF_8));
        }));
    }

    @Test
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

    @Test
    void arbitraryBytesAreReadOrRefusedCleanly() {
        Fuzz.forAll(20261207L, 300, ApiTokenFileFuzzTest::bytes, this::readOrRefused);
    }

    @Test
    void tokenShapedFilesAreReadOrRefusedCleanly() {
        Fuzz.forAll(20261208L, 300, ApiTokenFileFuzzTest::file, content -> readOrRefused(content.getBytes(StandardCharsets.UTF_8)));
    }

    /** Random bytes up to 400 long, or a token-shaped file with a few bytes changed. */
    private static byte[] bytes(Random r) {
        return r.nextBoolean() ? Fuzz.bytes(r, 400) : Fuzz.mutate(r, file(r).getBytes(StandardCharsets.UTF_8));
    }

    /** A file of up to four tokens (or bare values), each of up to eight known or unknown fields, under one of several formats. */
    private static String file(Random r) {
        List<String> tokens = new ArrayList<>();
        for (int i = r.nextInt(5); i > 0; i--) {
            tokens.add(r.nextBoolean() ? token(r) : value(r));
        }
        return "{\"format\": " + Fuzz.oneOf(r, "1", "2", "\"1\"", "null") + ", \"tokens\": [" + String.join(", ", tokens) + "]}";
    }

    private static String token(Random r) {
        List<String> fields = new ArrayList<>();
        for (int i = r.nextInt(9); i > 0; i--) {
            fields.add("\"" + Fuzz.oneOf(r, "id", "name", "sha256", "created", "expires", "last_used", "other") + "\": " + value(r));
        }
        return "{" + String.join(", ", fields) + "}";
    }

    /** A value each field accepts, one it refuses, or a quoted word of letters and digits up to 70 long. */
    private static String value(Random r) {
        if (r.nextBoolean()) {
            return Fuzz.oneOf(r, "\"0123abcd\"", "\"ci\"", "\"" + "0".repeat(64) + "\"", "\"2025-01-01T00:00:00Z\"", "null", "1", "[]",
                    "{}", "\"\\ud800\"", "\"+999999999-12-31T23:59:59Z\"", "\"2025-13-01T00:00:00Z\"", "true");
        }
        return "\"" + (r.nextInt(71) == 0 ? "" : Fuzz.word(r, 70, "")) + "\"";
    }
}
