package dev.bulkhead.shell.client;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.EOFException;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.Channels;
import java.nio.channels.ReadableByteChannel;
import java.util.Arrays;

import org.junit.jupiter.api.Test;

class FrameTest {

    private static byte[] encode(Frame... frames) throws IOException {
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        for (Frame frame : frames) {
            frame.writeTo(Channels.newChannel(bytes));
        }
        return bytes.toByteArray();
    }

    private static ReadableByteChannel channel(byte[] bytes) {
        return Channels.newChannel(new ByteArrayInputStream(bytes));
    }

    @Test
    void layoutIsTypeThenBigEndianLengthThenPayload() throws IOException {
        byte[] wire = encode(new Frame(FrameType.STDERR, new byte[] {'h', 'i'}));
        assertArrayEquals(new byte[] {2, 0, 0, 0, 2, 'h', 'i'}, wire);
    }

    @Test
    void argumentLayoutIsCountThenEachLengthAndUtf8() throws IOException {
        byte[] wire = encode(Frame.arguments(java.util.List.of("a", "b;é")));
        assertArrayEquals(new byte[] {4, 0, 0, 0, 17, 0, 0, 0, 2, 0, 0, 0, 1, 'a', 0, 0, 0, 4, 'b', ';', (byte) 0xc3, (byte) 0xa9}, wire);
        assertEquals(java.util.List.of("a", "b;é"), Frame.readFrom(channel(wire)).arguments());
        assertThrows(ProtocolException.class, () -> Frame.command("a b").arguments());
    }

    @Test
    void framesRoundTripInOrder() throws IOException {
        ReadableByteChannel in = channel(encode(
                Frame.command("qvm:ls --raw-list"),
                new Frame(FrameType.STDOUT, "out ✓\n".getBytes("UTF-8")),
                new Frame(FrameType.STDERR, new byte[0]),
                Frame.exit(-3)));

        assertEquals("qvm:ls --raw-list", Frame.readFrom(in).text());
        assertEquals("out ✓\n", Frame.readFrom(in).text());
        Frame empty = Frame.readFrom(in);
        assertEquals(FrameType.STDERR, empty.type());
        assertEquals(0, empty.payload().length);
        assertEquals(-3, Frame.readFrom(in).exitStatus());
        assertNull(Frame.readFrom(in), "end of channel between frames");
    }

    @Test
    void exitStatusIsFourBytes() throws IOException {
        assertEquals(ByteBuffer.allocate(4).putInt(256).array().length, Frame.exit(256).payload().length);
        assertEquals(256, Frame.exit(256).exitStatus());
        assertThrows(ProtocolException.class, () -> new Frame(FrameType.EXIT, new byte[2]).exitStatus());
        assertThrows(ProtocolException.class, () -> new Frame(FrameType.STDOUT, new byte[4]).exitStatus());
    }

    @Test
    void endInsideAFrameIsAnError() throws IOException {
        byte[] wire = encode(new Frame(FrameType.STDOUT, new byte[10]));
        assertThrows(EOFException.class, () -> Frame.readFrom(channel(Arrays.copyOf(wire, 3))));
        assertThrows(EOFException.class, () -> Frame.readFrom(channel(Arrays.copyOf(wire, 9))));
    }

    @Test
    void unknownTypeAndOversizeLengthAreRefused() {
        assertThrows(ProtocolException.class, () -> Frame.readFrom(channel(new byte[] {9, 0, 0, 0, 0})));
        byte[] huge = ByteBuffer.allocate(5).put((byte) 1).putInt(Frame.MAX_PAYLOAD + 1).array();
        assertThrows(ProtocolException.class, () -> Frame.readFrom(channel(huge)));
        byte[] negative = ByteBuffer.allocate(5).put((byte) 1).putInt(-1).array();
        assertThrows(ProtocolException.class, () -> Frame.readFrom(channel(negative)));
    }

    @Test
    void payloadLargerThanAFrameIsRefusedAtConstruction() {
        assertThrows(IllegalArgumentException.class, () -> new Frame(FrameType.STDOUT, new byte[Frame.MAX_PAYLOAD + 1]));
        assertThrows(IllegalArgumentException.class, () -> Frame.command("x".repeat(Frame.MAX_PAYLOAD + 1)));
    }
}
