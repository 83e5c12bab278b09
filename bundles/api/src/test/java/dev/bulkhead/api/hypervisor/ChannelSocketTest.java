package dev.bulkhead.api.hypervisor;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.attribute.BasicFileAttributes;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Optional;
import java.util.OptionalInt;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.LockSupport;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import dev.bulkhead.api.InvalidStateException;
import dev.bulkhead.api.InvalidValueException;

/** dom0's listening socket of a channel, with a peer that connects to it as an agent (or a hostile one) would. */
class ChannelSocketTest {
    private static final String NAME = "channel 'qubes.Test' of 'work'";
    private static final Duration LONG = Duration.ofMinutes(1);

    @TempDir
    Path directory;
    private final List<AutoCloseable> toClose = new ArrayList<>();

    @AfterEach
    void closeEverything() throws Exception {
        for (AutoCloseable c : toClose) {
            c.close();
        }
    }

    private ChannelSocket listen() throws IOException {
        ChannelSocket socket = ChannelSocket.listen(NAME, directory.resolve("qubes.Test"),
                PosixFilePermissions.fromString("rw-rw----"), OptionalInt.empty());
        toClose.add(socket);
        return socket;
    }

    private SocketChannel connect(ChannelSocket socket) throws IOException {
        SocketChannel peer = SocketChannel.open(StandardProtocolFamily.UNIX);
        toClose.add(peer);
        peer.connect(UnixDomainSocketAddress.of(socket.path()));
        return peer;
    }

    private SocketChannel accepted(ChannelSocket socket) throws IOException {
        SocketChannel stream = socket.accept(LONG).orElseThrow();
        toClose.add(stream);
        return stream;
    }

    private static void write(SocketChannel to, String text) throws IOException {
        ByteBuffer bytes = ByteBuffer.wrap(text.getBytes(StandardCharsets.UTF_8));
        while (bytes.hasRemaining()) {
            to.write(bytes);
        }
    }

    private static String read(SocketChannel from, int length) throws IOException {
        ByteBuffer bytes = ByteBuffer.allocate(length);
        while (bytes.hasRemaining() && from.read(bytes) >= 0) {
            // until it is full or the stream ends
        }
        return new String(bytes.array(), 0, bytes.position(), StandardCharsets.UTF_8);
    }

    private static boolean isSocket(Path path) throws IOException {
        return Files.readAttributes(path, BasicFileAttributes.class, LinkOption.NOFOLLOW_LINKS).isOther();
    }

    /** -1 when the peer's stream ended, cleanly or by a reset. */
    private static int readOrEnd(SocketChannel from) {
        try {
            return from.read(ByteBuffer.allocate(1));
        } catch (IOException reset) {
            return -1;
        }
    }

    @Test
    void acceptsAConnectionAsABlockingStreamThatCarriesBytesBothWays() throws IOException {
        ChannelSocket socket = listen();
        assertTrue(isSocket(socket.path()), "a socket is bound at " + socket.path());
        assertEquals("rw-rw----", PosixFilePermissions.toString(Files.getPosixFilePermissions(socket.path())));
        SocketChannel peer = connect(socket);
        SocketChannel stream = accepted(socket);
        assertTrue(stream.isBlocking());
        write(peer, "from-qube");
        assertEquals("from-qube", read(stream, 9));
        write(stream, "from-dom0");
        assertEquals("from-dom0", read(peer, 9));
    }

    @Test
    void eachAcceptTakesTheNextConnectionSoAnAgentThatRestartsConnectsAgain() throws IOException {
        ChannelSocket socket = listen();
        SocketChannel first = connect(socket);
        SocketChannel firstStream = accepted(socket);
        first.close();
        assertEquals(-1, readOrEnd(firstStream));
        SocketChannel second = connect(socket);
        SocketChannel secondStream = accepted(socket);
        write(second, "again");
        assertEquals("again", read(secondStream, 5));
    }

    @Test
    void withNoPeerAcceptReturnsNothingOnceItsTimeoutIsOver() throws IOException {
        ChannelSocket socket = listen();
        assertEquals(Optional.empty(), socket.accept(Duration.ofMillis(20)));
        assertTrue(socket.isOpen(), "a timeout leaves the socket listening");
        connect(socket);
        assertTrue(socket.accept(LONG).isPresent(), "a connection after a timeout is taken by the next accept");
    }

    @Test
    void onlyAPositiveTimeoutIsAccepted() throws IOException {
        ChannelSocket socket = listen();
        for (Duration bad : Arrays.asList(null, Duration.ZERO, Duration.ofMillis(-1))) {
            InvalidValueException e = assertThrows(InvalidValueException.class, () -> socket.accept(bad));
            assertTrue(e.getMessage().contains("a positive duration"), e.getMessage());
        }
    }

