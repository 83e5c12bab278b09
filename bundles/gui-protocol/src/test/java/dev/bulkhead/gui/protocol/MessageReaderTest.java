package dev.bulkhead.gui.protocol;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.Channels;
import java.util.List;

import org.junit.jupiter.api.Test;

class MessageReaderTest {
    static final List<GuiMessage> FROM_QUBE = List.of(
            new GuiMessage.Hello(GuiLimits.VERSION),
            new GuiMessage.Create(7, -10, 20, 640, 480, 0, false),
            new GuiMessage.Map(7, true),
            new GuiMessage.Configure(7, 5, 6, 16384, 6144, false),
            new GuiMessage.Pixels(7, 1, 2, 2, 2, new int[] {0xff0000, 0x00ff00, 0x0000ff, 0xffffff}),
            new GuiMessage.WmName(7, "xterm — ~"),
            new GuiMessage.WmClass(7, "XTerm", "xterm"),
            new GuiMessage.Unmap(7),
            new GuiMessage.Destroy(7),
            new GuiMessage.ClipboardData("copied".getBytes()));
    static final List<GuiMessage> FROM_DOM0 = List.of(
            new GuiMessage.Hello(GuiLimits.VERSION),
            new GuiMessage.Key(7, true, 0x61, 1),
            new GuiMessage.Button(7, false, 3, 10, 20, 4),
            new GuiMessage.Motion(7, 1, 2, 0),
            new GuiMessage.Focus(7, true),
            new GuiMessage.Close(7),
            new GuiMessage.Configure(7, 0, 0, 100, 100, false),
            new GuiMessage.ClipboardRequest(),
            new GuiMessage.ClipboardData(new byte[0]));

    @Test
    void everyMessageReadsBackAsWritten() throws Exception {
        assertEquals(FROM_QUBE, readAll(Direction.QUBE_TO_DOM0, FROM_QUBE));
        assertEquals(FROM_DOM0, readAll(Direction.DOM0_TO_QUBE, FROM_DOM0));
    }

    @Test
    void aStreamEndingBetweenMessagesEndsCleanlyAndInsideOneIsRefused() throws Exception {
        assertNull(reader(new byte[0], Direction.QUBE_TO_DOM0).read());
        byte[] hello = bytes(new GuiMessage.Hello(GuiLimits.VERSION));
        for (int cut = 1; cut < hello.length; cut++) {
            byte[] part = java.util.Arrays.copyOf(hello, cut);
            assertThrows(GuiProtocolException.class, () -> reader(part, Direction.QUBE_TO_DOM0).read(), "cut at " + cut);
        }
    }

    @Test
    void aTypeSentTheWrongWayIsRefused() {
        // A qube asking for dom0's clipboard buffer, or typing into itself through dom0.
        GuiProtocolException e = assertThrows(GuiProtocolException.class,
                () -> reader(bytes(new GuiMessage.ClipboardRequest()), Direction.QUBE_TO_DOM0).read());
        assertEquals("CLIPBOARD_REQ may not be sent QUBE_TO_DOM0", e.getMessage());
        assertThrows(GuiProtocolException.class,
                () -> reader(bytes(new GuiMessage.Key(1, true, 0x61, 0)), Direction.QUBE_TO_DOM0).read());
        assertThrows(GuiProtocolException.class,
                () -> reader(bytes(new GuiMessage.Create(1, 0, 0, 1, 1, 0, false)), Direction.DOM0_TO_QUBE).read());
    }

    @Test
    void anUnknownTypeIsRefused() {
        byte[] b = header(99, 1, 0).array();
        assertEquals("unknown message type 99", assertThrows(GuiProtocolException.class,
                () -> reader(b, Direction.QUBE_TO_DOM0).read()).getMessage());
        byte[] high = header(0xffffffff, 1, 0).array();
        assertEquals("unknown message type 4294967295", assertThrows(GuiProtocolException.class,
                () -> reader(high, Direction.QUBE_TO_DOM0).read()).getMessage());
    }

    @Test
    void anOversizedPayloadIsRefusedBeforeItIsRead() {
        // Only the header is there: a reader that tried to read 1 MB of title would report a truncation instead.
        byte[] b = header(MessageType.WMNAME.code(), 1, 1 << 20).array();
        GuiProtocolException e = assertThrows(GuiProtocolException.class, () -> reader(b, Direction.QUBE_TO_DOM0).read());
        assertEquals("WMNAME announces 1048576 payload bytes; accepted: 0 to 1024", e.getMessage());
        byte[] huge = header(MessageType.PIXELS.code(), 1, 0xffffffff).array();
        assertTrue(assertThrows(GuiProtocolException.class, () -> reader(huge, Direction.QUBE_TO_DOM0).read())
                .getMessage().startsWith("PIXELS announces 4294967295 payload bytes"));
    }

