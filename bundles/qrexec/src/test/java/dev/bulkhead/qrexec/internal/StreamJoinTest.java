package dev.bulkhead.qrexec.internal;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.InputStream;
import java.io.OutputStream;
import java.lang.management.ManagementFactory;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.time.Duration;
import java.util.List;
import java.util.OptionalInt;
import java.util.Random;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.atomic.AtomicBoolean;

import org.junit.jupiter.api.Test;

import dev.bulkhead.api.host.HostCommand;
import dev.bulkhead.api.host.HostCommands;
import dev.bulkhead.api.host.ProcessHostCommands;
import dev.bulkhead.api.hypervisor.DomainProcess;
import dev.bulkhead.testing.Await;

/**
 * The stream joiner with a real program in place of the service: the caller's data reaches its stdin and the caller's
 * EOF closes it (half-close), its stdout comes back in DATA frames followed by EOF and its exit status; 100 MB pass
 * through without growing the heap; a caller that hangs up is reported; a target without the service is refused.
 */
class StreamJoinTest {
    private static final HostCommands HOST = new ProcessHostCommands();

    @Test
    void theCallersDataAndEofReachTheServiceAndItsOutputAndStatusComeBack() throws Exception {
        DomainProcess service = service("printf 'qrexec-service-found\\n'; cat; echo done; echo oops >&2; exit 7");
        PipeStream[] ends = PipeStream.pair();
        StreamJoin join = new StreamJoin(ends[0], ends[0], () -> { }, 3);
        join.watchCaller("t-in");
        CompletableFuture<OptionalInt> status = CompletableFuture.supplyAsync(() -> joined(join, service));

        assertEquals(Frames.ACCEPTED, readFrame(ends[1]).type());
        write(ends[1], Frames.DATA, "hello ".getBytes(StandardCharsets.UTF_8));
        write(ends[1], Frames.DATA, "world\n".getBytes(StandardCharsets.UTF_8));
        write(ends[1], Frames.EOF, new byte[0]);
        StringBuilder out = new StringBuilder();
        Frame f;
        while ((f = readFrame(ends[1])).type() == Frames.DATA) {
            out.append(new String(f.payload(), StandardCharsets.UTF_8));
        }
        assertEquals(Frames.EOF, f.type());
        Frame exit = readFrame(ends[1]);

        assertEquals("hello world\ndone\n", out.toString());
        assertEquals(Frames.EXIT, exit.type());
        assertEquals(7, ByteBuffer.wrap(exit.payload()).getInt());
        assertEquals(OptionalInt.of(7), status.get());
        assertEquals("oop [2 more bytes dropped]", join.stderrKept());
    }

    @Test
    void aHundredMegabytesPassWholeWithoutGrowingTheHeap() throws Exception {
        DomainProcess service = service("printf 'qrexec-service-found\\n'; exec cat");
        PipeStream[] ends = PipeStream.pair();
        StreamJoin join = new StreamJoin(ends[0], ends[0], () -> { }, 100);
        join.watchCaller("t-in");
        long before = usedHeapAfterGc();
        CompletableFuture<OptionalInt> status = CompletableFuture.supplyAsync(() -> joined(join, service));
        assertEquals(Frames.ACCEPTED, readFrame(ends[1]).type());
        MessageDigest sent = MessageDigest.getInstance("SHA-256");
        MessageDigest received = MessageDigest.getInstance("SHA-256");
        long total = 100_000_000;
        Thread writer = new Thread(() -> {
            byte[] chunk = new byte[Frames.MAX_PAYLOAD];
            Random random = new Random(15);
            try {
                for (long left = total; left > 0;) {
                    int n = (int) Math.min(chunk.length, left);
                    random.nextBytes(chunk);
                    sent.update(chunk, 0, n);
                    write(ends[1], Frames.DATA, chunk, n);
                    left -= n;
                }
                write(ends[1], Frames.EOF, new byte[0]);
            } catch (Exception e) {
                throw new IllegalStateException(e);
            }
        });
        writer.start();
        long got = 0;
        Frame f;
        while ((f = readFrame(ends[1])).type() == Frames.DATA) {
            received.update(f.payload());
            got += f.payload().length;
        }
        writer.join();

        assertEquals(total, got);
        assertArrayEquals(sent.digest(), received.digest());
        assertEquals(OptionalInt.of(0), status.get());
        long after = usedHeapAfterGc();
        assertTrue(after - before < 16L * 1024 * 1024, "the heap grew by " + (after - before) / 1024 + " KiB");
    }

