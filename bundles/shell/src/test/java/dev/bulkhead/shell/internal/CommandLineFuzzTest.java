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
import java.util.Random;
import java.util.Set;

import org.junit.jupiter.api.Test;

import dev.bulkhead.api.InvalidValueException;
import dev.bulkhead.api.command.CommandLine;
import dev.bulkhead.fuzz.Fuzz;

/**
 * The shell's argument parsers against hostile argument vectors: {@link CommandLine} and
 * {@link Sizes} end in a result that accounts for every argument, or in an
 * {@link InvalidValueException} whose message shows no control character (it is printed on the
 * caller's terminal); nothing else escapes them. Fixed seed and tries; the corpus
 * {@code hostile-arguments.txt} replays vectors worth keeping.
 */
class CommandLineFuzzTest {
    private static final long SEED = 20261204;
    private static final Set<String> FLAGS = Set.of("--force", "-f", "--raw");
    private static final Set<String> VALUED = Set.of("--label", "--property", "--timeout");
    private static final Map<String, String> ALIASES = Map.of("-l", "--label", "-p", "--property");
    private static final String[] KNOWN = {"--", "-", "--force", "-f", "--raw", "--label", "-l", "--label=red", "--property",
        "-p", "--property=memory=512", "--timeout", "--timeout=", "--=x", "---", "--unknown", "-x", "--label=", "=", "work"};
    /** Valid sizes, some next to the largest a long holds, so that their mutations overflow. */
    private static final String[] VALID_SIZES = {"0", "512", "512 MiB", "2GiB", "1 TB", "10kb", "9223372036854775807", "8 TiB",
        "8388607 TiB", "9223372036854775 kB"};
    private static final String SYNTAX = ";|&$(){}<>'\"\\`\n\t\r\u0000\u001b\u007f\u0085 -=:*?~#";

    /**
     * One argument: a known option or operand, the same followed by a terminal escape, or up to 16
     * characters of shell syntax, controls, letters, Latin and general punctuation, in equal parts.
     */
    static String argument(Random random) {
        return switch (random.nextInt(3)) {
            case 0 -> Fuzz.oneOf(random, KNOWN);
            case 1 -> Fuzz.oneOf(random, KNOWN) + "\u001b[2J";
            default -> hostile(random, 16);
        };
    }

    private static String hostile(Random random, int maxLength) {
        int length = random.nextInt(maxLength + 1);
        StringBuilder text = new StringBuilder(length);
        for (int i = 0; i < length; i++) {
            text.append(switch (random.nextInt(4)) {
                case 0 -> SYNTAX.charAt(random.nextInt(SYNTAX.length()));
                case 1 -> (char) ('a' + random.nextInt(26));
                case 2 -> (char) ('\u00a0' + random.nextInt(0x250 - 0xa0));
                default -> (char) ('\u2000' + random.nextInt(0x70));
            });
        }
        return text.toString();
    }

    /** Up to 10 arguments, one in 40 of them missing (null), as an unset variable gives. */
    static List<String> arguments(Random random) {
        int size = random.nextInt(11);
        List<String> args = new ArrayList<>(size);
        for (int i = 0; i < size; i++) {
            args.add(random.nextInt(40) == 0 ? null : argument(random));
        }
        return args;
    }

    @Test
    void parsingAccountsForEveryArgumentOrNamesTheProblem() {
        int[] outcomes = new int[2];
        Fuzz.forAll(SEED, 3000, CommandLineFuzzTest::arguments, args -> outcomes[parseOrRefuse(args) == null ? 1 : 0]++);
        assertBothOutcomes(outcomes, 10, "argument vectors");
    }

    @Test
    void operandCountsAreCheckedWithADeclaredError() {
        int[] outcomes = new int[2];
        Fuzz.forAll(SEED, 1000, CommandLineFuzzTest::arguments, args -> {
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
                outcomes[1]++;
            } catch (InvalidValueException refused) {
                assertPrintable(refused);
                assertTrue(refused.getMessage().contains("usage: cmd NAME [VALUE]"), refused.getMessage());
                outcomes[0]++;
            }
        });
        assertBothOutcomes(outcomes, 10, "parsed vectors' operand counts");
    }

    /**
     * Sizes: one in four a mutation of a valid one, one in four up to 20 digits and a unit (or
     * something like one), so that some parse and some overflow, the others hostile arguments.
     */
    static String size(Random random) {
        return switch (random.nextInt(4)) {
            case 0 -> Fuzz.mutate(random, Fuzz.oneOf(random, VALID_SIZES));
            case 1 -> {
                StringBuilder digits = new StringBuilder();
                for (int i = 1 + random.nextInt(20); i > 0; i--) {
                    digits.append((char) ('0' + random.nextInt(10)));
                }
                String unit = Fuzz.oneOf(random, "", "b", "kB", "KiB", "MB", "mib", "GB", "GiB", "TB", "TiB", "tIb", "PiB", "ki", "x");
                yield digits + Fuzz.oneOf(random, "", " ", "  ", "\t") + unit;
            }
            default -> argument(random);
        };
    }

    @Test
    void sizesParseOrNameTheProblem() {
        int[] outcomes = new int[2];
        Fuzz.forAll(SEED, 2000, CommandLineFuzzTest::size, text -> {
            try {
                assertTrue(Sizes.parse(text) >= 0);
                outcomes[1]++;
            } catch (InvalidValueException refused) {
                assertPrintable(refused);
                outcomes[0]++;
            }
        });
        assertBothOutcomes(outcomes, 10, "sizes");
    }

    /**
     * Both branches of a check ran, each for at least one in {@code share} of the inputs checked:
     * {@code outcomes[1]} accepted, {@code outcomes[0]} refused. A generator drifting to one side
     * would otherwise leave the other unchecked without a failure.
     */
    private static void assertBothOutcomes(int[] outcomes, int share, String what) {
        int all = outcomes[0] + outcomes[1];
        assertTrue(outcomes[1] >= all / share, outcomes[1] + " of " + all + " " + what + " were accepted");
        assertTrue(outcomes[0] >= all / share, outcomes[0] + " of " + all + " " + what + " were refused");
    }

    @Test
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
                assertEquals(outcome, String.join("|", CommandLine.parse(args.toArray(String[]::new), FLAGS, VALUED, ALIASES).operands()),
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
        int operandsStart = args.size() - cl.operands().size();
        assertEquals(args.subList(operandsStart, args.size()), cl.operands(), "the operands are the arguments' tail, as given");
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
        assertEquals(occurrences, cl.options().values().stream().mapToInt(List::size).sum(), "every option is counted once: " + args);
        cl.options().keySet().forEach(name -> assertTrue(FLAGS.contains(name) || VALUED.contains(name), name));
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
