package dev.bulkhead.shell.internal.channel;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.channels.Channels;
import java.nio.channels.ReadableByteChannel;
import java.util.ArrayList;
import java.util.List;

import org.junit.jupiter.api.Test;

import dev.bulkhead.shell.client.Frame;
import dev.bulkhead.shell.client.FrameType;

class FrameOutputStreamTest {
    private final ByteArrayOutputStream wire = new ByteArrayOutputStream();
    private final FrameWriter writer = new FrameWriter(Channels.newChannel(wire));

    private List<Frame> frames() throws IOException {
        ReadableByteChannel in = Channels.newChannel(new ByteArrayInputStream(wire.toByteArray()));
        List<Frame> frames = new ArrayList<>();
        for (Frame frame = Frame.readFrom(in); frame != null; frame = Frame.readFrom(in)) {
            frames.add(frame);
        }
        return frames;
    }

    @Test
    void eachWriteBecomesAFrameOfTheStreamsType() throws IOException {
        new FrameOutputStream(writer, FrameType.STDOUT).write("abc".getBytes(), 1, 2);
        new FrameOutputStream(writer, FrameType.STDERR).write('!');

        List<Frame> frames = frames();
        assertEquals(2, frames.size());
        assertEquals(FrameType.STDOUT, frames.get(0).type());
        assertEquals("bc", frames.get(0).text());
        assertEquals(FrameType.STDERR, frames.get(1).type());
        assertEquals("!", frames.get(1).text());
    }

    @Test
    void largeWritesAreSplitIntoFullFrames() throws IOException {
        byte[] output = new byte[2 * Frame.MAX_PAYLOAD + 5];
        for (int i = 0; i < output.length; i++) {
            output[i] = (byte) i;
        }
        new FrameOutputStream(writer, FrameType.STDOUT).write(output);

        List<Frame> frames = frames();
        assertEquals(List.of(Frame.MAX_PAYLOAD, Frame.MAX_PAYLOAD, 5),
                frames.stream().map(f -> f.payload().length).toList());
        ByteArrayOutputStream joined = new ByteArrayOutputStream();
        for (Frame frame : frames) {
            joined.write(frame.payload());
        }
        assertArrayEquals(output, joined.toByteArray());
    }

    @Test
    void emptyWriteSendsNothing() throws IOException {
        new FrameOutputStream(writer, FrameType.STDOUT).write(new byte[0]);
        assertNull(Frame.readFrom(Channels.newChannel(new ByteArrayInputStream(wire.toByteArray()))));
    }
}
