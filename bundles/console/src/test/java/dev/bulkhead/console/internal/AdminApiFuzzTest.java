package dev.bulkhead.console.internal;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.lang.reflect.Proxy;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Random;
import java.util.Set;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.stream.IntStream;
import java.util.stream.Stream;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.DynamicTest;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestFactory;

import com.fasterxml.jackson.core.JsonGenerator;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;

import dev.bulkhead.api.InvalidValueException;
import dev.bulkhead.api.NoSuchQubeException;
import dev.bulkhead.api.QubeAdmin;
import dev.bulkhead.api.json.JsonMappers;
import dev.bulkhead.fuzz.Fuzz;

/**
 * Every JSON body the Admin API reads, fed hostile text: the checked-in corpus, arbitrary text and
 * bytes, and JSON-shaped values with deep nesting, duplicate keys, odd numbers and broken Unicode.
 * Whatever comes in, the answer is a declared refusal (a 4xx problem that can be written out as
 * UTF-8 JSON), never a 500 or an exception; and a body the console itself refuses reaches no change of the
 * model. The admin service here only records what reaches it and refuses it, so that nothing but the
 * console's own reading is under test (ConsoleApiIT replays the corpus against the real platform).
 */
class AdminApiFuzzTest {
    /** Every resource that reads a body, with its method. */
    static final List<String[]> TARGETS = List.of(
            new String[] { "POST", "/login" },
            new String[] { "POST", "/qubes" },
            new String[] { "POST", "/qubes/work/actions/start" },
            new String[] { "POST", "/qubes/work/actions/shutdown" },
            new String[] { "POST", "/qubes/work/actions/kill" },
            new String[] { "POST", "/qubes/work/actions/pause" },
            new String[] { "POST", "/qubes/work/actions/unpause" },
            new String[] { "POST", "/qubes/work/actions/restart" },
            new String[] { "POST", "/qubes/work/actions/clone" },
            new String[] { "POST", "/qubes/work/run" },
            new String[] { "PUT", "/qubes/work/properties/memory" },
            new String[] { "PUT", "/qubes/work/features/service.cups" },
            new String[] { "PUT", "/qubes/work/firewall" },
            new String[] { "POST", "/qubes/work/firewall" },
            new String[] { "PUT", "/global/default_netvm" });
    private static final Set<String> CHANGES = Set.of("create", "remove", "clone", "start", "shutdown", "kill", "pause",
            "unpause", "restart", "setProperty", "resetProperty", "setFeature", "removeFeature", "addTag", "removeTag", "run",
            "setFirewallRules", "setGlobalProperty", "revertVolume", "resizeVolume", "setVolumeRevisionsToKeep", "importVolume",
            "createDisposable", "runDisposable");
    private static final ObjectMapper STRICT = JsonMappers.create();

    private Path etc;
    private final AtomicInteger changes = new AtomicInteger();
    private AdminApi api;

    @BeforeEach
    void setUp() throws IOException {
        etc = Files.createTempDirectory("bulkhead-fuzz-");
        TestClock clock = new TestClock(Instant.parse("2025-01-01T00:00:00Z"));
        ApiTokenStore tokens = new ApiTokenStore(etc.resolve("tokens.json"), new SecureRandom(), clock);
        ConsoleSecurity security = new ConsoleSecurity(etc, Duration.ofMinutes(10), new SecureRandom(), clock, tokens);
        QubeAdmin admin = (QubeAdmin) Proxy.newProxyInstance(getClass().getClassLoader(), new Class<?>[] { QubeAdmin.class },
                (proxy, method, args) -> {
                    if (CHANGES.contains(method.getName())) {
                        changes.incrementAndGet();
                        throw new InvalidValueException("change", method.getName(), "nothing: this admin refuses every change");
                    }
                    if (method.getName().equals("firewallRules")) {
                        return List.of();
                    }
                    throw new NoSuchQubeException("no qube in this test");
                });
        api = new AdminApi(admin, security, JsonMappers.create(), "{}".getBytes(StandardCharsets.UTF_8), () -> null);
    }

