package dev.bulkhead.qrexec.internal;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.ReadableByteChannel;
import java.nio.channels.WritableByteChannel;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;
import java.util.regex.Pattern;

import dev.bulkhead.api.InvalidValueException;

/**
 * The qrexec agent's protocol: dom0 starts and feeds the services called in a qube through {@code qrexec-agent},
 * which the qube's init runs, over the qube's channel {@value #CHANNEL} (its C side is
 * {@code bundles/qube-tools/src/main/c/include/qrexec-agent-protocol.h}). ONE stream carries every process of the
 * qube; every byte either way is in a frame:
 *
 * <pre>
 * frame := type:u8  id:u16 (big-endian)  length:u16 (big-endian)  payload[length]     (length at most 32768)
 *
 * agent to dom0 (id: the process's, 0..63, chosen by dom0; HELLO's is 0)
 *   0x01 HELLO    first, on every (re)connection: version:u8 (1), max_processes:u8, flags:u8 (bit 0: it runs programs
 *                 as any user), then, when it cannot, the one user it runs them as (an agent that is not root: lite's)
 *   0x02 STARTED  empty: START's program runs, in its own process group
 *   0x03 FAILED   text (at most 512 bytes): it could not start; the id is free again
 *   0x04 STDOUT   1..32768 bytes of its stdout, within dom0's credit
 *   0x05 STDERR   the same of its stderr
 *   0x06 EOF      stream:u8 (1 stdout, 2 stderr): that stream ended
 *   0x07 EXIT     status:s32 (exit code, or 128 + signal): the id's last frame, after both EOFs; the id is free again
 *   0x08 CREDIT   bytes:u32: dom0 may send that many more bytes of STDIN
 * dom0 to agent
 *   0x21 START    n_env:u8, n_args:u8, then NUL-terminated: USER (empty: the qube's default user), n_env NAME=VALUE,
 *                 n_args ARG (the first an absolute path)
 *   0x22 STDIN    1..32768 bytes for its stdin, within the agent's credit
 *   0x23 STDIN_EOF empty: its stdin closes once the bytes before are written
 *   0x24 KILL     empty: SIGKILL to its process group
 *   0x25 GRANT    stream:u8 (1, 2), bytes:u32: the agent may send that many more bytes of that stream
 * </pre>
 *
 * Each of a process's streams has a window of {@value #WINDOW} bytes, open at START, and the receiver grants credit
 * back as it hands bytes on; so a caller that does not read holds up only its own service. dom0 reads everything the
 * agent sends as hostile: a frame longer than {@value #MAX_PAYLOAD}, of an unknown type, before HELLO, for an id dom0
 * did not start or in the wrong state, data beyond the credit, a credit beyond what was sent, a malformed field, ends
 * the stream, and with it every process of that qube (the agent kills them; dom0 connects anew).
 */
final class AgentFrames {
    static final String CHANNEL = "qrexec-agent";

    static final int HELLO = 0x01;
    static final int STARTED = 0x02;
    static final int FAILED = 0x03;
    static final int STDOUT = 0x04;
    static final int STDERR = 0x05;
    static final int EOF = 0x06;
    static final int EXIT = 0x07;
    static final int CREDIT = 0x08;

    static final int START = 0x21;
    static final int STDIN = 0x22;
    static final int STDIN_EOF = 0x23;
    static final int KILL = 0x24;
    static final int GRANT = 0x25;

    static final int VERSION = 1;
    static final int HEADER_BYTES = 5;
    static final int MAX_PAYLOAD = 32768;
    static final int MAX_PROCESSES = 64;
    static final int MAX_STRINGS = 64;
    static final int MAX_FAILED = 512;
    static final int WINDOW = 65536;
    static final int SWITCHES_USERS = 0x01;
    static final int STREAM_STDOUT = 1;
    static final int STREAM_STDERR = 2;

    static final Pattern USER = Pattern.compile("[a-z_][a-z0-9_-]{0,31}");
    private static final Pattern VARIABLE = Pattern.compile("[A-Za-z_][A-Za-z0-9_]{0,63}");