    @Test
    void aCallerThatHangsUpIsReportedAndAServiceThatIsNotThereIsRefused() throws Exception {
        DomainProcess service = service("printf 'qrexec-service-found\\n'; exec sleep 600");
        PipeStream[] ends = PipeStream.pair();
        AtomicBoolean gone = new AtomicBoolean();
        StreamJoin join = new StreamJoin(ends[0], ends[0], () -> {
            gone.set(true);
            service.kill();
        }, 100);
        join.watchCaller("t-in");
        CompletableFuture<OptionalInt> status = CompletableFuture.supplyAsync(() -> joined(join, service));
        assertEquals(Frames.ACCEPTED, readFrame(ends[1]).type());
        ends[1].close();
        Await.until("the hang-up is seen", Duration.ofSeconds(10), gone::get);
        assertTrue(service.onExit().get() != 0);
        status.handle((s, e) -> null).get();

        DomainProcess missing = service("echo no such service >&2; exit 127");
        PipeStream[] other = PipeStream.pair();
        StreamJoin refused = new StreamJoin(other[0], other[0], () -> { }, 100);
        assertEquals(OptionalInt.empty(), refused.join(missing, "personal"));
        assertEquals(Frames.REFUSED, readFrame(other[1]).type());
        assertEquals("no such service", refused.stderrKept());
    }

    private static OptionalInt joined(StreamJoin join, DomainProcess service) {
        try {
            return join.join(service, "personal");
        } catch (Exception e) {
            throw new IllegalStateException(e);
        }
    }

    /** A local program standing in for a service in a qube. */
    private static DomainProcess service(String script) {
        HostCommands.Piped piped = HOST.pipe(HostCommand.of(Duration.ofMinutes(5), List.of("sh", "-c", script)));
        CompletableFuture<Integer> exit = piped.onExit().thenApply(r -> r.exitStatus());
        return new DomainProcess() {
            @Override
            public OutputStream stdin() {
                return piped.stdin();
            }

            @Override
            public InputStream stdout() {
                return piped.stdout();
            }

            @Override
            public InputStream stderr() {
                return piped.stderr();
            }

            @Override
            public CompletableFuture<Integer> onExit() {
                return exit;
            }

            @Override
            public void kill() {
                if (piped.isAlive()) {
                    piped.stop();
                }
            }
        };
    }

    record Frame(int type, byte[] payload) {
    }

    private static Frame readFrame(PipeStream in) throws Exception {
        ByteBuffer header = ByteBuffer.allocate(Frames.HEADER_BYTES);
        ByteBuffer payload = ByteBuffer.allocate(Frames.MAX_PAYLOAD);
        int type = Frames.read(in, header, payload);
        byte[] bytes = new byte[payload.remaining()];
        payload.get(bytes);
        return new Frame(type, bytes);
    }

    private static void write(PipeStream out, int type, byte[] data) throws Exception {
        write(out, type, data, data.length);
    }

    private static void write(PipeStream out, int type, byte[] data, int length) throws Exception {
        Frames.write(out, ByteBuffer.allocate(Frames.HEADER_BYTES), type, data, length);
    }

    private static long usedHeap() {
        return ManagementFactory.getMemoryMXBean().getHeapMemoryUsage().getUsed();
    }

    private static long usedHeapAfterGc() {
        for (int i = 0; i < 3; i++) {
            System.gc();
        }
        return usedHeap();
    }
}
