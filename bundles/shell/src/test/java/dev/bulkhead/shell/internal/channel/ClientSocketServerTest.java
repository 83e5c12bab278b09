package dev.bulkhead.shell.internal.channel;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.PrintStream;
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
import java.util.concurrent.TimeUnit;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import dev.bulkhead.shell.client.Client;
import dev.bulkhead.shell.client.ClientSocket;
import dev.bulkhead.shell.client.Frame;
import dev.bulkhead.shell.client.FrameType;

/** The channel on a real socket, with the real Gogo runtime and a few test commands ({@link TestShell}). */
class ClientSocketServerTest {
    @TempDir
    Path data;

    private final System.Logger log = System.getLogger(ClientSocketServerTest.class.getName());
    private final TestShell shell = new TestShell();
    private Path socket;
    private ClientSocketServer server;
    private final ByteArrayOutputStream clientOut = new ByteArrayOutputStream();
    private final ByteArrayOutputStream clientErr = new ByteArrayOutputStream();

    @BeforeEach
    void locateSocket() {
        socket = ClientSocket.in(data);
    }

    @AfterEach
    void closeServer() {
        if (server != null) {
            server.close();
        }
        shell.close();
    }

    private ClientSocketServer serve() throws IOException {
        return new ClientSocketServer(shell.processor, shell.threadIO, socket, log);
    }

    private int run(String... args) {
        return new Client(new PrintStream(clientOut, true), new PrintStream(clientErr, true)).run(socket, List.of(args));
    }

    private String out() {
        return clientOut.toString(StandardCharsets.UTF_8);
    }

    private String err() {
        return clientErr.toString(StandardCharsets.UTF_8);
    }

    /** Sends raw bytes as a client would and collects what the platform answers until it closes. */
    private List<Frame> exchange(byte[] request) throws IOException {
        List<Frame> answer = new ArrayList<>();
        try (SocketChannel client = SocketChannel.open(UnixDomainSocketAddress.of(socket))) {
            client.write(ByteBuffer.wrap(request));
            for (Frame f = Frame.readFrom(client); f != null; f = Frame.readFrom(client)) {
                answer.add(f);
            }
        }
        return answer;
    }

    @Test
    void successPassesOutputAndStatusZero() throws IOException {
        server = serve();
        assertEquals(0, run("t:echo", "hello"));
        assertEquals("hello\n", out());
        assertEquals("", err());
    }

    @Test
    void stdoutAndStderrStaySeparate() throws IOException {
        server = serve();
        assertEquals(0, run("t:both"));
        assertEquals("to out\n", out());
        assertEquals("to err\n", err());
    }

    @Test
    void aResultIsPrintedAsTheShellFormatsIt() throws IOException {
        server = serve();
        assertEquals(0, run("t:answer"));
        assertEquals("42\n", out());
    }

    @Test
    void aFailingCommandPrintsItsMessageAndExitsOne() throws IOException {
        server = serve();
        assertEquals(1, run("t:fail"));
        assertEquals("no such qube: 'nope'\n", err());
        assertEquals(1, run("t:quiet"));
        assertTrue(err().endsWith("java.lang.IllegalStateException\n"), err());
    }

    @Test
    void anExitStatusExceptionSetsTheStatus() throws IOException {
        server = serve();
        assertEquals(7, run("t:exit", "7"));
        assertEquals("", err(), "an empty message prints nothing");
        assertEquals(3, run("t:exit", "3", "the", "command", "in", "the", "qube", "failed"));
        assertEquals("the command in the qube failed\n", err());
    }

    /** Felix's bundle start, which a plain 'start' used to reach. */
    public static final class FelixStart {
        public void start(String location) {
            System.out.println("felix started " + location);
        }
    }

    public static final class QvmStart {
        public void start(String... names) {
            System.out.println("qvm started " + String.join(" ", names));
        }
    }

    @Test
    void aPlainNameReachesTheQvmCommandAsInTheInteractiveShell() throws IOException {
        shell.processor.addCommand("felix", new FelixStart(), "start");
        shell.processor.addCommand("qvm", new QvmStart(), "start");
        server = serve();
        assertEquals(0, run("start", "work"));
        assertEquals(0, run("-c", "start other"));
        assertEquals("qvm started work\nqvm started other\n", out());
    }