    private AgentFrames() {
    }

    /**
     * Reads one frame: its header into {@code header} (type at 0, id at 1, length at 3) and its payload into
     * {@code payload} (cleared, flipped for reading).
     *
     * @return the frame's type, or -1 when the stream ended cleanly between frames
     * @throws Frames.ProtocolException for a frame longer than {@link #MAX_PAYLOAD} or a stream that ends inside a frame
     */
    static int read(ReadableByteChannel in, ByteBuffer header, ByteBuffer payload) throws IOException, Frames.ProtocolException {
        header.clear();
        if (!Frames.fill(in, header)) {
            if (header.position() == 0) {
                return -1;
            }
            throw new Frames.ProtocolException("the stream ended inside a frame header");
        }
        int length = header.getShort(3) & 0xFFFF;
        if (length > MAX_PAYLOAD) {
            throw new Frames.ProtocolException("a frame of " + length + " bytes, more than " + MAX_PAYLOAD);
        }
        payload.clear().limit(length);
        if (!Frames.fill(in, payload)) {
            throw new Frames.ProtocolException("the stream ended inside a frame");
        }
        payload.flip();
        return header.get(0) & 0xFF;
    }

    static int id(ByteBuffer header) {
        return header.getShort(1) & 0xFFFF;
    }

    /** Writes one frame; blocks until it is written. */
    static void write(WritableByteChannel out, int type, int id, byte[] data, int offset, int length) throws IOException {
        ByteBuffer frame = ByteBuffer.allocate(HEADER_BYTES + length);
        frame.put((byte) type).putShort((short) id).putShort((short) length).put(data, offset, length).flip();
        while (frame.hasRemaining()) {
            out.write(frame);
        }
    }

    /** A START frame's payload, checked: a user name or null, at most 64 variables and arguments, no NUL, bounded. */
    static byte[] start(String user, List<String> command, Map<String, String> environment) {
        if (user != null && !USER.matcher(user).matches()) {
            throw new InvalidValueException("user", user, "a user name (a-z, 0-9, _ and -, at most 32)");
        }
        if (command == null || command.isEmpty() || command.size() > MAX_STRINGS || !command.get(0).startsWith("/")
                || command.stream().anyMatch(a -> a == null || a.indexOf('\0') >= 0)) {
            throw new InvalidValueException("command", String.valueOf(command),
                    "an absolute program path and at most " + (MAX_STRINGS - 1) + " arguments, without NUL");
        }
        if (environment.size() > MAX_STRINGS) {
            throw new InvalidValueException("environment", environment.size() + " variables", "at most " + MAX_STRINGS);
        }
        ByteArrayOutputStream b = new ByteArrayOutputStream();
        b.write(environment.size());
        b.write(command.size());
        string(b, user == null ? "" : user);
        environment.forEach((k, v) -> {
            if (!VARIABLE.matcher(k).matches() || v == null || v.indexOf('\0') >= 0) {
                throw new InvalidValueException("environment variable", k, "a name of letters, digits and _, a value without NUL");
            }
            string(b, k + "=" + v);
        });
        command.forEach(a -> string(b, a));
        if (b.size() > MAX_PAYLOAD) {
            throw new InvalidValueException("command", b.size() + " bytes with its environment", "at most " + MAX_PAYLOAD);
        }
        return b.toByteArray();
    }

    private static void string(ByteArrayOutputStream b, String s) {
        b.writeBytes(s.getBytes(StandardCharsets.UTF_8));
        b.write(0);
    }

    /** A FAILED frame's text, as it may be logged: printable ASCII, the rest as '?'. */
    static String text(ByteBuffer payload) {
        StringBuilder s = new StringBuilder(payload.remaining());
        while (payload.hasRemaining()) {
            int c = payload.get() & 0xFF;
            s.append(c >= 0x20 && c < 0x7F ? (char) c : '?');
        }
        return s.toString();
    }
}
