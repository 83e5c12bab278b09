package dev.bulkhead.backend.lite.internal;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.ByteChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import dev.bulkhead.api.ExecResult;
import dev.bulkhead.api.host.ProcessHostCommands;
import dev.bulkhead.api.InvalidStateException;
import dev.bulkhead.api.InvalidValueException;
import dev.bulkhead.api.QubeClass;
import dev.bulkhead.api.hypervisor.DomainChannel;
import dev.bulkhead.api.hypervisor.DomainSpec;
import dev.bulkhead.api.hypervisor.Leftover;
import dev.bulkhead.testing.SystemTest;

/**
 * Channels against real qubes on runc: a process in the qube (socat, copied into the built-in root with the
 * libraries it loads) connects to dom0's end. Needs root and the host's socat.
 */
@SystemTest
class LiteChannelsSystemTest {
    private static final String SOCAT = "/usr/bin/socat";
    private static final LiteSettings SETTINGS = new LiteSettings("runc", "/bin/busybox", Duration.ofSeconds(30),
            Duration.ofSeconds(10), List.of(SOCAT));
    private static final Duration TIMEOUT = Duration.ofSeconds(10);
    private static final String SERVICE = "qubes.Test";

    @TempDir
    Path temp;
    private Path data;
    private LiteBackend backend;
    private final List<String> started = new ArrayList<>();

    @BeforeAll
    static void requireSocat() {
        assertTrue(Files.isExecutable(Path.of(SOCAT)), SOCAT + " is needed in the test qubes: apt-get install socat");
    }

    @BeforeEach
    void createBackend() {
        data = temp.resolve("data");
        backend = new LiteBackend(data, SETTINGS, new ProcessHostCommands(), HostPaths.system());
    }

    @AfterEach
    void destroyEverythingStarted() {
        started.forEach(backend::destroy);
    }

    @Test
    void bytesFlowBothWaysBetweenDom0AndAProcessInTheQube() throws Exception {
        start("chan-a");
        try (DomainChannel channel = backend.openChannel("chan-a", SERVICE)) {
            assertEquals("/run/bulkhead/channels/" + SERVICE, channel.qubePath());
            CompletableFuture<ExecResult> agent = CompletableFuture.supplyAsync(() -> exec("chan-a",
                    "echo ping-from-qube | socat -t 10 - UNIX-CONNECT:" + channel.qubePath()));

            try (ByteChannel stream = channel.accept(TIMEOUT)) {
                assertEquals("ping-from-qube\n", readToEnd(stream));
                stream.write(ByteBuffer.wrap("pong-from-dom0\n".getBytes(StandardCharsets.UTF_8)));
            }

            ExecResult result = agent.get(TIMEOUT.toSeconds(), TimeUnit.SECONDS);
            assertEquals(0, result.exitStatus(), result.stderrText());
            assertEquals("pong-from-dom0\n", result.stdoutText());
        }
    }

    @Test
    void anotherQubeCannotSeeOrReachTheChannelAndTheOwnerCannotTamperWithIt() {
        start("chan-a");
        start("chan-b");
        try (DomainChannel channel = backend.openChannel("chan-a", SERVICE)) {
            Path hostDirectory = HostPaths.system().channelRoot().resolve(new InstanceLayout(data).netnsName("chan-a"));
            assertTrue(Files.exists(hostDirectory.resolve(SERVICE)), "dom0's socket is on the host");

            assertEquals(1, execStatus("chan-b", "test -e " + channel.qubePath()), "b sees a's socket");
            assertEquals("", exec("chan-b", "ls -A /run/bulkhead/channels").stdoutText(), "b's channel directory is empty");
            assertNotEquals(0, execStatus("chan-b", "echo x | socat -t 1 - UNIX-CONNECT:" + channel.qubePath()));
            assertEquals(1, execStatus("chan-b", "test -e " + hostDirectory), "b sees the host's channel directory");
            assertEquals(1, execStatus("chan-a", "test -e " + hostDirectory), "a sees the host's channel directory");

            ExecResult replace = exec("chan-a", "rm -f " + channel.qubePath() + "; ln -s /run/netns " + channel.qubePath());
            assertNotEquals(0, replace.exitStatus());
            assertTrue(replace.stderrText().contains("Read-only file system"), replace.stderrText());
            assertEquals(0, execStatus("chan-a", "test -S " + channel.qubePath()), "a's socket is still dom0's");
        }
    }

