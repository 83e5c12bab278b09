package dev.bulkhead.gui.protocol;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.nio.ByteBuffer;
import java.util.List;
import java.util.Random;
import java.util.stream.Stream;

import org.junit.jupiter.api.DynamicTest;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestFactory;

import dev.bulkhead.fuzz.Fuzz;

/**
 * Fuzzes the decoder with generated, mutated and random streams in both directions: every stream
 * reads as messages up to its end or up to a {@link GuiProtocolException}, never another
 * exception; every message it yields is within the limits and reads back the same when written
 * again. The corpus beside this class holds hostile streams from a qube, one file per case.
 */
class MessageReaderFuzzTest {
    @Test
    void anyStreamIsMessagesThenAnEndOrAProtocolError() {
        Fuzz.forAll(20261205L, 100_000, MessageReaderFuzzTest::stream, in -> readOrRefuse(in.bytes(), in.direction()));
    }

    @TestFactory
    Stream<DynamicTest> everyCorpusCaseIsReadOrRefused() {
        assertTrue(Fuzz.corpusFiles(MessageReaderFuzzTest.class, "corpus").size() >= 10, "the corpus is there");
        return Fuzz.corpus(MessageReaderFuzzTest.class, "corpus", bytes -> readOrRefuse(bytes, Direction.QUBE_TO_DOM0));
    }

    record Input(Direction direction, byte[] bytes) {
        @Override
        public String toString() {
            return direction + " " + Fuzz.describe(bytes);
        }
    }

    private static void readOrRefuse(byte[] bytes, Direction direction) throws Exception {
        MessageReader reader = MessageReaderTest.reader(bytes, direction);
        try {
            for (GuiMessage m = reader.read(); m != null; m = reader.read()) {
                checkLimits(m);
                assertEquals(m, MessageReaderTest.readAll(direction, List.of(m)).get(0), "reads back the same");
            }
        } catch (GuiProtocolException refused) {
            assertTrue(refused.getMessage() != null && !refused.getMessage().isBlank(), "a refusal names its reason");
        }
    }

    private static void checkLimits(GuiMessage m) {
        if (m instanceof GuiMessage.Create c) {
            assertTrue(c.width() <= GuiLimits.MAX_WIDTH && c.height() <= GuiLimits.MAX_HEIGHT, "size capped");
        } else if (m instanceof GuiMessage.Configure c) {
            assertTrue(c.width() <= GuiLimits.MAX_WIDTH && c.height() <= GuiLimits.MAX_HEIGHT, "size capped");
        } else if (m instanceof GuiMessage.Pixels p) {
            assertEquals(p.width() * p.height(), p.rgb().length, "pixels exactly the size");
        } else if (m instanceof GuiMessage.WmName n) {
            assertTrue(n.title().codePointCount(0, n.title().length()) <= GuiLimits.MAX_TITLE_CHARS, "title bounded");
            assertTrue(n.title().codePoints().noneMatch(Character::isISOControl), "title printable");
        }
    }

    private static Input stream(Random r) {
        Direction d = Fuzz.oneOf(r, Direction.values());
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        int count = 1 + r.nextInt(4);
        for (int i = 0; i < count; i++) {
            ByteBuffer b = MessageWriter.encode(message(r, d));
            out.write(b.array(), 0, b.limit());
        }
        byte[] valid = out.toByteArray();
        byte[] bytes = switch (r.nextInt(5)) {
            case 0 -> valid;
            case 1, 2 -> Fuzz.mutate(r, valid);
            case 3 -> rawHeader(r);
            default -> Fuzz.bytes(r, 64);
        };
        return new Input(d, bytes);
    }

    /** A header with edge values in each field, and a few payload bytes. */
    private static byte[] rawHeader(Random r) {
        ByteBuffer b = ByteBuffer.allocate(12 + 24);
        b.putInt(r.nextBoolean() ? r.nextInt(18) : r.nextInt());
        b.putInt(Fuzz.oneOf(r, 0, 1, -1, r.nextInt()));
        b.putInt(Fuzz.oneOf(r, 0, 4, 12, 16, 20, 24, 1024, 1025, -1, Integer.MAX_VALUE, r.nextInt(64)));
        byte[] rest = new byte[24];
        r.nextBytes(rest);
        b.put(rest);
        return b.array();
    }

    private static GuiMessage message(Random r, Direction d) {
        int w = 1 + r.nextInt(4000);
        int x = r.nextInt(2000) - 1000;
        int y = r.nextInt(2000) - 1000;
        boolean f = r.nextBoolean();
        if (d == Direction.QUBE_TO_DOM0) {
            return switch (r.nextInt(10)) {
                case 0 -> new GuiMessage.Hello(r.nextBoolean() ? GuiLimits.VERSION : r.nextInt());
                case 1 -> new GuiMessage.Create(w, x, y, 1 + r.nextInt(GuiLimits.MAX_WIDTH), 1 + r.nextInt(GuiLimits.MAX_HEIGHT), 0, f);
                case 2 -> new GuiMessage.Destroy(w);
                case 3 -> new GuiMessage.Map(w, f);
                case 4 -> new GuiMessage.Unmap(w);
                case 5 -> new GuiMessage.Configure(w, x, y, 1 + r.nextInt(800), 1 + r.nextInt(600), f);
                case 6 -> {
                    int pw = 1 + r.nextInt(8);
                    int ph = 1 + r.nextInt(8);
                    yield new GuiMessage.Pixels(w, r.nextInt(100), r.nextInt(100), pw, ph, r.ints(pw * ph).toArray());
                }
                case 7 -> new GuiMessage.WmName(w, Fuzz.hostileString(r, 300));
                case 8 -> new GuiMessage.WmClass(w, Fuzz.word(r, 20, "-"), Fuzz.hostileString(r, 40));
                default -> new GuiMessage.ClipboardData(Fuzz.bytes(r, 200));
            };
        }
        return switch (r.nextInt(9)) {
            case 0 -> new GuiMessage.Hello(GuiLimits.VERSION);
            case 1 -> new GuiMessage.Key(w, f, 1 + r.nextInt(0xffff), r.nextInt(0x2000));
            case 2 -> new GuiMessage.Button(w, f, 1 + r.nextInt(9), x, y, r.nextInt(0x2000));
            case 3 -> new GuiMessage.Motion(w, x, y, r.nextInt(0x2000));
            case 4 -> new GuiMessage.Focus(w, f);
            case 5 -> new GuiMessage.Close(w);
            case 6 -> new GuiMessage.Configure(w, x, y, 1 + r.nextInt(800), 1 + r.nextInt(600), f);
            case 7 -> new GuiMessage.ClipboardRequest();
            default -> new GuiMessage.ClipboardData(Fuzz.bytes(r, 200));
        };
    }
}
