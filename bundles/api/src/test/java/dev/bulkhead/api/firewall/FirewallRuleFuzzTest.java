package dev.bulkhead.api.firewall;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Optional;
import java.util.Random;
import java.util.stream.Stream;

import org.junit.jupiter.api.DynamicTest;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestFactory;

import dev.bulkhead.api.InvalidValueException;
import dev.bulkhead.fuzz.Fuzz;

/**
 * Fuzzes the {@code qvm-firewall} text form: any text is a rule or an {@link InvalidValueException}
 * naming what is wrong, never another exception; a rule prints as text that parses back to the same
 * rule. Inputs are mutated near-valid rules and random text; the corpus beside this class replays
 * each hostile case found so far, one file per case.
 */
class FirewallRuleFuzzTest {
    private static final long SEED = 20261204L;
    /** Not on a whole second, as a clock never is: an {@code expire=+N} must still read back the same. */
    private static final Instant NOW = Instant.ofEpochSecond(1_765_000_000L, 123_456_789);

    @Test
    void anyTextIsARuleOrARefusalByName() {
        Fuzz.forAll(SEED, 1500, FirewallRuleFuzzTest::ruleText, FirewallRuleFuzzTest::parseOrRefuse);
    }

    @Test
    void aParsedRulePrintsAsTextThatParsesBackToIt() {
        Fuzz.forAll(SEED, 1000, FirewallRuleFuzzTest::ruleText, text -> {
            FirewallRule rule = parseOrRefuse(text);
            if (rule != null) {
                assertEquals(rule, FirewallRule.parse(rule.toString(), NOW), rule.toString());
            }
        });
    }

    @Test
    void aRuleMadeOfAnyValuesPrintsAsTextThatParsesBackToIt() {
        int[] checked = { 0 };
        Fuzz.forAll(SEED, 500, FirewallRuleFuzzTest::rule, rule -> {
            if (rule.isPresent()) {
                assertEquals(rule.get(), FirewallRule.parse(rule.get().toString(), NOW), rule.get().toString());
                checked[0]++;
            }
        });
        assertTrue(checked[0] >= 250, "only " + checked[0] + " tries made a rule");
    }

    @TestFactory
    Stream<DynamicTest> everyCorpusCaseIsARuleOrARefusalAndReadsBack() {
        assertTrue(Fuzz.corpusFiles(FirewallRuleFuzzTest.class, "corpus").size() >= 10, "the corpus is there");
        return Fuzz.corpus(FirewallRuleFuzzTest.class, "corpus", bytes -> {
            FirewallRule rule = parseOrRefuse(new String(bytes, StandardCharsets.UTF_8));
            if (rule != null) {
                assertEquals(rule, FirewallRule.parse(rule.toString(), NOW), rule.toString());
            }
        });
    }

    @Test
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

    // ---- generators ------------------------------------------------------------------------------

    private static final List<String> KEYS = List.of("action", "proto", "dsthost", "dstports", "icmptype", "specialtarget", "expire",
            "comment");
    private static final String RULE_CHARACTERS = "actiondrpsthoe=:./- 0123456789abcdef+\t";

    /** Near-valid rules, as they are or with a few characters edited, and random text. */
    static String ruleText(Random r) {
        return switch (r.nextInt(10)) {
            case 0, 1, 2, 3, 4 -> nearValid(r);
            case 5, 6, 7 -> mutated(r, nearValid(r));
            case 8 -> Fuzz.hostileString(r, 80);
            default -> chars(r, RULE_CHARACTERS, 80);
        };
    }

    /**
     * Up to six {@code key=value} parts, each value a near-valid one for its key, joined by one kind
     * of white space. Keys are distinct most of the time, so that most texts get past the check of
     * the keys to the values' own parsers.
     */
    private static String nearValid(Random r) {
        int size = r.nextInt(7);
        List<String> keys = new ArrayList<>(KEYS);
        Collections.shuffle(keys, r);
        boolean distinct = r.nextInt(4) > 0;
        List<String> parts = new ArrayList<>(size);
        for (int i = 0; i < size; i++) {
            String key = distinct ? keys.get(i) : Fuzz.oneOf(r, KEYS);
            parts.add(key + "=" + value(r, key));
        }
        return String.join(Fuzz.oneOf(r, " ", "  ", "\t", " \u00a0"), parts);
    }

