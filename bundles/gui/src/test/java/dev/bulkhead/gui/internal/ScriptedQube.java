package dev.bulkhead.gui.internal;

import java.io.IOException;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.function.Predicate;

import dev.bulkhead.gui.protocol.Direction;
import dev.bulkhead.gui.protocol.GuiLimits;
import dev.bulkhead.gui.protocol.GuiMessage;
import dev.bulkhead.gui.protocol.GuiProtocolException;
import dev.bulkhead.gui.protocol.MessageReader;
import dev.bulkhead.gui.protocol.MessageWriter;

/**
 * The qube end of a GUI stream, speaking the protocol as the test scripts it, well-behaved or
 * hostile, over a real unix socket pair. It records what dom0 sends.
 */
final class ScriptedQube implements AutoCloseable {
    final SocketChannel dom0End;
    private final SocketChannel qubeEnd;
    private final MessageWriter writer;
    private final List<GuiMessage> received = new CopyOnWriteArrayList<>();
    private final Thread reader;

    private ScriptedQube(SocketChannel dom0End, SocketChannel qubeEnd) {
        this.dom0End = dom0End;
        this.qubeEnd = qubeEnd;
        this.writer = new MessageWriter(qubeEnd);
        this.reader = new Thread(this::readAll, "scripted-qube");
        reader.setDaemon(true);
        reader.start();
    }

    static ScriptedQube connect(Path dir) throws IOException {
        Path socket = Files.createTempDirectory(dir, "gui").resolve("s");
        try (ServerSocketChannel server = ServerSocketChannel.open(StandardProtocolFamily.UNIX)) {
            server.bind(UnixDomainSocketAddress.of(socket));
            SocketChannel qube = SocketChannel.open(UnixDomainSocketAddress.of(socket));
            return new ScriptedQube(server.accept(), qube);
        }
    }

    ScriptedQube hello() throws IOException {
        return send(new GuiMessage.Hello(GuiLimits.VERSION));
    }

    ScriptedQube send(GuiMessage m) throws IOException {
        writer.write(m);
        return this;
    }

    ScriptedQube sendRaw(byte[] bytes) throws IOException {
        ByteBuffer b = ByteBuffer.wrap(bytes);
        while (b.hasRemaining()) {
            qubeEnd.write(b);
        }
        return this;
    }

    /** A window shown at once: created, titled, mapped and filled with one colour. */
    ScriptedQube window(int id, int x, int y, int w, int h, String title, int rgb) throws IOException {
        send(new GuiMessage.Create(id, x, y, w, h, 0, false));
        send(new GuiMessage.WmName(id, title));
        send(new GuiMessage.Map(id, false));
        int[] pixels = new int[w * h];
        java.util.Arrays.fill(pixels, rgb);
        return send(new GuiMessage.Pixels(id, 0, 0, w, h, pixels));
    }

    List<GuiMessage> received() {
        return List.copyOf(received);
    }

    /** Waits, at most 20 s, until what dom0 sent holds {@code condition}; the messages then. */
    List<GuiMessage> await(String what, Predicate<List<GuiMessage>> condition) throws InterruptedException {
        Instant end = Instant.now().plus(Duration.ofSeconds(20));
        while (!condition.test(received())) {
            if (Instant.now().isAfter(end)) {
                throw new AssertionError("the qube never got " + what + "; it got " + received());
            }
            Thread.sleep(20);
        }
        return received();
    }

    /** The keysyms of the key presses received, as text. */
    String typed() {
        StringBuilder s = new StringBuilder();
        for (GuiMessage m : received()) {
            if (m instanceof GuiMessage.Key k && k.pressed() && k.keysym() < 0x100) {
                s.append((char) k.keysym());
            }
        }
        return s.toString();
    }

    boolean gotAnyKey() {
        return received().stream().anyMatch(m -> m instanceof GuiMessage.Key);
    }

    private void readAll() {
        MessageReader in = new MessageReader(qubeEnd, Direction.DOM0_TO_QUBE);
        try {
            for (GuiMessage m = in.read(); m != null; m = in.read()) {
                received.add(m);
            }
        } catch (IOException | GuiProtocolException e) {
            // The daemon closed the stream: the test looks at what arrived before.
        }
    }

    @Override
    public void close() throws IOException {
        qubeEnd.close();
        dom0End.close();
    }
}
