package dev.bulkhead.qrexec.internal;

import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.OutputStream;
import java.nio.ByteBuffer;
import java.nio.channels.Channels;

import org.junit.jupiter.api.Test;

import dev.bulkhead.fuzz.Fuzz;

/**
 * dom0's reader of the qrexec agent's frames on hostile bytes, random or a valid transcript mutated, with two processes
 * waiting to start: it always ends with a reason (never an exception, never a hang), leaves no process pending, and
 * never holds more of a process's output than its window.
 */
class AgentFramesFuzzTest {
    @Test
    void hostileAgentStreamsEndTheStreamOrAreReadWithinTheirBounds() {
        byte[] valid = transcript();
        Fuzz.forAll(16, 20_000, r -> r.nextInt(4) == 0 ? Fuzz.bytes(r, 400) : Fuzz.mutate(r, valid), AgentFramesFuzzTest::readAll);
    }

    private static void readAll(byte[] input) throws Exception {
        AgentConnection connection = new AgentConnection("work", Channels.newChannel(new ByteArrayInputStream(input)),
                Channels.newChannel(OutputStream.nullOutputStream()), () -> {
                });
        AgentProcess first = connection.register("/bin/a");
        AgentProcess second = connection.register("/bin/b");
        String why = connection.run();
        assertNotNull(why);
        assertNotNull(connection.ended(), "the stream is over once its reader returns");
        for (AgentProcess p : new AgentProcess[] {first, second}) {
            assertTrue(p.stdout().available() <= AgentFrames.WINDOW && p.stderr().available() <= AgentFrames.WINDOW);
        }
    }

    /** HELLO; both processes start; the first writes, ends and exits; the second is granted stdin credit back. */
    private static byte[] transcript() {
        ByteArrayOutputStream b = new ByteArrayOutputStream();
        frame(b, AgentFrames.HELLO, 0, new byte[] {1, 64, 0, 'u', 's', 'e', 'r'});
        frame(b, AgentFrames.STARTED, 0, new byte[0]);
        frame(b, AgentFrames.STARTED, 1, new byte[0]);
        frame(b, AgentFrames.STDOUT, 0, "output".getBytes());
        frame(b, AgentFrames.STDERR, 1, "errors".getBytes());
        frame(b, AgentFrames.EOF, 0, new byte[] {1});
        frame(b, AgentFrames.EOF, 0, new byte[] {2});
        frame(b, AgentFrames.EXIT, 0, ByteBuffer.allocate(4).putInt(7).array());
        frame(b, AgentFrames.CREDIT, 1, ByteBuffer.allocate(4).putInt(0).array());
        frame(b, AgentFrames.FAILED, 1, "no such user".getBytes());
        return b.toByteArray();
    }

    private static void frame(ByteArrayOutputStream b, int type, int id, byte[] payload) {
        b.writeBytes(ByteBuffer.allocate(AgentFrames.HEADER_BYTES).put((byte) type).putShort((short) id)
                .putShort((short) payload.length).array());
        b.writeBytes(payload);
    }
}
