package dev.bulkhead.fuzz;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URISyntaxException;
import java.net.URL;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Random;
import java.util.function.Function;
import java.util.stream.Stream;

import org.junit.jupiter.api.DynamicTest;

/**
 * Seeded, bounded fuzzing for JUnit 5 tests: a property is checked against a fixed number of
 * inputs drawn from a generator, each try from its own {@link Random} derived from the seed and
 * the try's number, so a failure names the seed and try that reproduce it. CI runs the fixed
 * seed and budget each test gives; {@code -Dfuzz.seed=N} explores another part of the input space
 * and {@code -Dfuzz.scale=K} multiplies every budget, for longer runs by hand.
 * <p>
 * Inputs that once broke something are kept as files of a corpus, checked in beside the test
 * ({@link #corpus}), and replayed on every run.
 */
public final class Fuzz {
    /** System property overriding every test's seed. */
    public static final String SEED_PROPERTY = "fuzz.seed";
    /** System property multiplying every test's number of tries. */
    public static final String SCALE_PROPERTY = "fuzz.scale";

    private static final String SHELL_METACHARACTERS = ";|&$`<>(){}[]*?!~#'\"\\ \t\n\r";
    private static final String[] INTERESTING = {
        "", " ", "-", "--", "=", "==", "..", "../", "/", "%00", "%0A", "%2e%2e", "\u0000", "\n", "\r\n",
        "\u202e", "\ufeff", "\ud800", "\udfff", "\uffff", "😀", "0", "-1", "2147483647", "2147483648",
        "-2147483649", "9223372036854775808", "1e309", "NaN", "null", "true", "{}", "[]", "\"", "'",
        "$(id)", "`id`", "${x}", "a;b", "a|b", "a&&b", ">x", "<x", "*", "?", "%s%n", "\\", "\\u0000"
    };

    private Fuzz() {
    }

    /** A check of one input; any exception or error it throws fails the test. */
    @FunctionalInterface
    public interface Property<T> {
        void check(T input) throws Exception;
    }

    /**
     * Checks {@code property} against {@code tries} inputs from {@code generator}.
     *
     * @throws AssertionError naming the seed, the try and the input, on the first failure
     */
    public static <T> void forAll(long seed, int tries, Function<Random, T> generator, Property<T> property) {
        long s = Long.getLong(SEED_PROPERTY, seed);
        int n = Math.multiplyExact(tries, Integer.getInteger(SCALE_PROPERTY, 1));
        for (int i = 0; i < n; i++) {
            T input = generator.apply(random(s, i));
            try {
                property.check(input);
            } catch (Throwable t) {
                throw new AssertionError("try " + i + " of seed " + s + " failed on " + describe(input) + ": " + t, t);
            }
        }
    }

    /**
     * The random source of one try: the same for the same seed and try on every machine. The seed
     * and the try are mixed (SplitMix64's finaliser), because {@link Random}'s first draws from
     * nearby seeds are nearly the same and would leave whole branches of a generator unvisited.
     */
    public static Random random(long seed, int attempt) {
        return new Random(mix(mix(seed) + attempt));
    }

    private static long mix(long z) {
        z = (z ^ (z >>> 30)) * 0xBF58476D1CE4E5B9L;
        z = (z ^ (z >>> 27)) * 0x94D049BB133111EBL;
        return z ^ (z >>> 31);
    }

    /**
     * One dynamic test per file of a corpus directory, a resource folder next to {@code owner}'s
     * package (for example {@code corpus/rules}), each checked by {@code property} with the file's
     * bytes. An empty or missing corpus is a failure, never a silent pass.
     */
    public static Stream<DynamicTest> corpus(Class<?> owner, String directory, Property<byte[]> property) {
        List<Path> files = corpusFiles(owner, directory);
        return files.stream().map(file -> DynamicTest.dynamicTest(directory + "/" + file.getFileName(), () -> {
            byte[] content = Files.readAllBytes(file);
            try {
                property.check(content);
            } catch (Throwable t) {
                throw new AssertionError("corpus case " + file.getFileName() + " failed: " + t, t);
            }
        }));
    }

    /** The files of a corpus directory beside {@code owner}, sorted by name; hidden files (such as {@code .keep}) are not cases. */
    public static List<Path> corpusFiles(Class<?> owner, String directory) {
        URL url = owner.getResource(directory);
        if (url == null) {
            throw new AssertionError("no corpus directory " + directory + " beside " + owner.getName());
        }
        try (Stream<Path> listing = Files.list(Path.of(url.toURI()))) {
            List<Path> files = listing.filter(Files::isRegularFile)
                    .filter(f -> !f.getFileName().toString().startsWith(".")).sorted().toList();
            if (files.isEmpty()) {
                throw new AssertionError("the corpus directory " + directory + " beside " + owner.getName() + " is empty");
            }
            return files;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        } catch (URISyntaxException e) {
            throw new IllegalStateException(e);
        }
    }

    /** One of the given values. */
    @SafeVarargs
    public static <T> T oneOf(Random random, T... values) {
        return values[random.nextInt(values.length)];
    }