    private static String value(Random r, String key) {
        return switch (key) {
            case "action" -> Fuzz.oneOf(r, "accept", "drop", "ACCEPT", "reject", "");
            case "proto" -> Fuzz.oneOf(r, "tcp", "udp", "icmp", "sctp", "TCP", "");
            case "dsthost" -> r.nextBoolean()
                    ? Fuzz.oneOf(r, "192.0.2.1", "192.0.2.0/24", "10.0.0.1/33", "2001:db8::/32", "::ffff:1.2.3.4",
                            "::ffff:1.2.3.4/120", "fe80::1%eth0", "example.com", "EXAMPLE.com.", "-bad.example", "1.2.3", "010.1.1.1", "::",
                            ".:", "1:2:3:4:5:6:7:8:9", "a..b", "x".repeat(64) + ".com", "0.0.0.0/0", "1.2.3.4/", "/8", "256.1.1.1")
                    : chars(r, "0123456789abcdef:./", 40);
            case "dstports" -> r.nextBoolean()
                    ? Fuzz.oneOf(r, "22", "1-65535", "0", "65536", "10-5", "-5", "5-", "1-2-3", "99999999999")
                    : String.valueOf(r.nextInt(-5, 70001));
            case "icmptype" -> r.nextBoolean()
                    ? Fuzz.oneOf(r, "0", "8", "255", "256", "-1", "2147483648")
                    : String.valueOf(anyInt(r));
            case "specialtarget" -> Fuzz.oneOf(r, "dns", "DNS", "ntp", "");
            case "expire" -> r.nextBoolean()
                    ? Fuzz.oneOf(r, "+0", "+3600", "+", "++1", "-1", "4294967296", "+2147483647")
                    : String.valueOf(r.nextLong(0, 3_000_000_001L));
            default -> r.nextBoolean()
                    ? Fuzz.oneOf(r, "web", "a b  c", "tab\there", "trailing ", " leading", "x\u2003", "\u0085", "nel\u0085", "sep\u2028",
                            "é ü 日本", "key=value proto=udp", "")
                    : Fuzz.hostileString(r, 20);
        };
    }

    /** One to three random edits: a character inserted, removed or replaced. */
    private static String mutated(Random r, String text) {
        String t = text;
        for (int edits = 1 + r.nextInt(3); edits > 0; edits--) {
            t = edit(t, r.nextInt(3), r.nextInt(1001), anyChar(r));
        }
        return t;
    }

    private static char anyChar(Random r) {
        return switch (r.nextInt(3)) {
            case 0 -> (char) r.nextInt(0x80);
            case 1 -> (char) r.nextInt(0x10000);
            default -> Fuzz.oneOf(r, '=', ' ', '/', ':', '-', '+', '\0', '\n', '\u2028', '\u00a0');
        };
    }

    static String edit(String text, int op, int at, char c) {
        int i = text.isEmpty() ? 0 : at % (text.length() + (op == 0 ? 1 : 0));
        return switch (op) {
            case 0 -> text.substring(0, i) + c + text.substring(i);
            case 1 -> text.isEmpty() ? text : text.substring(0, i) + text.substring(i + 1);
            default -> text.isEmpty() ? String.valueOf(c) : text.substring(0, i) + c + text.substring(i + 1);
        };
    }

    /** Any int, its edges often: where number parsers overflow. */
    private static int anyInt(Random r) {
        return r.nextInt(4) == 0 ? Fuzz.oneOf(r, 0, 1, -1, 255, 256, Integer.MAX_VALUE, Integer.MIN_VALUE) : r.nextInt();
    }

    /** Text of the given characters only, empty up to {@code maxLength} long. */
    private static String chars(Random r, String alphabet, int maxLength) {
        int length = r.nextInt(maxLength + 1);
        StringBuilder b = new StringBuilder(length);
        for (int i = 0; i < length; i++) {
            b.append(alphabet.charAt(r.nextInt(alphabet.length())));
        }
        return b.toString();
    }

    /** A rule made directly of values, each part present or not; none when the rule refuses the values. */
    static Optional<FirewallRule> rule(Random r) {
        FirewallRule.Proto p = r.nextDouble() < 0.3 ? null : Fuzz.oneOf(r, FirewallRule.Proto.values());
        FirewallRule.Action action = Fuzz.oneOf(r, FirewallRule.Action.values());
        String host = r.nextDouble() < 0.4 ? null : Fuzz.oneOf(r, "192.0.2.0/24", "2001:db8:0:0:0:0:0:0/32", "example.com", "10.1.2.3/32");
        FirewallRule.PortRange ports = ports(r, p);
        Integer icmp = p == FirewallRule.Proto.ICMP && r.nextBoolean() ? r.nextInt(256) : null;
        Instant expire = r.nextDouble() < 0.6 ? null : Instant.ofEpochSecond(r.nextLong(0, 4_000_000_001L), r.nextInt(1_000_000_000));
        String comment = r.nextBoolean() ? null : comment(r);
        try {
            return Optional.of(new FirewallRule(action, p, host, ports, icmp, null, expire, comment));
        } catch (InvalidValueException refused) {
            return Optional.empty();
        }
    }

    private static FirewallRule.PortRange ports(Random r, FirewallRule.Proto p) {
        if (p != FirewallRule.Proto.TCP && p != FirewallRule.Proto.UDP || r.nextBoolean()) {
            return null;
        }
        int first = r.nextInt(1, 65536);
        return new FirewallRule.PortRange(first, r.nextInt(first, 65536));
    }

    private static String comment(Random r) {
        if (r.nextBoolean()) {
            return Fuzz.oneOf(r, "web server", "x ", " x", "a\u2003", "\u00a0", "x\u0085y", "a=b c=d");
        }
        String s = Fuzz.hostileString(r, 30);
        return s.isEmpty() ? "x" : s;
    }
}
