package dev.bulkhead.bench.internal;

import static dev.bulkhead.bench.internal.BenchFigures.putAgainstFloor;

import java.io.IOException;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

import org.osgi.framework.BundleContext;
import org.osgi.framework.ServiceReference;

import com.fasterxml.jackson.databind.node.ObjectNode;

import dev.bulkhead.api.AdminException;
import dev.bulkhead.api.Label;
import dev.bulkhead.api.QubeAdmin;
import dev.bulkhead.api.QubeClass;
import dev.bulkhead.api.QubeSpec;
import dev.bulkhead.api.policy.QrexecPolicy;
import dev.bulkhead.api.template.InstallListener;
import dev.bulkhead.api.template.TemplateStore;

/**
 * Calls between qubes: the round trip of a call to an empty service ({@code bench.Empty}, a script that exits) from
 * the caller qube's channel to the exit status, and the throughput of 64 MB copied into a service that discards it
 * ({@code bench.Sink}), next to a plain unix-socket echo (connect, one byte there and back, close) and a plain
 * unix-socket copy of as many bytes in the same run. The calls speak the channel's protocol from dom0's side of the
 * caller's socket, as qrexec-client-vm does from inside: the figure is dom0's daemon, the policy, the start of the
 * multiplexer in the target (through its qrexec agent when the template has one, else {@code runc exec}) and the
 * service, without the in-qube client's start.
 */
final class QrexecBench {
    private static final int COPY_BYTES = 64 * 1024 * 1024;
    private static final int CHUNK = 65535;
    private final QubeAdmin admin;
    private final TemplateStore templates;
    private final BundleContext context;

    QrexecBench(QubeAdmin admin, TemplateStore templates, BundleContext context) {
        this.admin = admin;
        this.templates = templates;
        this.context = context;
    }

    void measure(ObjectNode figures, int rounds, String templateFile) throws Exception {
        ServiceReference<QrexecPolicy> ref = context.getServiceReference(QrexecPolicy.class);
        if (templateFile.isEmpty() || ref == null) {
            figures.put("skipped", templateFile.isEmpty() ? "no template with the qube tools was given (--template)"
                    : "the qrexec policy is not running");
            return;
        }
        QrexecPolicy policy = context.getService(ref);
        String template = templates.install(Path.of(templateFile), InstallListener.NONE, false).name();
        String caller = BenchCommand.PREFIX + "qrx-caller";
        String target = BenchCommand.PREFIX + "qrx-target";
        Path rules = Path.of(policy.status().directory()).resolve("10-bench.policy");
        try {
            admin.run(template, List.of("sh", "-c", "printf '#!/bin/sh\\n' > /etc/qubes-rpc/bench.Empty && printf"
                    + " '#!/bin/sh\\nexec cat >/dev/null\\n' > /etc/qubes-rpc/bench.Sink && chmod 755 /etc/qubes-rpc/bench.*"),
                    new byte[0], Duration.ofSeconds(30));
            admin.shutdown(template, false, true, Duration.ofSeconds(30));
            for (String q : List.of(caller, target)) {
                admin.create(new QubeSpec(q, QubeClass.AppVM, Label.GRAY, Map.of("template", template)));
                admin.start(q);
            }
            Files.createDirectories(rules.getParent());
            Files.writeString(rules, "bench.Empty * " + caller + " " + target + " allow\nbench.Sink * " + caller + " " + target
                    + " allow\n");
            policy.reload();
            Path socket = channelOf(caller);
            for (int i = 0; i < 3; i++) {
                call(socket, target, "bench.Empty", 0);
            }
            List<Long> calls = new ArrayList<>();
            for (int i = 0; i < rounds * 5; i++) {
                long t0 = System.nanoTime();
                call(socket, target, "bench.Empty", 0);
                calls.add(System.nanoTime() - t0);
            }
            long t0 = System.nanoTime();
            call(socket, target, "bench.Sink", COPY_BYTES);
            long copyNanos = System.nanoTime() - t0;
            Floors floors = floors(rounds * 5);
            ObjectNode latency = figures.putObject("empty_call_ms");
            putAgainstFloor(latency, calls, 99, floors.echoes, "unix_socket_echo");
            latency.put("calls", calls.size());
            latency.put("qubes_anchor_ms", "20-60");
            ObjectNode copy = figures.putObject("copy_mb_per_s");
            copy.put("call", mbPerS(COPY_BYTES, copyNanos));
            copy.put("floor_unix_socket_copy", mbPerS(COPY_BYTES, floors.copyNanos));
            copy.put("bytes", COPY_BYTES);
        } catch (AdminException | IOException e) {
            figures.put("error", e.getMessage());
        } finally {
            Files.deleteIfExists(rules);
            policy.reload();
            for (String q : List.of(caller, target)) {
                if (admin.find(q).isPresent()) {
                    admin.kill(q);
                    admin.remove(q);
                }
            }
            templates.remove(template);
            context.ungetService(ref);
        }
    }

    private static double mbPerS(long bytes, long nanos) {
        return Math.round(bytes / 1e6 / (nanos / 1e9) * 10) / 10.0;
    }