    @AfterEach
    void tearDown() throws IOException {
        try (var files = Files.walk(etc)) {
            files.sorted(java.util.Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
        }
    }

    /** Sends the body to every target and checks each answer. */
    private void refusedEverywhere(byte[] body) {
        for (String[] target : TARGETS) {
            int before = changes.get();
            ApiResponse answer = api.handle(new ApiRequest(target[0], target[1], body, Principal.BEARER, null, "127.0.0.1"));
            String where = target[0] + " " + target[1] + " with " + shown(body);
            assertTrue(answer.status() >= 400 && answer.status() < 500, where + ": status " + answer.status());
            assertEquals(Problem.MEDIA_TYPE, answer.contentType(), where);
            JsonNode problem = written(answer, where);
            assertEquals(answer.status(), problem.path("status").asInt(), where);
            assertFalse(problem.path("detail").asText().isBlank(), where);
            String type = problem.path("type").asText();
            if (type.endsWith(":malformed-request") || type.endsWith(":invalid-request")) {
                assertEquals(before, changes.get(), where + ": refused by the console, yet it reached a change");
            }
        }
    }

    /** The answer as it goes on the wire, read back strictly. */
    private static JsonNode written(ApiResponse answer, String where) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        try (JsonGenerator g = STRICT.getFactory().createGenerator(out)) {
            answer.json().write(g);
        } catch (IOException e) {
            throw new AssertionError(where + ": the answer cannot be written: " + e, e);
        }
        try {
            StandardCharsets.UTF_8.newDecoder().decode(java.nio.ByteBuffer.wrap(out.toByteArray()));
        } catch (java.nio.charset.CharacterCodingException e) {
            throw new AssertionError(where + ": the answer is not UTF-8: " + HexFormat.of().formatHex(out.toByteArray()), e);
        }
        try {
            return STRICT.readTree(out.toByteArray());
        } catch (IOException e) {
            throw new AssertionError(where + ": the answer is not JSON: " + out.toString(StandardCharsets.UTF_8), e);
        }
    }

    private static String shown(byte[] body) {
        String text = new String(body, StandardCharsets.UTF_8);
        return text.length() > 120 ? text.substring(0, 120) + "... (" + body.length + " bytes)" : text;
    }

