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

import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.Combinators;
import net.jqwik.api.Example;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;
import net.jqwik.api.constraints.IntRange;
import net.jqwik.api.constraints.Size;

/**
 * What a hostile client can send: arbitrary and mutated bytes never get past the frame reader or the
 * argument decoder except as a well-formed request, and are otherwise refused with a
 * {@link ProtocolException} (or an {@link EOFException} for a request cut short), never with any
 * other exception. A fixed seed and number of tries keep every run the same; the corpus
 * {@code hostile-requests.txt} replays inputs worth keeping.
 */
class ArgumentVectorFuzzTest {
    private static final String SEED = "20261204";

    /** Characters a caller might put in an argument: shell syntax, controls, and every plane of Unicode. */
    @Provide
    Arbitrary<String> argument() {
        Arbitrary<Integer> syntax = Arbitraries.of((int) ';', (int) '|', (int) '&', (int) '$', (int) '(', (int) ')', (int) '{', (int) '}',
                (int) '<', (int) '>', (int) '\'', (int) '"', (int) '\\', (int) '`', (int) '\n', (int) '\t', (int) ' ', (int) '#', 0x1b, 0x7f);
        Arbitrary<Integer> any = Arbitraries.integers().between(1, Character.MAX_CODE_POINT)
                .filter(cp -> cp < Character.MIN_SURROGATE || cp > Character.MAX_SURROGATE);
        return Arbitraries.frequencyOf(net.jqwik.api.Tuple.of(3, syntax), net.jqwik.api.Tuple.of(1, any)).list().ofMaxSize(40)
                .map(cps -> {
                    StringBuilder text = new StringBuilder();
                    cps.forEach(text::appendCodePoint);
                    return text.toString();
                });
    }

    @Provide
    Arbitrary<List<String>> argv() {
        return Combinators.combine(argument().filter(s -> !s.isEmpty()), argument().list().ofMaxSize(12)).as((name, rest) -> {
            List<String> all = new ArrayList<>(List.of(name));
            all.addAll(rest);
            return all;
        });
    }

    @Property(tries = 400, seed = SEED)
    void wellFormedVectorsArriveExactlyAsSent(@ForAll("argv") List<String> argv) throws IOException {
        assertEquals(argv, ArgumentVector.decode(ArgumentVector.encode(argv)));
        assertEquals(argv, Frame.readFrom(channel(wire(Frame.arguments(argv)))).arguments());
    }

    /** Bytes that decode are exactly the encoding of what they decode to: there is one way to say each request. */
    @Property(tries = 2000, seed = SEED)
    void arbitraryPayloadsAreRefusedOrCanonical(@ForAll @Size(max = 300) byte[] payload) {
        decodeOrRefuse(payload);
    }

    @Property(tries = 2000, seed = SEED)
    void mutatedRequestsAreRefusedOrCanonical(@ForAll("argv") List<String> argv, @ForAll @IntRange(min = 0, max = 3) int mutation,
            @ForAll @IntRange(min = 0, max = 100_000) int where, @ForAll byte value) {
        byte[] payload = ArgumentVector.encode(argv);
        int at = where % payload.length;
        byte[] mutated = switch (mutation) {
            case 0 -> {
                byte[] flipped = payload.clone();
                flipped[at] = value;
                yield flipped;
            }
            case 1 -> java.util.Arrays.copyOf(payload, at);
            case 2 -> {
                byte[] longer = java.util.Arrays.copyOf(payload, payload.length + 1);
                longer[payload.length] = value;
                yield longer;
            }
            default -> {
                byte[] lengthChanged = payload.clone();
                // the big-endian length of the first argument, pointed past or before its end
                lengthChanged[4 + (at % 4)] ^= (byte) (value | 1);
                yield lengthChanged;
            }
        };
        decodeOrRefuse(mutated);
    }

    /** Whole frames from a hostile peer: read as frames, or refused; never a larger buffer than a frame holds. */
    @Property(tries = 2000, seed = SEED)
    void arbitraryStreamsAreReadAsFramesOrRefused(@ForAll @Size(max = 64) byte[] wire) {
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
    }

    @Example
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

    @Example
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

    private static void decodeOrRefuse(byte[] payload) {
        List<String> argv;
        try {
            argv = ArgumentVector.decode(payload);
        } catch (ProtocolException refused) {
            assertFalse(refused.getMessage().isBlank());
            return;
        }
        assertArrayEquals(payload, ArgumentVector.encode(argv), "accepted " + argv + " from a non-canonical payload");
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