    @Test
    void windowSizesBeyondTheCapsAreRefused() {
        assertRefused(new GuiMessage.Create(1, 0, 0, 16385, 10, 0, false), "width 16385 is out of range; accepted: 1 to 16384");
        assertRefused(new GuiMessage.Create(1, 0, 0, 10, 6145, 0, false), "height 6145 is out of range; accepted: 1 to 6144");
        assertRefused(new GuiMessage.Configure(1, 0, 0, 0, 10, false), "width 0 is out of range; accepted: 1 to 16384");
        assertRefused(new GuiMessage.Configure(1, Integer.MIN_VALUE, 0, 10, 10, false),
                "x -2147483648 is out of range; accepted: -32767 to 32767");
    }

    @Test
    void pixelsMustBeExactlyTheAnnouncedSize() {
        ByteBuffer short1 = header(MessageType.PIXELS.code(), 1, 16 + 4 * 3);
        ByteBuffer b = ByteBuffer.allocate(12 + 16 + 12).put(short1.array()).putInt(0).putInt(0).putInt(2).putInt(2)
                .putInt(1).putInt(2).putInt(3);
        assertEquals("PIXELS announces 2x2 (16 bytes) but carries 12 bytes",
                assertThrows(GuiProtocolException.class, () -> reader(b.array(), Direction.QUBE_TO_DOM0).read()).getMessage());
    }

    @Test
    void titlesAreCutToPrintableTextOfBoundedLength() throws Exception {
        String hostile = "\u001b]0;evil\u0007[dom0] root\u202e\u0000" + "x".repeat(300);
        GuiMessage.WmName read = (GuiMessage.WmName) reader(bytes(new GuiMessage.WmName(3, hostile)), Direction.QUBE_TO_DOM0).read();
        assertEquals("]0;evil[dom0] root" + "x".repeat(GuiLimits.MAX_TITLE_CHARS - 18), read.title());
    }

    @Test
    void booleansKeysymsButtonsAndWindowIdsAreChecked() {
        ByteBuffer map = ByteBuffer.allocate(16).put(header(MessageType.MAP.code(), 1, 4).array()).putInt(2);
        assertEquals("override_redirect 2 is out of range; accepted: 0 to 1",
                assertThrows(GuiProtocolException.class, () -> reader(map.array(), Direction.QUBE_TO_DOM0).read()).getMessage());
        assertThrows(GuiProtocolException.class,
                () -> reader(bytes(new GuiMessage.Button(1, true, 0, 0, 0, 0)), Direction.DOM0_TO_QUBE).read());
        assertThrows(GuiProtocolException.class,
                () -> reader(bytes(new GuiMessage.Key(1, true, 0, 0)), Direction.DOM0_TO_QUBE).read());
        assertEquals("MAP names no window", assertThrows(GuiProtocolException.class,
                () -> reader(bytes(new GuiMessage.Map(0, false)), Direction.QUBE_TO_DOM0).read()).getMessage());
        byte[] hello = bytes(new GuiMessage.Hello(1));
        hello[7] = 5;
        assertEquals("HELLO names window 5; it must name none", assertThrows(GuiProtocolException.class,
                () -> reader(hello, Direction.QUBE_TO_DOM0).read()).getMessage());
    }

    private static void assertRefused(GuiMessage m, String reason) {
        assertEquals(reason, assertThrows(GuiProtocolException.class, () -> reader(bytes(m), Direction.QUBE_TO_DOM0).read()).getMessage());
    }

    static List<GuiMessage> readAll(Direction d, List<GuiMessage> messages) throws IOException, GuiProtocolException {
        var out = new java.io.ByteArrayOutputStream();
        var writer = new MessageWriter(Channels.newChannel(out));
        for (GuiMessage m : messages) {
            writer.write(m);
        }
        MessageReader r = reader(out.toByteArray(), d);
        List<GuiMessage> read = new java.util.ArrayList<>();
        for (GuiMessage m = r.read(); m != null; m = r.read()) {
            read.add(m);
        }
        return read;
    }

    static MessageReader reader(byte[] bytes, Direction d) {
        return new MessageReader(Channels.newChannel(new ByteArrayInputStream(bytes)), d);
    }

    static byte[] bytes(GuiMessage m) {
        ByteBuffer b = MessageWriter.encode(m);
        byte[] out = new byte[b.remaining()];
        b.get(out);
        return out;
    }

    static ByteBuffer header(int type, int window, int length) {
        return ByteBuffer.allocate(12).putInt(type).putInt(window).putInt(length);
    }
}