    @Test
    void aQubesToolNameSuggestsItsQvmCommand() throws IOException {
        shell.processor.addCommand("qvm", new QvmStart(), "start");
        server = serve();
        assertEquals(Client.NOT_RUN, run("qvm-start", "work"));
        assertEquals("no such command: 'qvm-start'; use qvm:start\n", err());
    }

    @Test
    void socketAndItsDirectoryArePrivate() throws IOException {
        server = serve();
        assertEquals("rwx------", PosixFilePermissions.toString(Files.getPosixFilePermissions(socket.getParent())));
        assertEquals("rw-------", PosixFilePermissions.toString(Files.getPosixFilePermissions(socket)));
    }

    @Test
    void closingRemovesTheSocketAndTheClientSaysNotRunning() throws IOException {
        server = serve();
        server.close();
        server = null;
        assertFalse(Files.exists(socket));
        assertEquals(Client.NOT_RUN, run("t:echo", "hello"));
        assertEquals("bulkhead is not running (no " + socket + ")\n", err());
    }

    @Test
    void aStaleSocketIsReplaced() throws IOException {
        Files.createDirectories(socket.getParent());
        try (ServerSocketChannel crashed = ServerSocketChannel.open(StandardProtocolFamily.UNIX)) {
            crashed.bind(UnixDomainSocketAddress.of(socket));
        }
        assertTrue(Files.exists(socket), "closing a server socket leaves its file behind");
        assertEquals(Client.NOT_RUN, run("t:echo", "hello"));
        assertTrue(err().contains("refuses connections"), err());

        server = serve();
        assertEquals(0, run("t:echo", "hello"));
    }

    @Test
    void aSecondInstanceRefusesToTakeALiveSocket() throws IOException {
        server = serve();
        IllegalStateException refused = assertThrows(IllegalStateException.class, this::serve);
        assertTrue(refused.getMessage().contains("Another Bulkhead instance is listening on " + socket), refused.getMessage());
        assertEquals(0, run("t:echo", "hello"), "the first instance still answers");
    }

    @Test
    void aClientHangingUpInterruptsItsCommand() throws Exception {
        server = serve();
        try (SocketChannel client = SocketChannel.open(UnixDomainSocketAddress.of(socket))) {
            Frame.arguments(List.of("t:block")).writeTo(client);
            assertTrue(shell.commands.blockStarted.await(5, TimeUnit.SECONDS));
        }
        assertTrue(shell.commands.blockInterrupted.await(5, TimeUnit.SECONDS));
        assertEquals(0, run("t:echo", "hello"), "the channel serves the next client");
    }

    @Test
    void argumentsReachTheCommandAsGivenAndItsSystemOutReachesTheClient() throws IOException {
        server = serve();
        String hostile = "a; t:remove x | t:remove y && $(t:remove z) { t:remove w } >" + data.resolve("victim") + " 'q\" \\ $SCOPE";
        assertEquals(0, run("t:note", "k", hostile));
        assertEquals(hostile, shell.commands.notes.get("k"));
        assertEquals(0, shell.commands.removals.get(), "no second command ran");
        assertFalse(Files.exists(data.resolve("victim")), "no redirection happened");
        assertEquals(0, run("t:read", "k"));
        assertEquals(hostile + "\n", out());
    }

    @Test
    void gogoStillConvertsArgumentsAndReadsOptions() throws IOException {
        server = serve();
        assertEquals(0, run("t:twice", "21"));
        assertEquals(0, run("t:greet", "--loud", "world"));
        assertEquals(0, run("greet", "you"));
        assertEquals(0, run("t:size", "--unit", "MiB", "3"));
        assertEquals(0, run("t:size", "4"));
        assertEquals("42\nHELLO WORLD\nhello you\n3 MiB\n4 B\n", out());
        assertEquals(1, run("t:twice", "many"));
        assertTrue(err().contains("Cannot coerce"), err());
    }