    /** One of the given values. */
    public static <T> T oneOf(Random random, List<T> values) {
        return values.get(random.nextInt(values.size()));
    }

    /** Random bytes, of a length up to {@code maxLength}, often short. */
    public static byte[] bytes(Random random, int maxLength) {
        byte[] b = new byte[length(random, maxLength)];
        random.nextBytes(b);
        return b;
    }

    /**
     * A string meant to break parsers: printable text, shell and format metacharacters, control
     * characters, lone surrogates, right-to-left marks, numbers at the edges of their types and
     * path tricks, mixed, of a length up to {@code maxLength}.
     */
    public static String hostileString(Random random, int maxLength) {
        int length = length(random, maxLength);
        StringBuilder b = new StringBuilder(length);
        while (b.length() < length) {
            switch (random.nextInt(6)) {
                case 0 -> b.append((char) (0x20 + random.nextInt(0x5f)));
                case 1 -> b.append(SHELL_METACHARACTERS.charAt(random.nextInt(SHELL_METACHARACTERS.length())));
                case 2 -> b.append((char) random.nextInt(0x20));
                case 3 -> b.append(INTERESTING[random.nextInt(INTERESTING.length)]);
                case 4 -> b.append((char) random.nextInt(0x10000));
                default -> b.append((char) ('a' + random.nextInt(26)));
            }
        }
        return b.length() > length ? b.substring(0, length) : b.toString();
    }

    /** A string of letters, digits and {@code extra} characters only, of a length from 1 to {@code maxLength}. */
    public static String word(Random random, int maxLength, String extra) {
        String alphabet = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789" + extra;
        int length = 1 + random.nextInt(Math.max(1, maxLength));
        StringBuilder b = new StringBuilder(length);
        for (int i = 0; i < length; i++) {
            b.append(alphabet.charAt(random.nextInt(alphabet.length())));
        }
        return b.toString();
    }

    /**
     * A mutation of a valid input: a few bit flips, deletions, insertions of random or interesting
     * bytes, duplicated or swapped slices, or a truncation. Near-valid inputs reach deeper into a
     * parser than random bytes.
     */
    public static byte[] mutate(Random random, byte[] valid) {
        byte[] b = valid.clone();
        int rounds = 1 + random.nextInt(4);
        for (int r = 0; r < rounds; r++) {
            int at = b.length == 0 ? 0 : random.nextInt(b.length);
            switch (random.nextInt(6)) {
                case 0 -> {
                    if (b.length > 0) {
                        b[at] ^= (byte) (1 << random.nextInt(8));
                    }
                }
                case 1 -> b = splice(b, at, Math.min(b.length - at, 1 + random.nextInt(8)), new byte[0]);
                case 2 -> b = splice(b, at, 0, bytes(random, 8));
                case 3 -> b = splice(b, at, 0, INTERESTING[random.nextInt(INTERESTING.length)].getBytes(StandardCharsets.UTF_8));
                case 4 -> {
                    int len = Math.min(b.length - at, 1 + random.nextInt(32));
                    byte[] slice = new byte[len];
                    System.arraycopy(b, at, slice, 0, len);
                    b = splice(b, b.length == 0 ? 0 : random.nextInt(b.length), 0, slice);
                }
                default -> b = splice(b, at, b.length - at, new byte[0]);
            }
        }
        return b;
    }

    /** A mutation of a valid text, as {@link #mutate(Random, byte[])} of its UTF-8 bytes, decoded again. */
    public static String mutate(Random random, String valid) {
        return new String(mutate(random, valid.getBytes(StandardCharsets.UTF_8)), StandardCharsets.UTF_8);
    }

    /** The input as a test failure shows it: strings quoted with every non-printable character escaped. */
    public static String describe(Object input) {
        if (input instanceof byte[] b) {
            StringBuilder s = new StringBuilder(b.length + " bytes: ");
            for (int i = 0; i < Math.min(b.length, 512); i++) {
                s.append(String.format("%02x", b[i]));
            }
            return b.length > 512 ? s.append("...").toString() : s.toString();
        }
        String text = String.valueOf(input);
        StringBuilder s = new StringBuilder("\"");
        text.chars().limit(2048).forEach(c -> {
            if (c >= 0x20 && c < 0x7f && c != '"' && c != '\\') {
                s.append((char) c);
            } else {
                s.append(String.format("\\u%04x", c));
            }
        });
        return s.append(text.length() > 2048 ? "\"..." : "\"").toString();
    }

    private static int length(Random random, int maxLength) {
        // Mostly short inputs, sometimes the longest allowed: parsers fail at both ends.
        return switch (random.nextInt(4)) {
            case 0 -> random.nextInt(Math.min(8, maxLength) + 1);
            case 1 -> maxLength;
            default -> random.nextInt(maxLength + 1);
        };
    }

    private static byte[] splice(byte[] b, int at, int remove, byte[] insert) {
        byte[] out = new byte[b.length - remove + insert.length];
        System.arraycopy(b, 0, out, 0, at);
        System.arraycopy(insert, 0, out, at, insert.length);
        System.arraycopy(b, at + remove, out, at + insert.length, b.length - at - remove);
        return out;
    }
}
