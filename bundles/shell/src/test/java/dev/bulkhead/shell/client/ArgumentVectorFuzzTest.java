package dev.bulkhead.shell.client;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import java.io.ByteArrayInputStream;
import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;
import java.nio.channels.Channels;
import java.nio.channels.ReadableByteChannel;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Random;
import java.util.function.Function;

import org.junit.jupiter.api.Test;

import dev.bulkhead.fuzz.Fuzz;

/**
 * What a hostile client can send: arbitrary and mutated bytes never get past the frame reader or the
 * argument decoder except as a well-formed request, and are otherwise refused with a
 * {@link ProtocolException} (or an {@link EOFException} for a request cut short), never with any
 * other exception. A fixed seed and number of tries keep every run the same; the corpus
 * {@code hostile-requests.txt} replays inputs worth keeping.
 */
class ArgumentVectorFuzzTest {
    private static final long SEED = 20261204;
    private static final int[] SYNTAX = {';', '|', '&', '$', '(', ')', '{', '}', '<', '>', '\'', '"', '\\', '`', '\n', '\t', ' ', '#',
        0x1b, 0x7f};
    /** How many code points there are from 1 up, surrogates left out: they are not characters on their own. */
    private static final int NON_SURROGATES = Character.MAX_CODE_POINT - (Character.MAX_SURROGATE - Character.MIN_SURROGATE + 1);

    /** A request and one change to its encoding: a byte replaced, a cut, a byte appended, a length changed, or a general mutation. */
    record Mutation(List<String> argv, int kind, int where, byte value, long mutationSeed) {
    }

    /**
     * An argument of up to 40 characters, three in four shell syntax or controls, the others from
     * every plane of Unicode; a command name has at least one.
     */
    static String argument(Random random, int minLength) {
        int length = minLength + random.nextInt(41 - minLength);
        StringBuilder text = new StringBuilder();
        for (int i = 0; i < length; i++) {
            if (random.nextInt(4) < 3) {
                text.appendCodePoint(SYNTAX[random.nextInt(SYNTAX.length)]);
            } else {
                int cp = 1 + random.nextInt(NON_SURROGATES);
                text.appendCodePoint(cp < Character.MIN_SURROGATE ? cp : cp + (Character.MAX_SURROGATE - Character.MIN_SURROGATE + 1));
            }
        }
        return text.toString();
    }

    /** A command name and up to 12 arguments, some of them empty. */
    static List<String> argv(Random random) {
        List<String> all = new ArrayList<>(List.of(argument(random, 1)));
        int rest = random.nextInt(13);
        for (int i = 0; i < rest; i++) {
            all.add(argument(random, 0));
        }
        return all;
    }

    private static final Function<Random, Mutation> MUTATIONS = random -> new Mutation(argv(random), random.nextInt(5),
            random.nextInt(100_001), value(random), random.nextLong());

    /** A byte, one in four of them a value at an edge: NUL, the ends of ASCII, a lone continuation or lead byte. */
    private static byte value(Random random) {
        return random.nextInt(4) == 0 ? Fuzz.oneOf(random, (byte) 0, (byte) 1, (byte) 0x7f, (byte) 0x80, (byte) 0xc0, (byte) 0xff)
                : (byte) random.nextInt(256);
    }

    @Test
    void wellFormedVectorsArriveExactlyAsSent() {
        Fuzz.forAll(SEED, 400, ArgumentVectorFuzzTest::argv, argv -> {
            assertEquals(argv, ArgumentVector.decode(ArgumentVector.encode(argv)));
            assertEquals(argv, Frame.readFrom(channel(wire(Frame.arguments(argv)))).arguments());
        });
    }

    /** Bytes that decode are exactly the encoding of what they decode to: there is one way to say each request. */
    @Test
    void arbitraryPayloadsAreRefusedOrCanonical() {
        Fuzz.forAll(SEED, 2000, random -> Fuzz.bytes(random, 300), ArgumentVectorFuzzTest::decodeOrRefuse);
    }

    @Test
    void mutatedRequestsAreRefusedOrCanonical() {
        int[] outcomes = new int[2];
        Fuzz.forAll(SEED, 2000, MUTATIONS, m -> outcomes[decodeOrRefuse(mutated(m)) ? 1 : 0]++);
        // both ends of the decoder are reached: near-valid requests that still decode, and refusals
        int all = outcomes[0] + outcomes[1];
        assertTrue(outcomes[1] >= all / 40, outcomes[1] + " of " + all + " mutated requests decoded");
        assertTrue(outcomes[0] >= all / 4, outcomes[0] + " of " + all + " mutated requests were refused");
    }