    static List<byte[]> corpus(String resource) {
        List<byte[]> bodies = new ArrayList<>();
        try (InputStream in = AdminApiFuzzTest.class.getResourceAsStream(resource)) {
            for (String line : new String(in.readAllBytes(), StandardCharsets.UTF_8).split("\n", -1)) {
                if (line.startsWith("#")) {
                    continue;
                }
                bodies.add(line.startsWith("hex:") ? HexFormat.of().parseHex(line.substring(4)) : line.getBytes(StandardCharsets.UTF_8));
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return bodies;
    }

    @TestFactory
    Stream<DynamicTest> theHostileCorpusIsRefusedCleanly() {
        List<byte[]> bodies = corpus("/fuzz/api-bodies.txt");
        assertTrue(bodies.size() > 80, "the corpus is there: " + bodies.size());
        return IntStream.range(0, bodies.size()).mapToObj(i -> DynamicTest.dynamicTest("case " + i + ": " + shown(bodies.get(i)),
                () -> refusedEverywhere(bodies.get(i))));
    }

    @Test
    void hugeAndDeepBodiesAreRefusedCleanly() {
        refusedEverywhere(("{\"value\": \"" + "a".repeat(900_000) + "\"}").getBytes(StandardCharsets.UTF_8));
        refusedEverywhere("[".repeat(100_000).getBytes(StandardCharsets.UTF_8));
        refusedEverywhere(("{\"a\":".repeat(50_000) + "1" + "}".repeat(50_000)).getBytes(StandardCharsets.UTF_8));
        refusedEverywhere(("{\"value\": " + "9".repeat(100_000) + "}").getBytes(StandardCharsets.UTF_8));
        refusedEverywhere(("{\"rules\": [" + "\"action=accept\",".repeat(20_000) + "\"action=drop\"]}").getBytes(StandardCharsets.UTF_8));
    }

    @Test
    void arbitraryTextIsRefusedCleanly() {
        Fuzz.forAll(20261204L, 200, AdminApiFuzzTest::text, body -> refusedEverywhere(body.getBytes(StandardCharsets.UTF_8)));
    }

    @Test
    void arbitraryBytesAreRefusedCleanly() {
        List<byte[]> corpus = corpus("/fuzz/api-bodies.txt");
        Fuzz.forAll(20261205L, 200, r -> bytes(r, corpus), this::refusedEverywhere);
    }

    @Test
    void jsonShapedBodiesAreRefusedCleanly() {
        Fuzz.forAll(20261206L, 400, AdminApiFuzzTest::jsonObject, body -> refusedEverywhere(body.getBytes(StandardCharsets.UTF_8)));
    }

    /** Text up to 300 long: of any UTF-16 units (lone surrogates and noncharacters included), or made to break parsers. */
    private static String text(Random r) {
        if (r.nextBoolean()) {
            return Fuzz.hostileString(r, 300);
        }
        char[] units = new char[r.nextInt(301)];
        for (int i = 0; i < units.length; i++) {
            units[i] = (char) r.nextInt(0x10000);
        }
        return new String(units);
    }

    /** Random bytes up to 300 long, or a near-valid body: a JSON-shaped one or a corpus case with a few bytes changed. */
    private static byte[] bytes(Random r, List<byte[]> corpus) {
        return switch (r.nextInt(4)) {
            case 0, 1 -> Fuzz.bytes(r, 300);
            case 2 -> Fuzz.mutate(r, jsonObject(r).getBytes(StandardCharsets.UTF_8));
            default -> Fuzz.mutate(r, Fuzz.oneOf(r, corpus));
        };
    }

    /** An object with up to six members, named as the fields the API reads or otherwise, holding values of every kind. */
    private static String jsonObject(Random r) {
        List<String> members = new ArrayList<>();
        for (int i = r.nextInt(7); i > 0; i--) {
            String key = r.nextBoolean()
                    ? Fuzz.oneOf(r, "name", "label", "klass", "properties", "value", "rule", "rules", "before", "command", "stdin",
                            "timeout", "force", "wait", "target", "secret")
                    : jsonStringContent(r);
            members.add("\"" + key + "\": " + jsonValue(r, 3));
        }
        return "{" + String.join(", ", members) + "}";
    }

    /** A string, number or literal; above depth 0 also an array or object of up to four such values. */
    private static String jsonValue(Random r, int depth) {
        List<String> parts = new ArrayList<>();
        switch (r.nextInt(depth > 0 ? 5 : 3)) {
            case 0:
                return jsonString(r);
            case 1:
                return number(r);
            case 2:
                return Fuzz.oneOf(r, "true", "false", "null");
            case 3:
                for (int i = r.nextInt(5); i > 0; i--) {
                    parts.add(jsonValue(r, depth - 1));
                }
                return "[" + String.join(",", parts) + "]";
            default:
                for (int i = r.nextInt(5); i > 0; i--) {
                    parts.add(jsonString(r) + ":" + jsonValue(r, depth - 1));
                }
                return "{" + String.join(",", parts) + "}";
        }
    }

    private static String jsonString(Random r) {
        return "\"" + jsonStringContent(r) + "\"";
    }

    /** Up to five pieces: plain words, escapes of every kind (lone surrogates and control characters included), values the API knows. */
    private static String jsonStringContent(Random r) {
        StringBuilder s = new StringBuilder();
        for (int i = r.nextInt(6); i > 0; i--) {
            switch (r.nextInt(3)) {
                case 0 -> s.append(r.nextInt(13) == 0 ? "" : Fuzz.word(r, 12, "-_./=: "));
                case 1 -> s.append(Fuzz.oneOf(r, "\\n", "\\\"", "\\\\", "\\u0000", "\\ud800", "\\udfff", "\\ud83d\\ude00", "\\u202e",
                        "\\/", "ü", "😀", "action=accept", "action=drop proto=tcp dstports=1-65535", "red", "AppVM", "400", "work"));
                default -> s.append(String.format("\\u%04x", r.nextInt(0x10000)));
            }
        }
        return s.toString();
    }

    private static String number(Random r) {
        return switch (r.nextInt(3)) {
            case 0 -> String.valueOf(r.nextInt());
            case 1 -> String.valueOf(r.nextLong());
            default -> Fuzz.oneOf(r, "0", "-0", "1e400", "-1e-400", "1.5", "2147483648", "-2147483649", "9223372036854775808",
                    "-9223372036854775809", "3600", "3601", "1", "0.0", "1E3");
        };
    }
}