    /** dom0's end of the qube's qrexec channel on the host: the one socket whose directory ends with the qube's name. */
    private static Path channelOf(String qube) throws IOException {
        List<Path> found = new ArrayList<>();
        try (DirectoryStream<Path> dirs = Files.newDirectoryStream(Path.of("/run/bulkhead"), "bh-*-" + qube)) {
            dirs.forEach(d -> {
                if (Files.exists(d.resolve("qrexec"))) {
                    found.add(d.resolve("qrexec"));
                }
            });
        }
        if (found.size() != 1) {
            throw new AdminException("cannot tell the qrexec channel of " + qube + " on this host: " + found);
        }
        return found.get(0);
    }

    /** One call: the request, {@code bytes} of input then its end, the output read and dropped, the exit status. */
    private static void call(Path socket, String target, String service, long bytes) throws IOException {
        try (SocketChannel c = SocketChannel.open(UnixDomainSocketAddress.of(socket))) {
            byte[] t = target.getBytes(StandardCharsets.ISO_8859_1);
            byte[] s = service.getBytes(StandardCharsets.ISO_8859_1);
            ByteBuffer req = ByteBuffer.allocate(3 + 1 + t.length + 1 + s.length);
            req.put((byte) 1).putShort((short) (2 + t.length + s.length)).put((byte) 1).put(t).put((byte) 0).put(s).flip();
            writeAll(c, req);
            ByteBuffer header = ByteBuffer.allocate(3);
            ByteBuffer payload = ByteBuffer.allocate(CHUNK);
            if (frame(c, header, payload) != 0x11) {
                throw new AdminException("the call to " + service + " was refused");
            }
            ByteBuffer data = ByteBuffer.allocate(3 + CHUNK);
            try {
                for (long left = bytes; left > 0;) {
                    int n = (int) Math.min(CHUNK, left);
                    data.clear();
                    data.put((byte) 2).putShort((short) n).position(3 + n).flip();
                    writeAll(c, data);
                    left -= n;
                }
                writeAll(c, ByteBuffer.wrap(new byte[] { 3, 0, 0 }));
            } catch (IOException e) {
                // the service ended before it read all (an empty one may be done before the EOF is written): dom0 has
                // closed its reading end, and what it sent, the exit status included, is still to be read, as
                // qrexec-client-vm reads it
            }
            for (int type; (type = frame(c, header, payload)) != 0x13;) {
                if (type < 0) {
                    throw new AdminException("the call to " + service + " ended without an exit status");
                }
            }
        }
    }

    private static int frame(SocketChannel c, ByteBuffer header, ByteBuffer payload) throws IOException {
        header.clear();
        if (!fill(c, header)) {
            return -1;
        }
        payload.clear().limit(((header.get(1) & 0xFF) << 8) | (header.get(2) & 0xFF));
        return fill(c, payload) ? header.get(0) & 0xFF : -1;
    }

    private static boolean fill(SocketChannel c, ByteBuffer b) throws IOException {
        while (b.hasRemaining()) {
            if (c.read(b) < 0) {
                return false;
            }
        }
        return true;
    }

    private static void writeAll(SocketChannel c, ByteBuffer b) throws IOException {
        while (b.hasRemaining()) {
            c.write(b);
        }
    }

    private record Floors(List<Long> echoes, long copyNanos) {
    }

    /** A plain unix socket served by a thread: an echo per connection, then as many bytes copied as the call's. */
    private static Floors floors(int rounds) throws Exception {
        Path dir = Files.createTempDirectory("bulkhead-bench-qrexec");
        Path path = dir.resolve("floor.sock");
        try (ServerSocketChannel server = ServerSocketChannel.open(StandardProtocolFamily.UNIX)) {
            server.bind(UnixDomainSocketAddress.of(path));
            Thread serving = new Thread(() -> serve(server), "bench-qrexec-floor");
            serving.setDaemon(true);
            serving.start();
            List<Long> echoes = new ArrayList<>();
            ByteBuffer one = ByteBuffer.allocate(1);
            for (int i = 0; i < rounds + 3; i++) {
                long t0 = System.nanoTime();
                try (SocketChannel c = SocketChannel.open(UnixDomainSocketAddress.of(path))) {
                    writeAll(c, one.clear().put((byte) 'e').flip());
                    one.clear();
                    fill(c, one);
                }
                if (i >= 3) {
                    echoes.add(System.nanoTime() - t0);
                }
            }
            long t0 = System.nanoTime();
            try (SocketChannel c = SocketChannel.open(UnixDomainSocketAddress.of(path))) {
                writeAll(c, one.clear().put((byte) 'c').flip());
                ByteBuffer chunk = ByteBuffer.allocate(CHUNK);
                for (long left = COPY_BYTES; left > 0; left -= chunk.limit()) {
                    chunk.clear().limit((int) Math.min(CHUNK, left));
                    writeAll(c, chunk);
                }
                c.shutdownOutput();
                one.clear();
                fill(c, one);
            }
            return new Floors(echoes, System.nanoTime() - t0);
        } finally {
            Files.deleteIfExists(path);
            Files.deleteIfExists(dir);
        }
    }

    private static void serve(ServerSocketChannel server) {
        try {
            while (true) {
                try (SocketChannel c = server.accept()) {
                    ByteBuffer b = ByteBuffer.allocate(CHUNK);
                    b.limit(1);
                    fill(c, b);
                    if (b.get(0) == 'e') {
                        writeAll(c, b.flip());
                        continue;
                    }
                    b.clear();
                    while (c.read(b) >= 0) {
                        b.clear();
                    }
                    writeAll(c, ByteBuffer.wrap(new byte[] { 'x' }));
                }
            }
        } catch (IOException e) {
            // the floor's server closed
        }
    }
}