    @Test
    void stopRemovesTheChannelsAndTheirDirectory() {
        start("chan-a");
        DomainChannel channel = backend.openChannel("chan-a", SERVICE);
        Path hostDirectory = HostPaths.system().channelRoot().resolve(new InstanceLayout(data).netnsName("chan-a"));
        assertTrue(Files.isDirectory(hostDirectory));

        backend.shutdown("chan-a", Duration.ofSeconds(5));

        assertFalse(Files.exists(hostDirectory), "the channel directory outlived its qube");
        assertThrows(InvalidStateException.class, () -> channel.accept(Duration.ofMillis(10)));
        InvalidStateException halted = assertThrows(InvalidStateException.class, () -> backend.openChannel("chan-a", SERVICE));
        assertTrue(halted.getMessage().contains("not running"), halted.getMessage());
    }

    @Test
    void badServiceNamesAndASecondOpenAreRefusedAndChangeNothing() throws IOException {
        start("chan-a");
        Path hostDirectory = HostPaths.system().channelRoot().resolve(new InstanceLayout(data).netnsName("chan-a"));
        for (String bad : List.of("..", "../x", "a/b", "", "x".repeat(49))) {
            assertThrows(InvalidValueException.class, () -> backend.openChannel("chan-a", bad), bad);
        }
        try (var entries = Files.list(hostDirectory)) {
            assertEquals(List.of(), entries.toList());
        }
        try (DomainChannel first = backend.openChannel("chan-a", SERVICE)) {
            InvalidStateException twice = assertThrows(InvalidStateException.class, () -> backend.openChannel("chan-a", SERVICE));
            assertTrue(twice.getMessage().contains("open already"), twice.getMessage());
            for (Duration bad : new Duration[] { null, Duration.ZERO, Duration.ofSeconds(-1) }) {
                assertThrows(InvalidValueException.class, () -> first.accept(bad), String.valueOf(bad));
            }
            InvalidStateException none = assertThrows(InvalidStateException.class, () -> first.accept(Duration.ofMillis(50)));
            assertTrue(none.getMessage().contains("connected"), none.getMessage());
        }
        // a closed channel can be opened again
        backend.openChannel("chan-a", SERVICE).close();
    }

    @Test
    void takeOverRemovesTheChannelDirectoriesOfQubesThatAreNotRunning() throws IOException {
        start("chan-a");
        Path root = HostPaths.system().channelRoot();
        InstanceLayout layout = new InstanceLayout(data);
        Path ghost = Files.createDirectories(root.resolve(layout.netnsName("ghost")));
        Files.writeString(ghost.resolve("stale"), "left by a crash");
        Path otherInstance = Files.createDirectories(root.resolve(new InstanceLayout(temp.resolve("other")).netnsName("ghost")));
        try {
            List<Leftover> report = backend.reconcile(Set.of("chan-a"));

            assertTrue(report.stream().anyMatch(l -> l.kind().equals("channel directory") && l.item().equals(ghost.toString())
                    && l.isRemoved()), report.toString());
            assertFalse(Files.exists(ghost));
            assertTrue(Files.isDirectory(root.resolve(layout.netnsName("chan-a"))), "a running qube keeps its channels");
            assertTrue(Files.isDirectory(otherInstance), "another instance's directory is not this one's to remove");
        } finally {
            Files.deleteIfExists(otherInstance);
        }
    }

    private void start(String name) {
        started.add(name);
        backend.start(new DomainSpec(name, 7, QubeClass.AppVM, 64, 64, 1, "", false, List.of()));
    }

    private ExecResult exec(String name, String script) {
        return backend.exec(name, List.of("sh", "-c", script), new byte[0], TIMEOUT);
    }

    private int execStatus(String name, String script) {
        return exec(name, script).exitStatus();
    }

    private static String readToEnd(ByteChannel stream) throws IOException {
        ByteBuffer buffer = ByteBuffer.allocate(4096);
        while (stream.read(buffer) >= 0) {
            if (!buffer.hasRemaining()) {
                break;
            }
        }
        buffer.flip();
        return StandardCharsets.UTF_8.decode(buffer).toString();
    }
}
