package dev.bulkhead.qubetools;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import dev.bulkhead.testing.Await;

/**
 * The built qrexec-agent run on this host as dom0 sees it: it connects to a unix socket as to a lite qube's channel,
 * says HELLO, runs a program as the user of its passwd (here a directory of the test's own) with the environment dom0
 * gives and the one it sets, carries stdin, stdout, stderr, the exit status, kills a program's whole process group,
 * keeps each stream within its window without holding up another process, and when the stream ends or dom0 breaks
 * the protocol kills what it started and connects again.
 */
class QrexecAgentTest {
    // the protocol's numbers, as qrexec-agent-protocol.h has them
    static final int HELLO = 0x01, STARTED = 0x02, FAILED = 0x03, STDOUT = 0x04, STDERR = 0x05, EOF = 0x06, EXIT = 0x07,
            CREDIT = 0x08;
    static final int START = 0x21, STDIN = 0x22, STDIN_EOF = 0x23, KILL = 0x24, GRANT = 0x25;
    static final int WINDOW = 65536;

    record Frame(int type, int id, byte[] payload) {
        String text() {
            return new String(payload, StandardCharsets.UTF_8);
        }

        int u32() {
            return ByteBuffer.wrap(payload).getInt();
        }
    }

    private Path dir;
    private Path home;
    private ServerSocketChannel server;
    private Process agent;
    private SocketChannel stream;
    private BlockingQueue<Frame> frames;
    /** The user the agent runs as when it is not root (lite's), or null. */
    private String asUser;

    @BeforeEach
    void startAgent() throws Exception {
        dir = Files.createTempDirectory("bulkhead-agent-");
        Files.setPosixFilePermissions(dir, PosixFilePermissions.fromString("rwxr-xr-x"));
        home = Files.createDirectory(dir.resolve("home"));
        Files.setPosixFilePermissions(home, PosixFilePermissions.fromString("rwxrwxrwx"));
        Path etc = Files.createDirectory(dir.resolve("etc"));
        Files.writeString(etc.resolve("passwd"), "root:x:0:0:root:/root:/bin/sh\n"
                + "user:x:65534:65534:user:" + home + ":/bin/sh\n");
        Files.writeString(etc.resolve("group"), "root:x:0:\nnogroup:x:65534:\nextra:x:4242:user\n");
        launch();
    }

    /** Starts the agent, as root or as {@link #asUser} (uid 65534, as lite starts it as the qube's default user). */
    private void launch() throws Exception {
        Path socket = dir.resolve("qrexec-agent");
        server = ServerSocketChannel.open(StandardProtocolFamily.UNIX);
        server.bind(UnixDomainSocketAddress.of(socket));
        Files.setPosixFilePermissions(socket, PosixFilePermissions.fromString("rw-rw-rw-"));
        List<String> command = new ArrayList<>();
        if (asUser != null) {
            command.addAll(List.of("setpriv", "--reuid", "65534", "--regid", "65534", "--clear-groups"));
        }
        command.addAll(List.of(QubeTools.program("usr/lib/qubes/qrexec-agent").toString(), socket.toString()));
        ProcessBuilder pb = new ProcessBuilder(command).redirectErrorStream(true).redirectOutput(dir.resolve("agent.log").toFile());
        pb.environment().put("QREXEC_AGENT_ETC", dir.resolve("etc").toString());
        agent = pb.start();
        connect();
    }

    private void connect() throws Exception {
        stream = server.accept();
        frames = new LinkedBlockingQueue<>();
        SocketChannel from = stream;
        BlockingQueue<Frame> into = frames;
        Thread reader = new Thread(() -> readFrames(from, into), "agent-frames");
        reader.setDaemon(true);
        reader.start();
        Frame hello = next(HELLO);
        assertEquals(1, hello.payload()[0], "protocol version");
        assertEquals(64, hello.payload()[1], "processes at most");
        assertEquals(asUser == null ? 1 : 0, hello.payload()[2], "whether it can switch users: as root it can");
        assertEquals(asUser == null ? "" : asUser, new String(hello.payload(), 3, hello.payload().length - 3, StandardCharsets.UTF_8));
    }

    @AfterEach
    void stopAgent() throws Exception {
        agent.destroyForcibly().waitFor();
        stream.close();
        server.close();
        QubeTools.deleteTree(dir);
    }

