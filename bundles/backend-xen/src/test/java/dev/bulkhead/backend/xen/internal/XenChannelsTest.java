package dev.bulkhead.backend.xen.internal;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.ByteChannel;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import dev.bulkhead.api.InvalidStateException;
import dev.bulkhead.api.InvalidValueException;
import dev.bulkhead.api.hypervisor.DomainChannel;
import dev.bulkhead.backend.xen.internal.DomainXml.Channel;

/**
 * dom0's end of Xen PV channels, against a stand-in for QEMU in dom0: a unix socket listening where QEMU would, taking
 * one connection at a time and answering each line it reads, as the guest of the nested Xen test does.
 */
class XenChannelsTest {
    private static final Duration TIMEOUT = Duration.ofSeconds(10);

    @TempDir
    Path dir;

    private final Set<String> running = ConcurrentHashMap.newKeySet();
    private ServerSocketChannel qemu;

    @AfterEach
    void stopQemu() throws IOException {
        if (qemu != null) {
            qemu.close();
        }
    }

    private XenChannels channels(boolean local) {
        return new XenChannels(dir, List.of("gui", "qrexec"), local, local ? "xen:///system" : "xen+tcp://127.0.0.1:1/system",
                name -> name.intern(), running::contains);
    }

    /** Listens where QEMU listens for the channel of {@code domain} and {@code service}. */
    private void qemuListens(String domain, String service) throws IOException {
        qemu = ServerSocketChannel.open(StandardProtocolFamily.UNIX);
        qemu.bind(UnixDomainSocketAddress.of(dir.resolve(domain + "." + service)));
    }

    /** Takes the next connection and answers "guest: LINE" to the first line, then closes it (QEMU's end going). */
    private Thread qemuAnswersOneLine() {
        Thread t = new Thread(() -> {
            try (SocketChannel c = qemu.accept()) {
                StringBuilder line = new StringBuilder();
                ByteBuffer one = ByteBuffer.allocate(1);
                while (c.read(one.clear()) == 1 && one.get(0) != '\n') {
                    line.append((char) one.get(0));
                }
                c.write(ByteBuffer.wrap(("guest: " + line + "\n").getBytes(StandardCharsets.US_ASCII)));
            } catch (IOException e) {
                // the test's assertions tell
            }
        }, "fake-qemu");
        t.start();
        return t;
    }

    private static String readAll(ByteChannel stream) throws IOException {
        StringBuilder out = new StringBuilder();
        ByteBuffer buffer = ByteBuffer.allocate(256);
        while (stream.read(buffer.clear()) >= 0) {
            out.append(StandardCharsets.US_ASCII.decode(buffer.flip()));
        }
        return out.toString();
    }

    @Test
    void eachDomainIsDeclaredAChannelPerServiceOnItsOwnSocket() {
        assertEquals(List.of(new Channel("gui", dir.resolve("work.gui")), new Channel("qrexec", dir.resolve("work.qrexec"))),
                channels(true).declared("work"));
    }

    @Test
    void bytesGoToTheGuestAndItsAnswerComesBackUntilQemuEndsTheStream() throws Exception {
        running.add("work");
        qemuListens("work", "gui");
        Thread guest = qemuAnswersOneLine();

        try (DomainChannel channel = channels(true).open("work", "gui")) {
            assertEquals("/dev/xen-channels/dev.bulkhead.gui", channel.qubePath());
            ByteChannel stream = channel.accept(TIMEOUT);
            stream.write(ByteBuffer.wrap("hello\n".getBytes(StandardCharsets.US_ASCII)));

            assertEquals("guest: hello\n", readAll(stream), "the answer, then the end of the stream");
        }
        guest.join(TIMEOUT.toMillis());
    }

