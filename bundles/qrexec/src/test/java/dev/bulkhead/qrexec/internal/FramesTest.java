package dev.bulkhead.qrexec.internal;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.Channels;
import java.nio.channels.ReadableByteChannel;
import java.nio.charset.StandardCharsets;
import java.util.stream.Stream;

import org.junit.jupiter.api.DynamicTest;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestFactory;

import dev.bulkhead.fuzz.Fuzz;

/**
 * The request decoder dom0 runs on what a qube sends: a well-formed request decodes, every malformed one (wrong
 * version, no NUL, too long, characters outside Qubes' sets, a stream cut inside a frame) is a protocol error, and
 * hostile bytes, random or from the corpus beside this class, never make it throw anything else or read past a frame.
 */
class FramesTest {
    @Test
    void aRequestDecodesToItsTargetAndService() throws Exception {
        Frames.Request r = Frames.request(ByteBuffer.wrap(Frames.requestPayload("@dispvm:work-dvm", "qubes.Filecopy+a.b")));

        assertEquals(new Frames.Request("@dispvm:work-dvm", "qubes.Filecopy+a.b"), r);
    }

    @Test
    void malformedRequestsAreProtocolErrors() {
        for (byte[] bad : new byte[][] { {}, { 2, 'w', 0, 's' }, { 1, 'w', 's', 's' }, bytes("\u0001\u0000qubes.X"),
                bytes("\u0001work\u0000"), bytes("\u0001wo/rk\u0000qubes.X"), bytes("\u0001work\u0000qubes/X"),
                bytes("\u0001work\u0000+arg"), bytes("\u0001work\u0000qubes.X\u0000"), bytes("\u0001" + "w".repeat(65) + "\u0000s"),
                bytes("\u0001w\u0000" + "s".repeat(96)) }) {
            assertThrows(Frames.ProtocolException.class, () -> Frames.request(ByteBuffer.wrap(bad)), new String(bad,
                    StandardCharsets.ISO_8859_1));
        }
    }

    @Test
    void aFrameIsReadWholeAndAStreamCutInsideOneIsAnError() throws Exception {
        ByteBuffer header = ByteBuffer.allocate(Frames.HEADER_BYTES);
        ByteBuffer payload = ByteBuffer.allocate(Frames.MAX_PAYLOAD);

        assertEquals(Frames.DATA, Frames.read(channel(new byte[] { 2, 0, 3, 'a', 'b', 'c', 9 }), header, payload));
        assertEquals("abc", StandardCharsets.ISO_8859_1.decode(payload).toString());
        assertEquals(-1, Frames.read(channel(new byte[0]), header, payload));
        assertThrows(Frames.ProtocolException.class, () -> Frames.read(channel(new byte[] { 2, 0 }), header, payload));
        assertThrows(Frames.ProtocolException.class, () -> Frames.read(channel(new byte[] { 2, 0, 5, 'a' }), header, payload));
    }

    @Test
    void hostileStreamsAreProtocolErrorsOrRequestsNeverAnythingElse() {
        byte[] valid = framed(Frames.REQUEST, Frames.requestPayload("personal", "qubes.Filecopy"));
        Fuzz.forAll(15, 20_000, r -> r.nextBoolean() ? Fuzz.mutate(r, valid) : Fuzz.bytes(r, 300), FramesTest::decodeAll);
    }

    @TestFactory
    Stream<DynamicTest> theCorpusOfHostileRequests() {
        return Fuzz.corpus(FramesTest.class, "corpus/requests", FramesTest::decodeAll);
    }

    /** Reads frames as dom0 does until the stream ends; a REQUEST's payload is decoded. */
    private static void decodeAll(byte[] input) throws IOException {
        ReadableByteChannel in = channel(input);
        ByteBuffer header = ByteBuffer.allocate(Frames.HEADER_BYTES);
        ByteBuffer payload = ByteBuffer.allocate(Frames.MAX_PAYLOAD);
        try {
            for (int type; (type = Frames.read(in, header, payload)) >= 0;) {
                assertTrue(payload.remaining() <= Frames.MAX_PAYLOAD);
                if (type == Frames.REQUEST) {
                    Frames.Request r = Frames.request(payload);
                    assertTrue(r.target().length() <= Frames.MAX_TARGET && r.serviceAndArgument().length() <= Frames.MAX_SERVICE);
                }
            }
        } catch (Frames.ProtocolException e) {
            // refused, as it should be
        }
    }

    static byte[] framed(int type, byte[] payload) {
        return ByteBuffer.allocate(3 + payload.length).put((byte) type).putShort((short) payload.length).put(payload).array();
    }

    private static ReadableByteChannel channel(byte[] bytes) {
        return Channels.newChannel(new ByteArrayInputStream(bytes));
    }

    private static byte[] bytes(String s) {
        return s.getBytes(StandardCharsets.ISO_8859_1);
    }
}