    private static void readFrames(SocketChannel from, BlockingQueue<Frame> into) {
        try {
            while (true) {
                ByteBuffer header = ByteBuffer.allocate(5);
                if (!fill(from, header)) {
                    return;
                }
                ByteBuffer payload = ByteBuffer.allocate(header.getShort(3) & 0xFFFF);
                if (!fill(from, payload)) {
                    return;
                }
                into.add(new Frame(header.get(0), header.getShort(1), payload.array()));
            }
        } catch (IOException e) {
            // the stream ended
        }
    }

    private static boolean fill(SocketChannel from, ByteBuffer b) throws IOException {
        while (b.hasRemaining()) {
            if (from.read(b) < 0) {
                return false;
            }
        }
        b.flip();
        return true;
    }

    private void send(int type, int id, byte[] payload) throws IOException {
        ByteBuffer b = ByteBuffer.allocate(5 + payload.length);
        b.put((byte) type).putShort((short) id).putShort((short) payload.length).put(payload).flip();
        while (b.hasRemaining()) {
            stream.write(b);
        }
    }

    private void start(int id, String user, List<String> env, String... argv) throws IOException {
        ByteArrayOutputStream b = new ByteArrayOutputStream();
        b.write(env.size());
        b.write(argv.length);
        List<String> all = new ArrayList<>();
        all.add(user);
        all.addAll(env);
        all.addAll(List.of(argv));
        for (String s : all) {
            b.writeBytes(s.getBytes(StandardCharsets.UTF_8));
            b.write(0);
        }
        send(START, id, b.toByteArray());
    }

    private void grant(int id, int stream, int bytes) throws IOException {
        send(GRANT, id, ByteBuffer.allocate(5).put((byte) stream).putInt(bytes).array());
    }

    private Frame next() throws InterruptedException {
        Frame f = frames.poll(QubeTools.TIMEOUT_SECONDS, TimeUnit.SECONDS);
        assertNotNull(f, "the agent sent nothing in " + QubeTools.TIMEOUT_SECONDS + " s");
        return f;
    }

    private Frame next(int type) throws InterruptedException {
        Frame f = next();
        assertEquals(type, f.type(), "frame type, got " + f.type() + " '" + f.text() + "'");
        return f;
    }

    /** Everything of one process until its EXIT: stdout, stderr and the status. */
    private record Ran(String stdout, String stderr, int status) {
    }

    private Ran collect(int id) throws InterruptedException {
        StringBuilder out = new StringBuilder();
        StringBuilder err = new StringBuilder();
        int eofs = 0;
        while (true) {
            Frame f = next();
            assertEquals(id, f.id());
            switch (f.type()) {
                case STDOUT -> out.append(f.text());
                case STDERR -> err.append(f.text());
                case EOF -> eofs++;
                case CREDIT -> {
                }
                case EXIT -> {
                    assertEquals(2, eofs, "both streams ended before EXIT");
                    return new Ran(out.toString(), err.toString(), f.u32());
                }
                default -> throw new AssertionError("unexpected frame " + f.type());
            }
        }
    }

    @Test
    void aProgramRunsAsTheUserWithItsEnvironmentAndItsStreamsAndStatusComeBack() throws Exception {
        start(5, "user", List.of("FOO=bar", "PATH=/evil"), "/bin/sh", "-c",
                "read line; echo \"$line as $(id -u):$(id -g) groups $(id -G) in $PWD, $HOME $USER $FOO $PATH\"; echo oops >&2; exit 3");
        next(STARTED);
        send(STDIN, 5, "hello\n".getBytes(StandardCharsets.UTF_8));
        send(STDIN_EOF, 5, new byte[0]);
        Ran ran = collect(5);
        assertEquals("hello as 65534:65534 groups 65534 4242 in " + home + ", " + home + " user bar "
                + "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin\n", ran.stdout());
        assertEquals("oops\n", ran.stderr());
        assertEquals(3, ran.status());
    }

    @Test
    void theDefaultUserIsUserAndAProgramThatCannotStartFails() throws Exception {
        start(0, "", List.of(), "/bin/sh", "-c", "id -u");
        next(STARTED);
        assertEquals("65534\n", collect(0).stdout());

        start(0, "mallory", List.of(), "/bin/true");
        assertTrue(next(FAILED).text().contains("no user 'mallory'"));
        start(0, "root", List.of(), "/no/such/program");
        Frame failed = next(FAILED);
        assertTrue(failed.text().contains("/no/such/program") && failed.text().contains("No such file"), failed.text());
        start(0, "root", List.of(), "relative");
        assertEquals(FAILED, next().type());
    }

