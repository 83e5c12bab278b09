package dev.bulkhead.qrexec.internal;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.ByteBuffer;
import java.nio.channels.ReadableByteChannel;
import java.nio.channels.WritableByteChannel;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.ExecutionException;

import dev.bulkhead.api.hypervisor.DomainProcess;

/**
 * Joins a caller's framed stream to a service's three streams, with fixed buffers and blocking writes both ways, so
 * that a service or a caller that does not read holds the other up instead of filling dom0's memory: the caller's
 * DATA goes to the service's stdin and its EOF closes it; the service's stdout goes to the caller as DATA, then EOF,
 * then its exit status; its stderr is kept up to a bound for dom0's log, the rest read and dropped.
 * <p>
 * The caller's side is read by a thread of its own from {@link #watchCaller()} on, before the service runs, so that a
 * caller that hangs up while its call waits (for the user's answer, for a target to start) is seen at once. A caller
 * that closes without EOF, sends DATA before ACCEPTED or any other frame has gone away: {@code onCallerGone} runs once.
 */
final class StreamJoin {
    /** What the multiplexer writes on stdout once it has found the service, before it runs it. */
    static final String MARKER = "qrexec-service-found";

    private final ReadableByteChannel in;
    private final WritableByteChannel out;
    private final Runnable onCallerGone;
    private final int stderrBytes;
    private final ByteBuffer outHeader = ByteBuffer.allocate(Frames.HEADER_BYTES);
    private final ByteArrayOutputStream stderr = new ByteArrayOutputStream();
    private volatile OutputStream stdin;
    private volatile boolean ended;
    private boolean gone;
    private long stderrDropped;

    StreamJoin(ReadableByteChannel in, WritableByteChannel out, Runnable onCallerGone, int stderrBytes) {
        this.in = in;
        this.out = out;
        this.onCallerGone = onCallerGone;
        this.stderrBytes = stderrBytes;
    }

    /** Starts reading the caller's frames; call once, after the request. */
    void watchCaller(String name) {
        Thread reader = new Thread(this::readCaller, name);
        reader.setDaemon(true);
        reader.start();
    }

    synchronized boolean callerGone() {
        return gone;
    }

    /** Tells the caller its call is refused. */
    void refuse() throws IOException {
        ended = true;
        Frames.write(out, outHeader, Frames.REFUSED, new byte[0]);
    }

    /**
     * Runs the joined call to its end: waits for the multiplexer's word that the service exists, tells the caller the
     * target's name, then copies both ways until the service's stdout ends and it exits.
     *
     * @return the service's exit status, or empty when the target has no such service (the caller was refused)
     * @throws IOException when the caller's stream fails (it went away)
     */
    java.util.OptionalInt join(DomainProcess process, String targetName) throws IOException, InterruptedException {
        InputStream stdout = process.stdout();
        Thread drain = new Thread(() -> drainStderr(process.stderr()), Thread.currentThread().getName() + "-stderr");
        drain.setDaemon(true);
        drain.start();
        if (!markerRead(stdout)) {
            process.stdin().close();
            exitStatus(process);
            refuse();
            return java.util.OptionalInt.empty();
        }
        stdin = process.stdin();
        Frames.write(out, outHeader, Frames.ACCEPTED, targetName.getBytes(StandardCharsets.ISO_8859_1));
        byte[] buffer = new byte[Frames.MAX_PAYLOAD];
        for (int n; (n = stdout.read(buffer)) >= 0;) {
            if (n > 0) {
                Frames.write(out, outHeader, Frames.DATA, buffer, n);
            }
        }
        Frames.write(out, outHeader, Frames.EOF, new byte[0]);
        int status = exitStatus(process);
        drain.join(1000);
        ended = true;
        Frames.write(out, outHeader, Frames.EXIT, Frames.status(status));
        return java.util.OptionalInt.of(status);
    }

    /** Marks the call over: a caller that closes from now on has not gone away, it is done. */
    void end() {
        ended = true;
    }

    /** What the service wrote on stderr, up to the bound, with a note of what was dropped. */
    String stderrKept() {
        synchronized (stderr) {
            String kept = stderr.toString(StandardCharsets.UTF_8).strip();
            return stderrDropped == 0 ? kept : kept + " [" + stderrDropped + " more bytes dropped]";
        }
    }

    private static int exitStatus(DomainProcess process) throws InterruptedException {
        try {
            return process.onExit().get();
        } catch (ExecutionException e) {
            return 255;
        }
    }

    /** Reads the multiplexer's first line, at most its expected length and a newline. */
    private static boolean markerRead(InputStream stdout) throws IOException {
        byte[] expected = (MARKER + "\n").getBytes(StandardCharsets.ISO_8859_1);
        for (byte b : expected) {
            int c = stdout.read();
            if (c != (b & 0xFF)) {
                return false;
            }
        }
        return true;
    }

    private void drainStderr(InputStream err) {
        byte[] chunk = new byte[4096];
        try (err) {
            for (int n; (n = err.read(chunk)) >= 0;) {
                synchronized (stderr) {
                    int kept = Math.max(0, Math.min(n, stderrBytes - stderr.size()));
                    stderr.write(chunk, 0, kept);
                    stderrDropped += n - kept;
                }
            }
        } catch (IOException e) {
            // the service is gone
        }
    }

    private void readCaller() {
        ByteBuffer header = ByteBuffer.allocate(Frames.HEADER_BYTES);
        ByteBuffer payload = ByteBuffer.allocate(Frames.MAX_PAYLOAD);
        boolean stdinOpen = true;
        boolean eof = false;
        try {
            while (true) {
                int type = Frames.read(in, header, payload);
                OutputStream to = stdin;
                if (type == Frames.DATA && to != null && !eof && payload.hasRemaining()) {
                    if (stdinOpen) {
                        stdinOpen = written(to, payload);
                    }
                } else if (type == Frames.EOF && to != null && !eof) {
                    eof = true;
                    if (stdinOpen) {
                        stdinOpen = false;
                        closeQuietly(to);
                    }
                } else {
                    // end of stream without EOF, DATA before ACCEPTED, a second EOF, an unknown frame
                    break;
                }
            }
        } catch (IOException | Frames.ProtocolException e) {
            // the caller's stream broke, or was closed as the call ended
        }
        OutputStream to = stdin;
        if (to != null && stdinOpen) {
            closeQuietly(to);
        }
        if (!ended) {
            synchronized (this) {
                gone = true;
            }
            onCallerGone.run();
        }
    }

    /** Writes to the service's stdin; false once the service no longer reads it (the caller's data is then dropped). */
    private static boolean written(OutputStream to, ByteBuffer payload) {
        try {
            to.write(payload.array(), payload.position(), payload.remaining());
            to.flush();
            return true;
        } catch (IOException e) {
            return false;
        }
    }

    private static void closeQuietly(OutputStream to) {
        try {
            to.close();
        } catch (IOException e) {
            // the service is gone
        }
    }
}
