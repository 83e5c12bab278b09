package dev.bulkhead.shell.internal;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Set;

import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.Example;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;

import dev.bulkhead.api.InvalidValueException;

/**
 * The shell's argument parsers against hostile argument vectors: {@link CommandLine} and
 * {@link Sizes} end in a result that accounts for every argument, or in an
 * {@link InvalidValueException} whose message shows no control character (it is printed on the
 * caller's terminal); nothing else escapes them. Fixed seed and tries; the corpus
 * {@code hostile-arguments.txt} replays vectors worth keeping.
 */
class CommandLineFuzzTest {
    private static final String SEED = "20261204";
    private static final Set<String> FLAGS = Set.of("--force", "-f", "--raw");
    private static final Set<String> VALUED = Set.of("--label", "--property", "--timeout");
    private static final Map<String, String> ALIASES = Map.of("-l", "--label", "-p", "--property");

    @Provide
    Arbitrary<String> argument() {
        Arbitrary<String> known = Arbitraries.of("--", "-", "--force", "-f", "--raw", "--label", "-l", "--label=red", "--property",
                "-p", "--property=memory=512", "--timeout", "--timeout=", "--=x", "---", "--unknown", "-x", "--label=", "=", "work");
        Arbitrary<String> hostile = Arbitraries.strings().withChars(";|&$(){}<>'\"\\`\n\t\r\u0000\u001b\u007f\u0085 -=:*?~#")
                .withCharRange('a', 'z').withCharRange('\u00a0', '\u024f').withCharRange('\u2000', '\u206f').ofMaxLength(16);
        return Arbitraries.oneOf(known, hostile, known.map(k -> k + "\u001b[2J"));
    }

    @Provide
    Arbitrary<List<String>> arguments() {
        return Arbitraries.oneOf(argument(), argument().injectNull(0.05)).list().ofMaxSize(10);
    }

    @Property(tries = 3000, seed = SEED)
    void parsingAccountsForEveryArgumentOrNamesTheProblem(@ForAll("arguments") List<String> args) {
        parseOrRefuse(args);
    }

    @Property(tries = 1000, seed = SEED)
    void operandCountsAreCheckedWithADeclaredError(@ForAll("arguments") List<String> args) {
        CommandLine cl;
        try {
            cl = CommandLine.parse(args.toArray(String[]::new), FLAGS, VALUED, ALIASES);
        } catch (InvalidValueException refused) {
            assertPrintable(refused);
            return;
        }
        try {
            List<String> operands = cl.operands(1, 2, "cmd NAME [VALUE]");
            assertTrue(operands.size() >= 1 && operands.size() <= 2);
        } catch (InvalidValueException refused) {
            assertPrintable(refused);
            assertTrue(refused.getMessage().contains("usage: cmd NAME [VALUE]"), refused.getMessage());
        }
    }

    @Property(tries = 2000, seed = SEED)
    void sizesParseOrNameTheProblem(@ForAll("argument") String text) {
        try {
            assertTrue(Sizes.parse(text) >= 0);
        } catch (InvalidValueException refused) {
            assertPrintable(refused);
        }
    }

    @Example
    void theHostileCorpusParsesOrIsRefusedAsDeclared() throws IOException {
        int replayed = 0;
        for (String line : corpus()) {
            String[] fields = line.split("\t", -1);
            String outcome = unescape(fields[0]);
            List<String> args = new ArrayList<>();
            for (String field : Arrays.asList(fields).subList(1, fields.length)) {
                args.add(field.equals("<null>") ? null : unescape(field));
            }
            InvalidValueException refused = parseOrRefuse(args);
            assertEquals(outcome.equals("refused"), refused != null, line + (refused == null ? "" : ": " + refused.getMessage()));
            if (refused == null) {
                assertEquals(outcome, String.join("|", CommandLine.parse(args.toArray(String[]::new), FLAGS, VALUED, ALIASES).operands),
                        line);
            }
            replayed++;
        }
        assertTrue(replayed >= 15, "the corpus holds " + replayed + " vectors");
    }

    /** The declared error, or null after checking that the result accounts for every argument. */
    private static InvalidValueException parseOrRefuse(List<String> args) {
        CommandLine cl;
        try {
            cl = CommandLine.parse(args.toArray(String[]::new), FLAGS, VALUED, ALIASES);
        } catch (InvalidValueException refused) {
            assertPrintable(refused);
            return refused;
        }
        assertFalse(args.contains(null), "a missing argument was accepted: " + args);
        int operandsStart = args.size() - cl.operands.size();
        assertEquals(args.subList(operandsStart, args.size()), cl.operands, "the operands are the arguments' tail, as given");
        List<String> options = args.subList(0, operandsStart);
        int occurrences = 0;
        for (int i = 0; i < options.size(); i++) {
            String a = options.get(i);
            if (a.equals("--")) {
                assertEquals(options.size() - 1, i, "'--' ends the options: " + args);
                continue;
            }
            occurrences++;
            if (!a.contains("=") && VALUED.contains(ALIASES.getOrDefault(a, a))) {
                i++;
            }
        }
        assertEquals(occurrences, cl.options.values().stream().mapToInt(List::size).sum(), "every option is counted once: " + args);
        cl.options.keySet().forEach(name -> assertTrue(FLAGS.contains(name) || VALUED.contains(name), name));
        return null;
    }

    private static void assertPrintable(InvalidValueException refused) {
        assertTrue(refused.getMessage().startsWith("invalid "), refused.getMessage());
        assertTrue(refused.getMessage().codePoints().noneMatch(Character::isISOControl),
                "a control character reaches the terminal: " + refused.getMessage());
    }

    /** The corpus writes controls as Java escapes: \n, \t, \\ and \u0000. */
    private static String unescape(String field) {
        StringBuilder text = new StringBuilder();
        for (int i = 0; i < field.length(); i++) {
            char c = field.charAt(i);
            if (c != '\\' || i + 1 == field.length()) {
                text.append(c);
                continue;
            }
            char next = field.charAt(++i);
            switch (next) {
                case 'n' -> text.append('\n');
                case 't' -> text.append('\t');
                case 'u' -> {
                    text.append((char) Integer.parseInt(field.substring(i + 1, i + 5), 16));
                    i += 4;
                }
                default -> text.append(next);
            }
        }
        return text.toString();
    }

    private static List<String> corpus() throws IOException {
        try (InputStream in = CommandLineFuzzTest.class.getResourceAsStream("hostile-arguments.txt")) {
            return new String(in.readAllBytes(), StandardCharsets.UTF_8).lines()
                    .filter(l -> !l.isBlank() && !l.startsWith("#")).toList();
        }
    }
}