    @Test
    void anAgentThatIsNotRootRunsProgramsAsItsOwnUserAndRefusesAnyOther() throws Exception {
        stopAgent();
        dir = Files.createTempDirectory("bulkhead-agent-");
        Files.setPosixFilePermissions(dir, PosixFilePermissions.fromString("rwxr-xr-x"));
        Files.writeString(Files.createDirectory(dir.resolve("etc")).resolve("passwd"), "root:x:0:0:root:/root:/bin/sh\n"
                + "user:x:65534:65534:user:/:/bin/sh\n");
        asUser = "user";
        launch();

        start(0, "", List.of(), "/bin/sh", "-c", "id -u");
        next(STARTED);
        assertEquals("65534\n", collect(0).stdout());
        start(0, "user", List.of(), "/bin/sh", "-c", "echo $USER");
        next(STARTED);
        assertEquals("user\n", collect(0).stdout());
        start(0, "root", List.of(), "/bin/true");
        assertTrue(next(FAILED).text().contains("cannot switch to 'root'"));
    }

    @Test
    void killEndsTheWholeProcessGroup() throws Exception {
        start(1, "root", List.of(), "/bin/sh", "-c", "sleep 1000 & sleep 1000");
        next(STARTED);
        assertNull(frames.poll(200, TimeUnit.MILLISECONDS), "it runs");
        send(KILL, 1, new byte[0]);
        // EXIT waits for both streams' ends, which the background sleep holds until it is killed too
        assertEquals(128 + 9, collect(1).status());
    }

    @Test
    void outputStaysWithinItsWindowAndAnotherProcessIsNotHeldUp() throws Exception {
        start(0, "root", List.of(), "/bin/sh", "-c", "head -c 1048576 /dev/zero");
        next(STARTED);
        long got = 0;
        while (got < WINDOW) {
            got += next(STDOUT).payload().length;
        }
        assertEquals(WINDOW, got, "a window, not a byte more");

        start(1, "root", List.of(), "/bin/echo", "quick");
        assertEquals(STARTED, next().type());
        Ran quick = collect(1);
        assertEquals("quick\n", quick.stdout());

        grant(0, 1, WINDOW);
        long more = 0;
        while (more < WINDOW) {
            Frame f = next(STDOUT);
            assertEquals(0, f.id());
            more += f.payload().length;
        }
        assertEquals(WINDOW, more);
        assertNull(frames.poll(200, TimeUnit.MILLISECONDS), "again no more than the credit");
    }

    @Test
    void stdinBytesAreGrantedBackOnceWritten() throws Exception {
        start(2, "root", List.of(), "/bin/sh", "-c", "cat > /dev/null; echo done");
        next(STARTED);
        byte[] chunk = new byte[32768];
        send(STDIN, 2, chunk);
        send(STDIN, 2, chunk);
        long granted = 0;
        while (granted < WINDOW) {
            granted += next(CREDIT).u32();
        }
        assertEquals(WINDOW, granted);
        send(STDIN, 2, chunk);
        send(STDIN_EOF, 2, new byte[0]);
        assertEquals("done\n", collect(2).stdout());
    }

    @Test
    void theStreamsEndKillsItsProcessesAndTheAgentConnectsAgain() throws Exception {
        Path pid = dir.resolve("pid");
        start(3, "root", List.of(), "/bin/sh", "-c", "echo $$ > " + pid + "; exec sleep 1000");
        next(STARTED);
        Await.until("the program to run", () -> Files.exists(pid) && !read(pid).isEmpty());
        Path proc = Path.of("/proc", read(pid));
        assertTrue(Files.exists(proc));
        stream.close();
        connect();
        Await.until("the program to be killed and reaped", () -> !Files.exists(proc));

        start(3, "root", List.of(), "/bin/echo", "again");
        next(STARTED);
        assertEquals("again\n", collect(3).stdout());
    }

    @Test
    void aStartForAnIdInUseBreaksTheProtocolAndTheAgentConnectsAgain() throws Exception {
        start(4, "root", List.of(), "/bin/sleep", "1000");
        next(STARTED);
        start(4, "root", List.of(), "/bin/echo", "twice");
        connect();
        start(4, "root", List.of(), "/bin/echo", "fresh");
        next(STARTED);
        assertEquals("fresh\n", collect(4).stdout());
    }

    private static String read(Path p) {
        try {
            return Files.readString(p).strip();
        } catch (IOException e) {
            return "";
        }
    }
}