    @Test
    void aChannelOpenTwiceIsRefusedUntilItIsClosed() throws Exception {
        running.add("work");
        XenChannels channels = channels(true);
        DomainChannel first = channels.open("work", "gui");

        InvalidStateException e = assertThrows(InvalidStateException.class, () -> channels.open("work", "gui"));
        assertTrue(e.getMessage().contains("open already"), e.getMessage());
        channels.open("work", "qrexec").close();
        first.close();
        channels.open("work", "gui").close();
    }

    @Test
    void closingTheChannelEndsItsStream() throws Exception {
        running.add("work");
        qemuListens("work", "gui");
        DomainChannel channel = channels(true).open("work", "gui");
        ByteChannel stream = channel.accept(TIMEOUT);
        try (SocketChannel qemuSide = qemu.accept()) {
            channel.close();

            assertFalse(stream.isOpen());
            assertEquals(-1, qemuSide.read(ByteBuffer.allocate(16)), "QEMU sees the stream end");
            assertThrows(InvalidStateException.class, () -> channel.accept(TIMEOUT));
        }
    }

    @Test
    void theDomainsStopEndsItsChannels() throws Exception {
        running.add("work");
        qemuListens("work", "gui");
        XenChannels channels = channels(true);
        DomainChannel channel = channels.open("work", "gui");
        ByteChannel stream = channel.accept(TIMEOUT);

        running.remove("work");
        channels.release("work");

        assertFalse(stream.isOpen());
        assertThrows(InvalidStateException.class, () -> channel.accept(TIMEOUT));
        InvalidStateException e = assertThrows(InvalidStateException.class, () -> channels.open("work", "gui"));
        assertTrue(e.getMessage().contains("not running"), e.getMessage());
    }

    @Test
    void aSecondAcceptConnectsAnewAndEndsTheFirstStream() throws Exception {
        running.add("work");
        qemuListens("work", "gui");
        try (DomainChannel channel = channels(true).open("work", "gui")) {
            ByteChannel first = channel.accept(TIMEOUT);
            ByteChannel second = channel.accept(TIMEOUT);

            assertFalse(first.isOpen());
            assertTrue(second.isOpen());
        }
    }

    @Test
    void noSocketWithinTheTimeoutIsAnInvalidState() {
        running.add("work");
        try (DomainChannel channel = channels(true).open("work", "gui")) {
            InvalidStateException e = assertThrows(InvalidStateException.class, () -> channel.accept(Duration.ofMillis(100)));
            assertTrue(e.getMessage().contains("took no connection"), e.getMessage());
            assertThrows(InvalidValueException.class, () -> channel.accept(Duration.ZERO));
        }
    }

    @Test
    void badNamesAreRefusedBeforeAnythingElse() {
        XenChannels remote = channels(false);
        for (String service : List.of("", "..", ".x", "a/b", "a b", "a\nb", "x".repeat(10_240), "</name>")) {
            InvalidValueException e = assertThrows(InvalidValueException.class, () -> remote.open("work", service));
            assertEquals("service", e.subject());
            DomainXmlHostileTest.assertBounded(e);
        }
        for (String domain : List.of("", "../x", "work</name>", "x".repeat(10_240), "Domain-0")) {
            InvalidValueException e = assertThrows(InvalidValueException.class, () -> remote.open(domain, "gui"));
            assertEquals("domain", e.subject());
            DomainXmlHostileTest.assertBounded(e);
        }
        InvalidValueException undeclared = assertThrows(InvalidValueException.class, () -> remote.open("work", "other"));
        assertTrue(undeclared.getMessage().contains("[gui, qrexec]"), undeclared.getMessage());
        assertFalse(Files.exists(dir.resolve("work.gui")));
    }

    @Test
    void aRemoteDom0IsRefusedSayingWhy() {
        running.add("work");
        InvalidStateException e = assertThrows(InvalidStateException.class, () -> channels(false).open("work", "gui"));
        assertTrue(e.getMessage().contains("no virDomainOpenChannel"), e.getMessage());
        assertTrue(e.getMessage().contains("xen+tcp://127.0.0.1:1/system"), e.getMessage());
    }
}
