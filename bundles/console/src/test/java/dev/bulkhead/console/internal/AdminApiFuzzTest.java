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
import java.util.Set;
import java.util.concurrent.atomic.AtomicInteger;

import com.fasterxml.jackson.core.JsonGenerator;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;

import dev.bulkhead.api.InvalidValueException;
import dev.bulkhead.api.NoSuchQubeException;
import dev.bulkhead.api.QubeAdmin;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.Example;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;
import net.jqwik.api.lifecycle.AfterProperty;
import net.jqwik.api.lifecycle.BeforeProperty;
import net.jqwik.api.lifecycle.BeforeExample;

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
    private static final ObjectMapper STRICT = Json.mapper();

    private Path etc;
    private final AtomicInteger changes = new AtomicInteger();
    private AdminApi api;

    @BeforeProperty
    @BeforeExample
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
        api = new AdminApi(admin, security, Json.mapper(), "{}".getBytes(StandardCharsets.UTF_8));
    }

    @AfterProperty
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

    @Example
    void theHostileCorpusIsRefusedCleanly() {
        List<byte[]> bodies = corpus("/fuzz/api-bodies.txt");
        assertTrue(bodies.size() > 80, "the corpus is there: " + bodies.size());
        bodies.forEach(this::refusedEverywhere);
    }

    @Example
    void hugeAndDeepBodiesAreRefusedCleanly() {
        refusedEverywhere(("{\"value\": \"" + "a".repeat(900_000) + "\"}").getBytes(StandardCharsets.UTF_8));
        refusedEverywhere("[".repeat(100_000).getBytes(StandardCharsets.UTF_8));
        refusedEverywhere(("{\"a\":".repeat(50_000) + "1" + "}".repeat(50_000)).getBytes(StandardCharsets.UTF_8));
        refusedEverywhere(("{\"value\": " + "9".repeat(100_000) + "}").getBytes(StandardCharsets.UTF_8));
        refusedEverywhere(("{\"rules\": [" + "\"action=accept\",".repeat(20_000) + "\"action=drop\"]}").getBytes(StandardCharsets.UTF_8));
    }

    @Property(tries = 200, seed = "20261204")
    void arbitraryTextIsRefusedCleanly(@ForAll("text") String body) {
        refusedEverywhere(body.getBytes(StandardCharsets.UTF_8));
    }

    @Property(tries = 200, seed = "20261205")
    void arbitraryBytesAreRefusedCleanly(@ForAll("bytes") byte[] body) {
        refusedEverywhere(body);
    }

    @Property(tries = 400, seed = "20261206")
    void jsonShapedBodiesAreRefusedCleanly(@ForAll("jsonObjects") String body) {
        refusedEverywhere(body.getBytes(StandardCharsets.UTF_8));
    }

    @Provide
    Arbitrary<String> text() {
        return Arbitraries.strings().all().ofMaxLength(300);
    }

    @Provide
    Arbitrary<byte[]> bytes() {
        return Arbitraries.bytes().array(byte[].class).ofMaxSize(300);
    }

    /** An object with the fields the API reads, and others, holding values of every kind. */
    @Provide
    Arbitrary<String> jsonObjects() {
        Arbitrary<String> key = Arbitraries.oneOf(
                Arbitraries.of("name", "label", "klass", "properties", "value", "rule", "rules", "before", "command", "stdin",
                        "timeout", "force", "wait", "target", "secret"),
                jsonStrings().map(s -> s.substring(1, s.length() - 1)));
        Arbitrary<String> member = Arbitraries.lazy(() -> Arbitraries.oneOf(key, key).flatMap(k -> jsonValues(3).map(v -> "\"" + k + "\": " + v)));
        return member.list().ofMaxSize(6).map(members -> "{" + String.join(", ", members) + "}");
    }

    private static Arbitrary<String> jsonValues(int depth) {
        List<Arbitrary<String>> kinds = new ArrayList<>(List.of(jsonStrings(), numbers(),
                Arbitraries.of("true", "false", "null")));
        if (depth > 0) {
            kinds.add(Arbitraries.lazy(() -> jsonValues(depth - 1)).list().ofMaxSize(4).map(vs -> "[" + String.join(",", vs) + "]"));
            kinds.add(Arbitraries.lazy(() -> jsonStrings().flatMap(k -> jsonValues(depth - 1).map(v -> k + ":" + v))).list()
                    .ofMaxSize(4).map(ms -> "{" + String.join(",", ms) + "}"));
        }
        return Arbitraries.oneOf(kinds);
    }

    /** JSON strings with escapes of every kind, lone surrogates and control characters included. */
    private static Arbitrary<String> jsonStrings() {
        Arbitrary<String> piece = Arbitraries.oneOf(
                Arbitraries.strings().alpha().numeric().withChars("-_./=: ").ofMaxLength(12),
                Arbitraries.of("\\n", "\\\"", "\\\\", "\\u0000", "\\ud800", "\\udfff", "\\ud83d\\ude00", "\\u202e", "\\/", "ü", "😀",
                        "action=accept", "action=drop proto=tcp dstports=1-65535", "red", "AppVM", "400", "work"),
                Arbitraries.integers().between(0, 0xFFFF).map(c -> String.format("\\u%04x", c)));
        return piece.list().ofMaxSize(5).map(ps -> "\"" + String.join("", ps) + "\"");
    }

    private static Arbitrary<String> numbers() {
        return Arbitraries.oneOf(Arbitraries.integers().map(String::valueOf), Arbitraries.longs().map(String::valueOf),
                Arbitraries.of("0", "-0", "1e400", "-1e-400", "1.5", "2147483648", "-2147483649", "9223372036854775808",
                        "3600", "3601", "1", "0.0", "1E3"));
    }
}
