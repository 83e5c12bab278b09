package dev.bulkhead.core.internal;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.net.URISyntaxException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;

import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.Example;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;
import net.jqwik.api.Tuple;

import dev.bulkhead.api.InvalidValueException;
import dev.bulkhead.api.QubeClass;
import dev.bulkhead.api.QubeProperty;

/**
 * Fuzzes every property parser ({@code qvm-prefs} values) for every class of qube: any text is a
 * canonical value or an {@link InvalidValueException} naming the property, never another exception,
 * and a canonical value parses to itself. The corpus beside this class replays hostile cases, one
 * file each: the property's id on the first line, the value after it.
 */
class PropertyRulesFuzzTest {
    private static final Model MODEL = model();

    @Property(tries = 2000, seed = "20261204")
    void anyValueOfAnyPropertyIsCanonicalOrRefusedByName(@ForAll QubeClass klass, @ForAll QubeProperty property,
            @ForAll("values") String text) {
        parseOrRefuse(klass, property, text);
    }

    @Example
    void everyCorpusCaseIsCanonicalOrRefusedForEveryClass() throws IOException, URISyntaxException {
        Path dir = Path.of(PropertyRulesFuzzTest.class.getResource("corpus").toURI());
        List<Path> cases;
        try (Stream<Path> files = Files.list(dir)) {
            cases = files.sorted().toList();
        }
        assertTrue(cases.size() >= 10, cases.toString());
        for (Path c : cases) {
            String content = Files.readString(c, StandardCharsets.UTF_8);
            int newline = content.indexOf('\n');
            QubeProperty property = QubeProperty.find(content.substring(0, newline)).orElseThrow();
            for (QubeClass klass : QubeClass.values()) {
                parseOrRefuse(klass, property, content.substring(newline + 1));
            }
        }
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

    @Provide
    Arbitrary<String> values() {
        Arbitrary<String> near = Arbitraries.of("1", "400", " 400 ", "+5", "-1", "0", "256", "257", "1048576", "1048577", "2147483648",
                "0x10", "1e3", "٣", "True", "false", "YES", "on", "Off", "2", "", " ", "none", "None", "sys-net", " sys-net ", "work",
                "missing", "red", "RED", "black", "console=ttyS0", "a\u0000b", "tab\there", "\u0085", "x".repeat(1025));
        return Arbitraries.frequencyOf(Tuple.of(5, near), Tuple.of(2, Arbitraries.strings().ofMaxLength(40)),
                Tuple.of(1, Arbitraries.strings().ofMinLength(1000).ofMaxLength(1100)));
    }

    private static Model model() {
        Model m = new Model();
        m.qubes.put("sys-net", new QubeRecord("sys-net", 1, QubeClass.AppVM, Map.of("provides_network", "True"), Map.of(), List.of()));
        m.qubes.put("work", new QubeRecord("work", 2, QubeClass.AppVM, Map.of(), Map.of(), List.of()));
        return m;
    }
}
