package dev.bulkhead.qrexec.internal;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.ByteBuffer;
import java.nio.channels.ByteChannel;
import java.nio.charset.StandardCharsets;

/**
 * The caller's side of the protocol in Java, as {@code qrexec-client-vm} speaks it: for calls from dom0
 * ({@code qvm:call}), and for tests and the benchmark.
 */
final class QrexecClient {
    /** A refused call. */
    static final class RefusedException extends IOException {
        private static final long serialVersionUID = 1L;

        RefusedException() {
            super("Request refused");
        }
    }

    private QrexecClient() {
    }

    /**
     * Makes a call over {@code stream}: sends the request, then {@code stdin} (from a thread of its own, inheriting the
     * caller's thread-local streams) once accepted, writes the service's output to {@code stdout}, and returns its exit
     * status. Closes the stream at the end.
     *
     * @throws RefusedException when the call is refused
     */
    static int call(ByteChannel stream, String target, String serviceAndArgument, InputStream stdin, OutputStream stdout)
            throws IOException {
        try (stream) {
            ByteBuffer header = ByteBuffer.allocate(Frames.HEADER_BYTES);
            Frames.write(stream, header, Frames.REQUEST, Frames.requestPayload(target, serviceAndArgument));
            ByteBuffer inHeader = ByteBuffer.allocate(Frames.HEADER_BYTES);
            ByteBuffer payload = ByteBuffer.allocate(Frames.MAX_PAYLOAD);
            int type = read(stream, inHeader, payload);
            if (type == Frames.REFUSED) {
                throw new RefusedException();
            }
            if (type != Frames.ACCEPTED) {
                throw new IOException("dom0 answered frame " + type + " instead of ACCEPTED or REFUSED");
            }
            Thread pump = new Thread(() -> pump(stream, stdin), "qrexec-client-stdin");
            pump.setDaemon(true);
            pump.start();
            while (true) {
                type = read(stream, inHeader, payload);
                switch (type) {
                    case Frames.DATA -> stdout.write(payload.array(), 0, payload.limit());
                    case Frames.EOF -> stdout.flush();
                    case Frames.EXIT -> {
                        stdout.flush();
                        return payload.getInt();
                    }
                    default -> throw new IOException("dom0 sent frame " + type + " during the call");
                }
            }
        }
    }

    private static int read(ByteChannel stream, ByteBuffer header, ByteBuffer payload) throws IOException {
        try {
            int type = Frames.read(stream, header, payload);
            if (type < 0) {
                throw new IOException("dom0 ended the call without an exit status");
            }
            return type;
        } catch (Frames.ProtocolException e) {
            throw new IOException(e.getMessage(), e);
        }
    }

    private static void pump(ByteChannel stream, InputStream stdin) {
        ByteBuffer header = ByteBuffer.allocate(Frames.HEADER_BYTES);
        byte[] buffer = new byte[Frames.MAX_PAYLOAD];
        try {
            for (int n; (n = stdin.read(buffer)) >= 0;) {
                if (n > 0) {
                    Frames.write(stream, header, Frames.DATA, buffer, n);
                }
            }
            Frames.write(stream, header, Frames.EOF, new byte[0]);
        } catch (IOException e) {
            // the call ended
        }
    }

    static String text(byte[] bytes) {
        return new String(bytes, StandardCharsets.UTF_8);
    }
}