    private static byte[] mutated(Mutation m) {
        byte[] payload = ArgumentVector.encode(m.argv());
        int at = m.where() % payload.length;
        return switch (m.kind()) {
            case 0 -> {
                byte[] flipped = payload.clone();
                flipped[at] = m.value();
                yield flipped;
            }
            case 1 -> java.util.Arrays.copyOf(payload, at);
            case 2 -> {
                byte[] longer = java.util.Arrays.copyOf(payload, payload.length + 1);
                longer[payload.length] = m.value();
                yield longer;
            }
            case 3 -> {
                byte[] lengthChanged = payload.clone();
                // the big-endian length of the first argument, pointed past or before its end
                lengthChanged[4 + (at % 4)] ^= (byte) (m.value() | 1);
                yield lengthChanged;
            }
            // several changes at once: flips, cuts, inserted and duplicated slices
            default -> Fuzz.mutate(new Random(m.mutationSeed()), payload);
        };
    }

    /** Whole frames from a hostile peer: read as frames, or refused; never a larger buffer than a frame holds. */
    @Test
    void arbitraryStreamsAreReadAsFramesOrRefused() {
        Fuzz.forAll(SEED, 2000, random -> Fuzz.bytes(random, 64), wire -> {
            ReadableByteChannel in = channel(wire);
            try {
                for (Frame frame = Frame.readFrom(in); frame != null; frame = Frame.readFrom(in)) {
                    assertTrue(frame.payload().length <= Frame.MAX_PAYLOAD);
                    if (frame.type() == FrameType.ARGUMENTS) {
                        decodeOrRefuse(frame.payload());
                    }
                }
            } catch (ProtocolException | EOFException refused) {
                assertFalse(refused.getMessage().isBlank());
            } catch (IOException e) {
                fail("not a declared refusal: " + e);
            }
        });
    }

    @Test
    void theHostileCorpusIsRefusedOrReadAsDeclared() throws IOException {
        int replayed = 0;
        for (String line : corpus()) {
            String[] fields = line.split("\t");
            byte[] bytes = HexFormat.of().parseHex(fields[1].replace(" ", ""));
            String outcome = fields[0];
            String what = fields.length > 2 ? fields[2] : fields[1];
            List<String> argv = null;
            Exception refusal = null;
            try {
                ReadableByteChannel in = channel(bytes);
                Frame frame = Frame.readFrom(in);
                argv = frame.arguments();
            } catch (ProtocolException | EOFException e) {
                refusal = e;
            }
            if (outcome.equals("refused")) {
                assertTrue(refusal != null, what + " was accepted as " + argv);
            } else {
                assertEquals(null, refusal, what);
                assertEquals(List.of(outcome.split("\\|", -1)), argv, what);
            }
            replayed++;
        }
        assertTrue(replayed >= 20, "the corpus holds " + replayed + " requests");
    }

    @Test
    void encodingRefusesWhatNoProcessArgumentHolds() {
        assertEquals("no command name", assertThrows(IllegalArgumentException.class, () -> ArgumentVector.encode(List.of())).getMessage());
        assertEquals("the command name is empty",
                assertThrows(IllegalArgumentException.class, () -> ArgumentVector.encode(List.of(""))).getMessage());
        assertEquals("argument 1 contains a NUL character",
                assertThrows(IllegalArgumentException.class, () -> ArgumentVector.encode(List.of("x", "a\0b"))).getMessage());
        assertEquals("argument 2 is not well-formed Unicode text",
                assertThrows(IllegalArgumentException.class, () -> ArgumentVector.encode(List.of("x", "", "\ud800"))).getMessage());
        List<String> tooMany = new ArrayList<>();
        for (int i = 0; i <= ArgumentVector.MAX_ARGUMENTS; i++) {
            tooMany.add("x");
        }
        assertThrows(IllegalArgumentException.class, () -> ArgumentVector.encode(tooMany));
        assertThrows(IllegalArgumentException.class, () -> ArgumentVector.encode(List.of("x", "y".repeat(Frame.MAX_PAYLOAD))));
    }

    /** Whether the payload decoded, after checking that it is the one encoding of what it decoded to. */
    private static boolean decodeOrRefuse(byte[] payload) {
        List<String> argv;
        try {
            argv = ArgumentVector.decode(payload);
        } catch (ProtocolException refused) {
            assertFalse(refused.getMessage().isBlank());
            return false;
        }
        assertArrayEquals(payload, ArgumentVector.encode(argv), "accepted " + argv + " from a non-canonical payload");
        return true;
    }

    private static byte[] wire(Frame frame) throws IOException {
        java.io.ByteArrayOutputStream bytes = new java.io.ByteArrayOutputStream();
        frame.writeTo(Channels.newChannel(bytes));
        return bytes.toByteArray();
    }

    private static ReadableByteChannel channel(byte[] bytes) {
        return Channels.newChannel(new ByteArrayInputStream(bytes));
    }

    private static List<String> corpus() throws IOException {
        try (InputStream in = ArgumentVectorFuzzTest.class.getResourceAsStream("hostile-requests.txt")) {
            return new String(in.readAllBytes(), StandardCharsets.UTF_8).lines()
                    .filter(l -> !l.isBlank() && !l.startsWith("#")).toList();
        }
    }
}