    @Test
    void closeWakesAWaitingAcceptRemovesTheSocketAndRefusesFurtherAccepts() throws Exception {
        ChannelSocket socket = listen();
        CompletableFuture<Optional<SocketChannel>> waiting = new CompletableFuture<>();
        Thread thread = new Thread(() -> {
            try {
                waiting.complete(socket.accept(LONG));
            } catch (RuntimeException e) {
                waiting.completeExceptionally(e);
            }
        }, "accepting");
        thread.start();
        awaitSelecting(thread);

        socket.close();
        ExecutionException ended = assertThrows(ExecutionException.class, () -> waiting.get(10, TimeUnit.SECONDS),
                "close ends the wait, well before the accept's own timeout");
        assertInstanceOf(InvalidStateException.class, ended.getCause());
        assertEquals(NAME + " was closed", ended.getCause().getMessage());

        assertFalse(socket.isOpen());
        assertFalse(Files.exists(socket.path()), "the socket file goes with it");
        InvalidStateException after = assertThrows(InvalidStateException.class, () -> socket.accept(LONG));
        assertEquals(NAME + " is closed", after.getMessage());
        socket.close();
    }

    /** Polls until the thread waits in the selector: a condition, not a pause. */
    private static void awaitSelecting(Thread thread) {
        long bound = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
        while (Arrays.stream(thread.getStackTrace()).noneMatch(f -> f.getClassName().contains("Selector")
                && f.getMethodName().contains("select"))) {
            assertTrue(System.nanoTime() - bound < 0, "the accepting thread did not reach the selector");
            LockSupport.parkNanos(1_000_000);
        }
    }

    @Test
    void streamsAlreadyTakenOutliveTheSocketButConnectionsStillWaitingEndWithIt() throws IOException {
        ChannelSocket socket = listen();
        SocketChannel taken = connect(socket);
        SocketChannel takenStream = accepted(socket);
        SocketChannel waitingPeer = connect(socket);
        socket.close();
        write(taken, "still");
        assertEquals("still", read(takenStream, 5));
        assertEquals(-1, readOrEnd(waitingPeer), "a connection nobody took is ended, not left to a later listener");
        assertThrows(IOException.class, () -> connect(socket), "nobody listens any more");
    }

    @Test
    void aPeerThatFloodsConnectionsGetsThemTakenOneAtATimeAndNoMore() throws IOException {
        ChannelSocket socket = listen();
        List<SocketChannel> peers = new ArrayList<>();
        for (int i = 0; i < 20; i++) {
            peers.add(connect(socket));
        }
        for (SocketChannel peer : peers) {
            write(peer, "x");
            assertEquals("x", read(accepted(socket), 1), "each accept takes one connection, in order");
        }
        assertEquals(Optional.empty(), socket.accept(Duration.ofMillis(20)), "nothing more than was connected");
    }

    @Test
    void aPeerThatConnectsAndClosesAtOnceLeavesAStreamAtItsEndAndTheSocketServing() throws IOException {
        ChannelSocket socket = listen();
        connect(socket).close();
        assertEquals(-1, readOrEnd(accepted(socket)), "the abandoned stream reads end of file");
        SocketChannel agent = connect(socket);
        write(agent, "ok");
        assertEquals("ok", read(accepted(socket), 2));
    }

    @Test
    void whatALinkOrAFileAtTheSocketsPlaceNamesIsLeftAloneAndReplacedByTheSocket() throws IOException {
        Path elsewhere = Files.writeString(directory.resolve("elsewhere"), "kept");
        Files.createSymbolicLink(directory.resolve("qubes.Test"), elsewhere);
        ChannelSocket socket = listen();
        assertTrue(isSocket(socket.path()) && !Files.isSymbolicLink(socket.path()), "a socket, not the link");
        assertEquals("kept", Files.readString(elsewhere), "the link's target is untouched");
        socket.close();
        assertTrue(Files.exists(elsewhere) && !Files.exists(socket.path(), LinkOption.NOFOLLOW_LINKS));
    }

    @Test
    void aSocketThatCannotBeBoundLeavesNothingBehind() {
        Path nowhere = directory.resolve("missing").resolve("qubes.Test");
        assertThrows(IOException.class, () -> ChannelSocket.listen(NAME, nowhere, PosixFilePermissions.fromString("rw-------"),
                OptionalInt.empty()));
        assertFalse(Files.exists(nowhere.getParent()));
    }
}
