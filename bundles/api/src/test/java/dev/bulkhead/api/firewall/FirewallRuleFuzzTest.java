package dev.bulkhead.api.firewall;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.net.URISyntaxException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.List;
import java.util.stream.Stream;

import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.Combinators;
import net.jqwik.api.Example;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;
import net.jqwik.api.Tuple;

import dev.bulkhead.api.InvalidValueException;

/**
 * Fuzzes the {@code qvm-firewall} text form: any text is a rule or an {@link InvalidValueException}
 * naming what is wrong, never another exception; a rule prints as text that parses back to the same
 * rule. Inputs are mutated near-valid rules and random text; the corpus beside this class replays
 * each hostile case found so far, one file per case.
 */
class FirewallRuleFuzzTest {
    /** Not on a whole second, as a clock never is: an {@code expire=+N} must still read back the same. */
    private static final Instant NOW = Instant.ofEpochSecond(1_765_000_000L, 123_456_789);

    @Property(tries = 1500, seed = "20261204")
    void anyTextIsARuleOrARefusalByName(@ForAll("ruleTexts") String text) {
        parseOrRefuse(text);
    }

    @Property(tries = 1000, seed = "20261204")
    void aParsedRulePrintsAsTextThatParsesBackToIt(@ForAll("ruleTexts") String text) {
        FirewallRule rule = parseOrRefuse(text);
        if (rule != null) {
            assertEquals(rule, FirewallRule.parse(rule.toString(), NOW), rule.toString());
        }
    }

    @Property(tries = 500, seed = "20261204")
    void aRuleMadeOfAnyValuesPrintsAsTextThatParsesBackToIt(@ForAll("rules") FirewallRule rule) {
        assertEquals(rule, FirewallRule.parse(rule.toString(), NOW), rule.toString());
    }

    @Example
    void everyCorpusCaseIsARuleOrARefusalAndReadsBack() throws IOException, URISyntaxException {
        List<Path> cases = corpus();
        assertTrue(cases.size() >= 10, "the corpus is there: " + cases);
        for (Path c : cases) {
            FirewallRule rule = parseOrRefuse(Files.readString(c, StandardCharsets.UTF_8));
            if (rule != null) {
                assertEquals(rule, FirewallRule.parse(rule.toString(), NOW), c.getFileName().toString());
            }
        }
    }

    @Example
    void aCommentThatWouldNotReadBackIsRefusedWhenTheRuleIsMade() {
        for (String comment : List.of(" ", "trailing ", "tab\t", "x\u2003", "nel\u0085", "line\u2028sep", "bell\u0007")) {
            InvalidValueException e = assertThrows(InvalidValueException.class,
                    () -> new FirewallRule(FirewallRule.Action.ACCEPT, null, null, null, null, null, null, comment));
            assertTrue(e.getMessage().endsWith("printable characters only, not ending in white space"), e.getMessage());
        }
    }

    /** The rule, or null when refused by an {@link InvalidValueException} that says what it refused. */
    private static FirewallRule parseOrRefuse(String text) {
        try {
            return FirewallRule.parse(text, NOW);
        } catch (InvalidValueException e) {
            assertTrue(e.getMessage().startsWith("invalid "), e.getMessage());
            return null;
        }
    }

    private static List<Path> corpus() throws IOException, URISyntaxException {
        Path dir = Path.of(FirewallRuleFuzzTest.class.getResource("corpus").toURI());
        try (Stream<Path> files = Files.list(dir)) {
            return files.sorted().toList();
        }
    }

    // ---- generators ------------------------------------------------------------------------------

    private static final List<String> KEYS = List.of("action", "proto", "dsthost", "dstports", "icmptype", "specialtarget", "expire",
            "comment");

    @Provide
    Arbitrary<String> ruleTexts() {
        return Arbitraries.frequencyOf(
                Tuple.of(5, nearValid()),
                Tuple.of(3, nearValid().flatMap(FirewallRuleFuzzTest::mutated)),
                Tuple.of(1, Arbitraries.strings().ofMaxLength(80)),
                Tuple.of(1, Arbitraries.strings().withChars("actiondrpsthoe=:./- 0123456789abcdef+\t").ofMaxLength(80)));
    }

    private static Arbitrary<String> nearValid() {
        Arbitrary<String> part = Arbitraries.of(KEYS).flatMap(key -> value(key).map(v -> key + "=" + v));
        return part.list().ofMaxSize(6).flatMap(parts -> Arbitraries.of(" ", "  ", "\t", " \u00a0").map(sep -> String.join(sep, parts)));
    }