    @Test
    void aCommandNameIsOneNameNotALine() throws IOException {
        server = serve();
        assertEquals(Client.NOT_RUN, run("t:echo a; t:remove x"));
        assertEquals("no such command: 't:echo a; t:remove x'; one command name comes first, then its arguments"
                + " (client -c runs a command line)\n", err());
        assertEquals(Client.NOT_RUN, run("t:nope\u001b[2J"));
        assertTrue(err().contains("'t:nope?[2J'"), "control characters are not echoed: " + err());
        assertEquals(0, shell.commands.removals.get());
    }

    @Test
    void aClosureLookingArgumentStaysAString() throws IOException {
        server = serve();
        assertEquals(0, run("t:note", "c", "{ t:remove x }"));
        assertEquals("{ t:remove x }", shell.commands.notes.get("c"));
        assertEquals(0, shell.commands.removals.get());
    }

    @Test
    void theLineFormIsThereOnlyBehindMinusCAndStopsAtTheFirstFailure() throws IOException {
        server = serve();
        assertEquals(0, run("-c", "t:echo a; t:echo b"));
        assertEquals("a\nb\n", out());
        assertEquals(1, run("-c", "t:fail; t:echo after"));
        assertFalse(out().contains("after"), out());
        assertEquals(7, run("-c", "t:echo x; t:exit 7; t:echo after"));
        assertFalse(out().contains("after"), out());
    }

    @Test
    void badUsageIsNamedAndSendsNothing() throws IOException {
        server = serve();
        assertEquals(Client.NOT_RUN, run());
        assertTrue(err().startsWith("usage: client COMMAND [ARGUMENT...]"), err());
        for (String[] args : List.of(new String[] {"-c"}, new String[] {"-c", "t:echo a", "t:echo b"}, new String[] {"-x", "t:echo"},
                new String[] {""}, new String[] {"t:note", "nul\0byte"})) {
            clientErr.reset();
            assertEquals(Client.NOT_RUN, run(args), List.of(args).toString());
            assertTrue(err().startsWith("client: "), err());
        }
        assertEquals(0, run("--help"));
        assertTrue(out().startsWith("usage: client"), out());
        assertTrue(shell.commands.notes.isEmpty());
    }

    @Test
    void malformedRequestsAreRefusedWithTheProblemAndRunNothing() throws IOException {
        server = serve();
        byte[] noArguments = ByteBuffer.allocate(9).put(FrameType.ARGUMENTS.code()).putInt(4).putInt(0).array();
        byte[] badUtf8 = ByteBuffer.allocate(17).put(FrameType.ARGUMENTS.code()).putInt(12).putInt(1).putInt(4)
                .put(new byte[] {'t', ':', (byte) 0xc3, '('}).array();
        byte[] unknownType = {9, 0, 0, 0, 0};
        byte[] stdoutFromClient = {FrameType.STDOUT.code(), 0, 0, 0, 0};
        for (byte[] request : List.of(noArguments, badUtf8, unknownType, stdoutFromClient)) {
            List<Frame> answer = exchange(request);
            assertEquals(2, answer.size(), answer.toString());
            assertTrue(answer.get(0).text().startsWith("bulkhead refused the request: "), answer.get(0).text());
            assertEquals(Client.NOT_RUN, answer.get(1).exitStatus());
        }
        assertEquals(0, shell.commands.removals.get());
        assertEquals(0, run("t:echo", "still serving"));
    }

    @Test
    void aSecondRequestOnTheSameConnectionIsNeverRun() throws IOException {
        server = serve();
        try (SocketChannel client = SocketChannel.open(UnixDomainSocketAddress.of(socket))) {
            Frame.arguments(List.of("t:note", "k", "first")).writeTo(client);
            Frame.arguments(List.of("t:remove", "canary")).writeTo(client);
            Frame.command("t:remove canary").writeTo(client);
            // The platform closes after the first command; unread requests may reset the connection instead of ending it.
            try {
                while (Frame.readFrom(client) != null) {
                    continue;
                }
            } catch (java.net.SocketException reset) {
                assertTrue(reset.getMessage().contains("reset"), reset.toString());
            }
        }
        assertEquals("first", shell.commands.notes.get("k"));
        assertEquals(0, shell.commands.removals.get());
    }
}
