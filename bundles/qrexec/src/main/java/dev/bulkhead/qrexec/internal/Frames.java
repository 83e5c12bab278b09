package dev.bulkhead.qrexec.internal;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.ReadableByteChannel;
import java.nio.channels.WritableByteChannel;
import java.nio.charset.StandardCharsets;
import java.util.regex.Pattern;

/**
 * The qrexec channel's protocol, between {@code qrexec-client-vm} in a qube and dom0 (its C side is
 * {@code bundles/qube-tools/src/main/c/include/qrexec-protocol.h}). Every byte either way is in a frame:
 *
 * <pre>
 * frame   := type:u8  length:u16 (big-endian)  payload[length]
 *
 * caller to dom0
 *   0x01 REQUEST   once, first: version:u8 (1), TARGET, NUL, SERVICE[+ARG]   (payload at most 160 bytes)
 *   0x02 DATA      the caller's stdin, 1..65535 bytes; only after ACCEPTED
 *   0x03 EOF       empty: the caller's stdin ended (the service's stdin is closed)
 * dom0 to caller
 *   0x11 ACCEPTED  the target's real name (a disposable's dispN): the service runs, DATA may follow both ways
 *   0x12 REFUSED   empty, and the end: denied, unknown target, ask denied or timed out, no such service
 *   0x02 DATA      the service's stdout
 *   0x03 EOF       empty: the service's stdout ended
 *   0x13 EXIT      status:s32 (big-endian), and the end
 * </pre>
 *
 * A caller that closes its end without EOF has gone away: the service is killed. dom0 reads a caller's frames into one
 * fixed buffer; a frame of an unknown type, a REQUEST that is not first or too long, DATA before ACCEPTED, or a
 * request that does not arrive in time ends that connection only. TARGET is at most 64 bytes of
 * {@code A-Z a-z 0-9 _ - . : @}; SERVICE[+ARG] at most 95 bytes of {@code A-Z a-z 0-9 _ - . +}, as Qubes allows (the
 * policy checks the finer rules).
 */
final class Frames {
    static final int REQUEST = 0x01;
    static final int DATA = 0x02;
    static final int EOF = 0x03;
    static final int ACCEPTED = 0x11;
    static final int REFUSED = 0x12;
    static final int EXIT = 0x13;

    static final int VERSION = 1;
    static final int HEADER_BYTES = 3;
    static final int MAX_PAYLOAD = 0xFFFF;
    static final int MAX_TARGET = 64;
    static final int MAX_SERVICE = 95;
    static final int MAX_REQUEST = 1 + MAX_TARGET + 1 + MAX_SERVICE;
    private static final Pattern TARGET = Pattern.compile("[A-Za-z0-9_.:@-]{1," + MAX_TARGET + "}");
    private static final Pattern SERVICE = Pattern.compile("[A-Za-z0-9_.-][A-Za-z0-9_.+-]{0," + (MAX_SERVICE - 1) + "}");

    /** A request as the caller sent it: checked for its form only. */
    record Request(String target, String serviceAndArgument) {
    }

    /** What ends one connection: a peer (a caller, or a qube's agent) that broke the protocol. */
    static final class ProtocolException extends Exception {
        private static final long serialVersionUID = 1L;

        ProtocolException(String message) {
            super(message);
        }
    }

    private Frames() {
    }

    /** Decodes a REQUEST frame's payload. */
    static Request request(ByteBuffer payload) throws ProtocolException {
        if (payload.remaining() < 4 || payload.remaining() > MAX_REQUEST) {
            throw new ProtocolException("a request of " + payload.remaining() + " bytes");
        }
        int version = payload.get() & 0xFF;
        if (version != VERSION) {
            throw new ProtocolException("protocol version " + version + ", not " + VERSION);
        }
        byte[] rest = new byte[payload.remaining()];
        payload.get(rest);
        int nul = -1;
        for (int i = 0; i < rest.length; i++) {
            if (rest[i] == 0) {
                nul = i;
                break;
            }
        }
        if (nul < 0) {
            throw new ProtocolException("a request without a NUL after its target");
        }
        String target = new String(rest, 0, nul, StandardCharsets.ISO_8859_1);
        String service = new String(rest, nul + 1, rest.length - nul - 1, StandardCharsets.ISO_8859_1);
        if (!TARGET.matcher(target).matches()) {
            throw new ProtocolException("a malformed target");
        }
        if (!SERVICE.matcher(service).matches()) {
            throw new ProtocolException("a malformed service");
        }
        return new Request(target, service);
    }

    /** Encodes a REQUEST frame's payload (for dom0's own calls and for tests). */
    static byte[] requestPayload(String target, String serviceAndArgument) {
        byte[] t = target.getBytes(StandardCharsets.ISO_8859_1);
        byte[] s = serviceAndArgument.getBytes(StandardCharsets.ISO_8859_1);
        ByteBuffer b = ByteBuffer.allocate(1 + t.length + 1 + s.length);
        b.put((byte) VERSION).put(t).put((byte) 0).put(s);
        return b.array();
    }

    /**
     * Reads one frame's header and payload into {@code payload} (cleared first, at least {@link #MAX_PAYLOAD} bytes),
     * flipped for reading.
     *
     * @return the frame's type, or -1 when the stream ended cleanly before a frame
     * @throws ProtocolException when the stream ends inside a frame
     */
    static int read(ReadableByteChannel in, ByteBuffer header, ByteBuffer payload) throws IOException, ProtocolException {
        header.clear();
        if (!fill(in, header)) {
            if (header.position() == 0) {
                return -1;
            }
            throw new ProtocolException("the stream ended inside a frame header");
        }
        int type = header.get(0) & 0xFF;
        int length = ((header.get(1) & 0xFF) << 8) | (header.get(2) & 0xFF);
        payload.clear().limit(length);
        if (!fill(in, payload)) {
            throw new ProtocolException("the stream ended inside a frame");
        }
        payload.flip();
        return type;
    }

    /** Reads until {@code buffer} is full; false when the stream ended first. */
    static boolean fill(ReadableByteChannel in, ByteBuffer buffer) throws IOException {
        while (buffer.hasRemaining()) {
            if (in.read(buffer) < 0) {
                return false;
            }
        }
        return true;
    }

    /** Writes one frame whose payload is {@code length} bytes of {@code data} from its start; blocks until written. */
    static void write(WritableByteChannel out, ByteBuffer header, int type, byte[] data, int length) throws IOException {
        header.clear();
        header.put((byte) type).put((byte) (length >>> 8)).put((byte) length).flip();
        while (header.hasRemaining()) {
            out.write(header);
        }
        ByteBuffer body = ByteBuffer.wrap(data, 0, length);
        while (body.hasRemaining()) {
            out.write(body);
        }
    }

    static void write(WritableByteChannel out, ByteBuffer header, int type, byte[] data) throws IOException {
        write(out, header, type, data, data.length);
    }

    static byte[] status(int status) {
        return ByteBuffer.allocate(4).putInt(status).array();
    }
}