    private static Arbitrary<String> value(String key) {
        return switch (key) {
            case "action" -> Arbitraries.of("accept", "drop", "ACCEPT", "reject", "");
            case "proto" -> Arbitraries.of("tcp", "udp", "icmp", "sctp", "TCP", "");
            case "dsthost" -> Arbitraries.oneOf(Arbitraries.of("192.0.2.1", "192.0.2.0/24", "10.0.0.1/33", "2001:db8::/32", "::ffff:1.2.3.4",
                    "::ffff:1.2.3.4/120", "fe80::1%eth0", "example.com", "EXAMPLE.com.", "-bad.example", "1.2.3", "010.1.1.1", "::",
                    ".:", "1:2:3:4:5:6:7:8:9", "a..b", "x".repeat(64) + ".com", "0.0.0.0/0", "1.2.3.4/", "/8", "256.1.1.1"),
                    Arbitraries.strings().withChars("0123456789abcdef:./").ofMaxLength(40));
            case "dstports" -> Arbitraries.oneOf(Arbitraries.of("22", "1-65535", "0", "65536", "10-5", "-5", "5-", "1-2-3", "99999999999"),
                    Arbitraries.integers().between(-5, 70000).map(String::valueOf));
            case "icmptype" -> Arbitraries.oneOf(Arbitraries.of("0", "8", "255", "256", "-1", "2147483648"),
                    Arbitraries.integers().map(String::valueOf));
            case "specialtarget" -> Arbitraries.of("dns", "DNS", "ntp", "");
            case "expire" -> Arbitraries.oneOf(Arbitraries.of("+0", "+3600", "+", "++1", "-1", "4294967296", "+2147483647"),
                    Arbitraries.longs().between(0, 3_000_000_000L).map(String::valueOf));
            default -> Arbitraries.oneOf(Arbitraries.of("web", "a b  c", "tab\there", "trailing ", " leading", "x\u2003", "\u0085",
                    "nel\u0085", "sep\u2028", "é ü 日本", "key=value proto=udp", ""), Arbitraries.strings().ofMaxLength(20));
        };
    }

    /** One to three random edits: a character inserted, removed or replaced. */
    private static Arbitrary<String> mutated(String text) {
        Arbitrary<Character> any = Arbitraries.oneOf(Arbitraries.chars().ascii(), Arbitraries.chars(),
                Arbitraries.of('=', ' ', '/', ':', '-', '+', '\0', '\n', '\u2028', '\u00a0'));
        Arbitrary<String> once = Combinators.combine(Arbitraries.integers().between(0, 2), Arbitraries.integers().between(0, 1000), any)
                .as((op, at, c) -> edit(text, op, at, c));
        return once.flatMap(t -> Arbitraries.integers().between(0, 2).flatMap(more -> more == 0 ? Arbitraries.just(t)
                : Combinators.combine(Arbitraries.integers().between(0, 2), Arbitraries.integers().between(0, 1000), any)
                        .as((op, at, c) -> edit(t, op, at, c))));
    }

    static String edit(String text, int op, int at, char c) {
        int i = text.isEmpty() ? 0 : at % (text.length() + (op == 0 ? 1 : 0));
        return switch (op) {
            case 0 -> text.substring(0, i) + c + text.substring(i);
            case 1 -> text.isEmpty() ? text : text.substring(0, i) + text.substring(i + 1);
            default -> text.isEmpty() ? String.valueOf(c) : text.substring(0, i) + c + text.substring(i + 1);
        };
    }

    @Provide
    Arbitrary<FirewallRule> rules() {
        Arbitrary<FirewallRule.Proto> proto = Arbitraries.of(FirewallRule.Proto.class).injectNull(0.3);
        return proto.flatMap(p -> Combinators.combine(
                Arbitraries.of(FirewallRule.Action.class),
                Arbitraries.of("192.0.2.0/24", "2001:db8:0:0:0:0:0:0/32", "example.com", "10.1.2.3/32").injectNull(0.4),
                ports(p),
                p == FirewallRule.Proto.ICMP ? Arbitraries.integers().between(0, 255).injectNull(0.5) : Arbitraries.just(null),
                Combinators.combine(Arbitraries.longs().between(0, 4_000_000_000L), Arbitraries.integers().between(0, 999_999_999))
                        .as((seconds, nanos) -> Instant.ofEpochSecond(seconds, nanos)).injectNull(0.6),
                comments().injectNull(0.5))
                .as((action, host, ports, icmp, expire, comment) -> {
                    try {
                        return new FirewallRule(action, p, host, ports, (Integer) icmp, null, expire, comment);
                    } catch (InvalidValueException refused) {
                        return FirewallRule.ACCEPT_ALL;
                    }
                }));
    }

    private static Arbitrary<FirewallRule.PortRange> ports(FirewallRule.Proto p) {
        if (p != FirewallRule.Proto.TCP && p != FirewallRule.Proto.UDP) {
            return Arbitraries.just(null);
        }
        return Arbitraries.integers().between(1, 65535).flatMap(first -> Arbitraries.integers().between(first, 65535)
                .map(last -> new FirewallRule.PortRange(first, last))).injectNull(0.5);
    }

    private static Arbitrary<String> comments() {
        return Arbitraries.oneOf(Arbitraries.strings().ofMinLength(1).ofMaxLength(30),
                Arbitraries.of("web server", "x ", " x", "a\u2003", "\u00a0", "x\u0085y", "a=b c=d"));
    }
}
