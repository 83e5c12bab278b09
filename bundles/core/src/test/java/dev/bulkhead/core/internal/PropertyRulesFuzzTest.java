package dev.bulkhead.core.internal;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.stream.Stream;

import org.junit.jupiter.api.DynamicTest;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestFactory;

import dev.bulkhead.api.InvalidValueException;
import dev.bulkhead.api.QubeClass;
import dev.bulkhead.api.QubeProperty;
import dev.bulkhead.fuzz.Fuzz;

/**
 * Fuzzes every property parser ({@code qvm-prefs} values) for every class of qube: any text is a
 * canonical value or an {@link InvalidValueException} naming the property, never another exception,
 * and a canonical value parses to itself. The corpus beside this class replays hostile cases, one
 * file each: the property's id on the first line, the value after it.
 */
class PropertyRulesFuzzTest {
    private static final Model MODEL = model();
    private static final List<String> NEAR_VALID = List.of("1", "400", " 400 ", "+5", "-1", "0", "256", "257", "1048576", "1048577",
            "2147483648", "0x10", "1e3", "٣", "True", "false", "YES", "on", "Off", "2", "", " ", "none", "None", "sys-net", " sys-net ",
            "work", "missing", "red", "RED", "black", "console=ttyS0", "a\u0000b", "tab\there", "\u0085", "x".repeat(1025));

    /** One value for one property of a qube of one class. */
    private record Input(QubeClass klass, QubeProperty property, String text) {
    }

    @Test
    void anyValueOfAnyPropertyIsCanonicalOrRefusedByName() {
        Fuzz.forAll(20261204L, 2000, r -> new Input(Fuzz.oneOf(r, QubeClass.values()), Fuzz.oneOf(r, QubeProperty.values()), value(r)),
                in -> parseOrRefuse(in.klass(), in.property(), in.text()));
    }

    @TestFactory
    Stream<DynamicTest> everyCorpusCaseIsCanonicalOrRefusedForEveryClass() {
        assertTrue(Fuzz.corpusFiles(PropertyRulesFuzzTest.class, "corpus").size() >= 10, "the corpus is there");
        return Fuzz.corpus(PropertyRulesFuzzTest.class, "corpus", bytes -> {
            String content = new String(bytes, StandardCharsets.UTF_8);
            int newline = content.indexOf('\n');
            QubeProperty property = QubeProperty.find(content.substring(0, newline)).orElseThrow();
            for (QubeClass klass : QubeClass.values()) {
                parseOrRefuse(klass, property, content.substring(newline + 1));
            }
        });
    }

    private static void parseOrRefuse(QubeClass klass, QubeProperty property, String text) {
        QubeRecord qube = new QubeRecord("subject", 9, klass, Map.of(), Map.of(), List.of());
        String canonical;
        try {
            canonical = PropertyRules.parse(MODEL, qube, property, text);
        } catch (InvalidValueException e) {
            assertTrue(e.getMessage().startsWith("invalid "), e.getMessage());
            return;
        }
        assertEquals(canonical, PropertyRules.parse(MODEL, qube, property, canonical), property.id() + "=" + text);
    }

    /** Near-valid values most often, random text, and long random text. */
    private static String value(Random r) {
        return switch (r.nextInt(8)) {
            case 0, 1, 2, 3, 4 -> Fuzz.oneOf(r, NEAR_VALID);
            case 5, 6 -> Fuzz.hostileString(r, 40);
            default -> longText(r);
        };
    }

    /** Random text of 1,000 to 1,100 characters: past every length limit. */
    private static String longText(Random r) {
        StringBuilder b = new StringBuilder();
        int length = r.nextInt(1000, 1101);
        while (b.length() < length) {
            b.append(Fuzz.hostileString(r, length - b.length()));
        }
        return b.substring(0, length);
    }

    private static Model model() {
        Model m = new Model();
        m.qubes.put("sys-net", new QubeRecord("sys-net", 1, QubeClass.AppVM, Map.of("provides_network", "True"), Map.of(), List.of()));
        m.qubes.put("work", new QubeRecord("work", 2, QubeClass.AppVM, Map.of(), Map.of(), List.of()));
        return m;
    }
}
