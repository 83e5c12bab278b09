package dev.bulkhead.shell.internal.channel;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.PrintStream;
import java.lang.reflect.Proxy;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;

import org.apache.felix.service.command.CommandProcessor;
import org.apache.felix.service.command.CommandSession;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import dev.bulkhead.shell.client.Client;
import dev.bulkhead.shell.client.ClientSocket;
import dev.bulkhead.shell.client.Frame;
import dev.bulkhead.shell.internal.ExitStatusException;

/** The channel on a real socket, with a stand-in for Gogo that knows a few fixed commands. */
class ClientSocketServerTest {
    @TempDir
    Path data;

    private final System.Logger log = System.getLogger(ClientSocketServerTest.class.getName());
    private Path socket;
    private ClientSocketServer server;
    private final CountDownLatch blockingCommandStarted = new CountDownLatch(1);
    private final CountDownLatch blockingCommandInterrupted = new CountDownLatch(1);
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
    }

    /** What the stand-in's commands do, in place of Gogo's command lookup. */
    private Object execute(String commandLine, PrintStream out, PrintStream err) throws Exception {
        switch (commandLine) {
            case "echo hello":
                out.println("hello");
                return null;
            case "both":
                out.print("to out\n");
                err.print("to err\n");
                return null;
            case "answer":
                return 42;
            case "fail":
                throw new IllegalArgumentException("no such qube: 'nope'");
            case "fail silently":
                throw new IllegalStateException();
            case "exit 7":
                throw new ExitStatusException(7, "");
            case "exit 3 said":
                throw new ExitStatusException(3, "the command in the qube failed");
            case "block":
                blockingCommandStarted.countDown();
                try {
                    Thread.sleep(60_000);
                } catch (InterruptedException e) {
                    blockingCommandInterrupted.countDown();
                    throw e;
                }
                return null;
            default:
                throw new IllegalArgumentException("Command not found: " + commandLine);
        }
    }

    private final CommandProcessor processor = new CommandProcessor() {
        @Override
        public CommandSession createSession(InputStream in, OutputStream out, OutputStream err) {
            PrintStream stdout = (PrintStream) out;
            PrintStream stderr = (PrintStream) err;
            return (CommandSession) Proxy.newProxyInstance(getClass().getClassLoader(),
                    new Class<?>[] {CommandSession.class}, (proxy, method, args) -> switch (method.getName()) {
                        case "execute" -> execute(args[0].toString(), stdout, stderr);
                        case "format" -> "formatted " + args[0];
                        case "close" -> null;
                        default -> throw new UnsupportedOperationException(method.getName());
                    });
        }

        @Override
        public CommandSession createSession(CommandSession parent) {
            throw new UnsupportedOperationException();
        }
    };

    private int run(String commandLine) {
        return new Client(new PrintStream(clientOut, true), new PrintStream(clientErr, true)).run(socket, commandLine);
    }

    private String out() {
        return clientOut.toString(StandardCharsets.UTF_8);
    }

    private String err() {
        return clientErr.toString(StandardCharsets.UTF_8);
    }

    @Test
    void successPassesOutputAndStatusZero() throws IOException {
        server = new ClientSocketServer(processor, socket, log);
        assertEquals(0, run("echo hello"));
        assertEquals("hello\n", out());
        assertEquals("", err());
    }

    @Test
    void stdoutAndStderrStaySeparate() throws IOException {
        server = new ClientSocketServer(processor, socket, log);
        assertEquals(0, run("both"));
        assertEquals("to out\n", out());
        assertEquals("to err\n", err());
    }

    @Test
    void aResultIsPrintedAsTheShellFormatsIt() throws IOException {
        server = new ClientSocketServer(processor, socket, log);
        assertEquals(0, run("answer"));
        assertEquals("formatted 42\n", out());
    }

    @Test
    void aFailingCommandPrintsItsMessageAndExitsOne() throws IOException {
        server = new ClientSocketServer(processor, socket, log);
        assertEquals(1, run("fail"));
        assertEquals("no such qube: 'nope'\n", err());
        assertEquals(1, run("fail silently"));
        assertTrue(err().endsWith("java.lang.IllegalStateException\n"), err());
    }

    @Test
    void anExitStatusExceptionSetsTheStatus() throws IOException {
        server = new ClientSocketServer(processor, socket, log);
        assertEquals(7, run("exit 7"));
        assertEquals("", err(), "an empty message prints nothing");
        assertEquals(3, run("exit 3 said"));
        assertEquals("the command in the qube failed\n", err());
    }

    @Test
    void socketAndItsDirectoryArePrivate() throws IOException {
        server = new ClientSocketServer(processor, socket, log);
        assertEquals("rwx------", PosixFilePermissions.toString(Files.getPosixFilePermissions(socket.getParent())));
        assertEquals("rw-------", PosixFilePermissions.toString(Files.getPosixFilePermissions(socket)));
    }

    @Test
    void closingRemovesTheSocketAndTheClientSaysNotRunning() throws IOException {
        server = new ClientSocketServer(processor, socket, log);
        server.close();
        server = null;
        assertFalse(Files.exists(socket));
        assertEquals(Client.NOT_RUN, run("echo hello"));
        assertEquals("bulkhead is not running (no " + socket + ")\n", err());
    }

    @Test
    void aStaleSocketIsReplaced() throws IOException {
        Files.createDirectories(socket.getParent());
        try (ServerSocketChannel crashed = ServerSocketChannel.open(StandardProtocolFamily.UNIX)) {
            crashed.bind(UnixDomainSocketAddress.of(socket));
        }
        assertTrue(Files.exists(socket), "closing a server socket leaves its file behind");
        assertEquals(Client.NOT_RUN, run("echo hello"));
        assertTrue(err().contains("refuses connections"), err());

        server = new ClientSocketServer(processor, socket, log);
        assertEquals(0, run("echo hello"));
    }

    @Test
    void aSecondInstanceRefusesToTakeALiveSocket() throws IOException {
        server = new ClientSocketServer(processor, socket, log);
        IllegalStateException refused = assertThrows(IllegalStateException.class, () -> new ClientSocketServer(processor, socket, log));
        assertTrue(refused.getMessage().contains("Another Bulkhead instance is listening on " + socket), refused.getMessage());
        assertEquals(0, run("echo hello"), "the first instance still answers");
    }

    @Test
    void aClientHangingUpInterruptsItsCommand() throws Exception {
        server = new ClientSocketServer(processor, socket, log);
        try (SocketChannel client = SocketChannel.open(UnixDomainSocketAddress.of(socket))) {
            Frame.command("block").writeTo(client);
            assertTrue(blockingCommandStarted.await(5, TimeUnit.SECONDS));
        }
        assertTrue(blockingCommandInterrupted.await(5, TimeUnit.SECONDS));
        assertEquals(0, run("echo hello"), "the channel serves the next client");
    }
}
