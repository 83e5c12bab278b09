package dev.bulkhead.backend.qemu.internal;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.ByteChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import com.fasterxml.jackson.databind.JsonNode;

import dev.bulkhead.api.AdminException;
import dev.bulkhead.api.ExecResult;
import dev.bulkhead.api.InvalidStateException;
import dev.bulkhead.api.InvalidValueException;
import dev.bulkhead.api.PowerState;
import dev.bulkhead.api.QubeClass;
import dev.bulkhead.api.QubeStats;
import dev.bulkhead.api.host.HostCommand;
import dev.bulkhead.api.host.HostCommandResult;
import dev.bulkhead.api.host.ProcessHostCommands;
import dev.bulkhead.api.host.WatchedProcess;
import dev.bulkhead.api.hypervisor.DomainChannel;
import dev.bulkhead.api.hypervisor.DomainChannels;
import dev.bulkhead.api.hypervisor.DomainSpec;
import dev.bulkhead.api.hypervisor.DomainStatus;
import dev.bulkhead.api.hypervisor.DomainLinking;
import dev.bulkhead.api.hypervisor.DomainUplinking;
import dev.bulkhead.api.hypervisor.ExitNotifying;
import dev.bulkhead.api.hypervisor.HypervisorBackend;
import dev.bulkhead.api.hypervisor.LeftoverReconciling;
import dev.bulkhead.api.hypervisor.UsageCounting;
import dev.bulkhead.api.hypervisor.VolumeStoring;
import dev.bulkhead.api.hypervisor.VolumeSpec;
import dev.bulkhead.api.json.JsonMappers;
import dev.bulkhead.testing.SystemTest;

/**
 * The backend against the real qemu-system-x86_64 under TCG, booting the guest image this build made: the twin of
 * the unit tests' fake QMP and guest agent. Each test boots as few guests as it can (a boot takes seconds under
 * TCG); every domain a test starts is destroyed afterwards, whether it passed or not.
 */
@SystemTest
class QemuBackendSystemTest {
    static final Duration EXEC_TIMEOUT = Duration.ofSeconds(20);
    private static final String CHANNEL = "test.chan";
    private static final byte[] NO_INPUT = new byte[0];

    @TempDir
    Path temp;
    private final List<Started> started = new ArrayList<>();

    private record Started(QemuBackend backend, String name) {
    }

    @BeforeAll
    static void requireImage() {
        assertTrue(Files.isRegularFile(image().resolve("vmlinuz")) && Files.isRegularFile(image().resolve("initrd.img")),
                "the guest image is missing in " + image() + ": the build makes it (mvn generate-test-resources)");
    }

    static Path image() {
        return Path.of(System.getProperty("bulkhead.qemu.image", "target/guest-image")).toAbsolutePath();
    }

    static QemuSettings tcgSettings() {
        return new QemuSettings("qemu-system-x86_64", image(), QemuSettings.Accelerator.TCG, Duration.ofSeconds(90),
                Duration.ofSeconds(30), Duration.ofSeconds(20));
    }

    private QemuBackend backendOn(Path data) {
        return new QemuBackend(data, tcgSettings(), HostPaths.system(), new ProcessHostCommands());
    }

    private void start(QemuBackend backend, DomainSpec spec) {
        started.add(new Started(backend, spec.name()));
        backend.start(spec);
    }

    static DomainSpec spec(String name, int memory, int vcpus, String kernelopts, List<VolumeSpec> volumes) {
        return new DomainSpec(name, 7, QubeClass.AppVM, memory, memory, vcpus, kernelopts, false, volumes);
    }

    @AfterEach
    void destroyEverythingStarted() {
        AssertionError failure = null;
        for (Started s : started) {
            try {
                s.backend().destroy(s.name());
            } catch (RuntimeException e) {
                failure = failure == null ? new AssertionError("cleanup failed") : failure;
                failure.addSuppressed(e);
            }
        }
        if (failure != null) {
            throw failure;
        }
    }

    /**
     * One guest through its whole life: start, exec, pause, channels, re-adoption by a new backend instance (which
     * takes over the channel the earlier one left open), shutdown (which ends the channel's stream), destroy.
     */
    @Test
    void aGuestRunsCommandsPausesIsAdoptedAgainAndShutsDown() throws IOException {
        Path data = temp.resolve("data");
        QemuBackend backend = backendOn(data);
        long before = System.nanoTime();
        start(backend, spec("work", 200, 2, "bulkhead.test=kernelopts-reach-the-guest", List.of()));
        System.out.printf("qemu TCG: start to guest agent ready %d ms%n", (System.nanoTime() - before) / 1_000_000);
        assertEquals(PowerState.Running, backend.state("work"));
        assertThrows(InvalidStateException.class, () -> backend.start(spec("work", 200, 1, "", List.of())));
        long qemu = qemuPid(data, "work");
        String status = Files.readString(Path.of("/proc", Long.toString(qemu), "status"));
        assertTrue(status.contains("Seccomp:\t2"), "QEMU runs under its seccomp filter:\n" + status);
        long uid = QemuCommandLine.GUEST_UID_BASE + 7;
        assertTrue(status.contains("\nUid:\t" + uid + "\t" + uid + "\t" + uid + "\t" + uid + "\n")
                && status.contains("\nGid:\t" + uid + "\t" + uid + "\t" + uid + "\t" + uid + "\n")
                && status.contains("\nGroups:\t" + uid + " \n"), "QEMU runs as the qube's own user, with nothing to go back to root:\n" + status);
        String stat = Files.readString(Path.of("/proc", Long.toString(qemu), "stat"));
        assertEquals(Long.toString(qemu), stat.substring(stat.lastIndexOf(')') + 2).split(" ")[3],
                "QEMU leads a session of its own, apart from the platform's terminal");

        assertEquals("work", ok(backend.exec("work", List.of("hostname"), NO_INPUT, EXEC_TIMEOUT)).strip());
        assertEquals("from stdin\n", ok(backend.exec("work", List.of("cat"), "from stdin\n".getBytes(), EXEC_TIMEOUT)));
        ExecResult three = backend.exec("work", List.of("sh", "-c", "echo out; echo err >&2; exit 3"), NO_INPUT, EXEC_TIMEOUT);
        assertEquals(3, three.exitStatus());
        assertEquals("out\n", three.stdoutText());
        assertEquals("err\n", three.stderrText());
        assertTrue(ok(backend.exec("work", List.of("cat", "/proc/cmdline"), NO_INPUT, EXEC_TIMEOUT))
                .contains("bulkhead.test=kernelopts-reach-the-guest"));
        assertEquals("2", ok(backend.exec("work", List.of("nproc"), NO_INPUT, EXEC_TIMEOUT)).strip());
        long memTotalKiB = Long.parseLong(ok(backend.exec("work", List.of("sh", "-c", "grep MemTotal /proc/meminfo"), NO_INPUT,
                EXEC_TIMEOUT)).replaceAll("[^0-9]", ""));
        assertTrue(memTotalKiB > 140 * 1024 && memTotalKiB <= 200 * 1024, "MemTotal " + memTotalKiB + " kB of a 200 MiB guest");
        assertThrows(AdminException.class, () -> backend.exec("work", List.of("/no/such/program"), NO_INPUT, EXEC_TIMEOUT));

        AdminException slow = assertThrows(AdminException.class,
                () -> backend.exec("work", List.of("sleep", "600"), NO_INPUT, Duration.ofSeconds(1)));
        assertTrue(slow.getMessage().contains("did not finish within 1000 ms"), slow.getMessage());
        String processes = ok(backend.exec("work", List.of("ps", "-o", "args"), NO_INPUT, EXEC_TIMEOUT));
        assertFalse(processes.lines().anyMatch(l -> l.strip().equals("sleep 600")), "the timed-out sleep was killed: " + processes);

        backend.pause("work");
        assertEquals(PowerState.Paused, backend.state("work"));
        InvalidStateException paused = assertThrows(InvalidStateException.class,
                () -> backend.exec("work", List.of("true"), NO_INPUT, EXEC_TIMEOUT));
        assertTrue(paused.getMessage().contains("paused"), paused.getMessage());
        InvalidStateException pausedChannel = assertThrows(InvalidStateException.class, () -> backend.openChannel("work", CHANNEL));
        assertTrue(pausedChannel.getMessage().contains("it is paused"), pausedChannel.getMessage());
        backend.unpause("work");
        assertEquals(PowerState.Running, backend.state("work"));

        QubeStats stats = backend.stats("work").orElseThrow();
        assertTrue(stats.cpuNanos() > 0 && stats.memoryBytes() > 50L << 20, stats.toString());
        assertTrue(backend.consoleLog("work").contains("bulkhead-init: guest agent on"), backend.consoleLog("work"));

        ByteChannel earlierStream = channelCarriesBytesBothWaysToThisGuestOnly(backend, data);

        // a new instance on the same data directory, as after a restart of the platform
        QemuBackend again = backendOn(data);
        assertEquals(List.of(new DomainStatus("work", PowerState.Running)), again.domains());
        assertEquals("work", ok(again.exec("work", List.of("hostname"), NO_INPUT, EXEC_TIMEOUT)).strip());
        // the port the earlier instance left open is taken over: its stream ends, the new one carries bytes
        DomainChannel channel = again.openChannel("work", CHANNEL);
        assertEquals(-1, readOrEnd(earlierStream), "the earlier instance's stream ended");
        ByteChannel stream = channel.accept(EXEC_TIMEOUT);
        ok(again.exec("work", List.of("sh", "-c", "echo taken-over > " + channel.qubePath()), NO_INPUT, EXEC_TIMEOUT));
        assertEquals("taken-over\n", read(stream, 11));

        long pid = qemuPid(data, "work");
        again.shutdown("work", Duration.ofSeconds(30));
        assertEquals(PowerState.Halted, again.state("work"));
        assertTrue(gone(pid), "QEMU " + pid + " still runs");
        assertEquals(-1, readOrEnd(stream), "the stream ends when the qube stops");
        assertFalse(Files.exists(data.resolve("qemu/domains/work/channels")), "the channels' sockets went with the qube");
        assertThrows(InvalidStateException.class, () -> channel.accept(Duration.ofMillis(10)));
        InvalidStateException halted = assertThrows(InvalidStateException.class, () -> again.openChannel("work", CHANNEL));
        assertEquals("cannot open channel 'test.chan' of 'work': it is not running", halted.getMessage());
        assertEquals(List.of(), again.domains());
        assertThrows(InvalidStateException.class, () -> again.exec("work", List.of("true"), NO_INPUT, EXEC_TIMEOUT));

        again.destroy("work");
        assertFalse(Files.exists(data.resolve("qemu/domains/work")), "the domain's directory is gone");
    }

    /** A second guest with a private volume: what it writes there is there at its next start; kill ends it at once. */
    @Test
    void thePrivateVolumeKeepsItsContentAndKillEndsTheGuest() {
        Path data = temp.resolve("data");
        QemuBackend backend = backendOn(data);
        Path storage = temp.resolve("volumes/keeper/private");
        List<VolumeSpec> volumes = List.of(VolumeSpec.persistent(VolumeSpec.PRIVATE, storage, 64L << 20, 0),
                VolumeSpec.fresh(VolumeSpec.VOLATILE, temp.resolve("volumes/keeper/volatile"), 64L << 20));
        start(backend, spec("keeper", 200, 1, "", volumes));
        ok(backend.exec("keeper", List.of("sh", "-c", "echo kept > /rw/note && sync"), NO_INPUT, EXEC_TIMEOUT));
        backend.shutdown("keeper", Duration.ofSeconds(30));
        assertTrue(Files.isRegularFile(storage.resolve("private.img")));

        start(backend, spec("keeper", 200, 1, "", volumes));
        assertEquals("kept\n", ok(backend.exec("keeper", List.of("cat", "/rw/note"), NO_INPUT, EXEC_TIMEOUT)));
        assertEquals("/rw/home\n", ok(backend.exec("keeper", List.of("sh", "-c", "grep -o ' /home ' /proc/mounts >/dev/null && echo /rw/home"),
                NO_INPUT, EXEC_TIMEOUT)), "/home is the private volume's");
        assertFalse(backend.consoleLog("keeper").contains("cannot"), backend.consoleLog("keeper"));
        long pid = qemuPid(data, "keeper");
        backend.kill("keeper");
        assertEquals(PowerState.Halted, backend.state("keeper"));
        assertTrue(gone(pid), "QEMU " + pid + " still runs");
        assertTrue(backend.consoleLog("keeper").contains("bulkhead-init"), "the console log stays until destroy");
        backend.destroy("keeper");
        assertEquals("", backend.consoleLog("keeper"));
    }

    /**
     * A channel of the running guest {@code work} (qid 7): a port added over QMP, bytes both ways, one open per
     * service, a socket no other qube's QEMU can reach, a close that takes the port away, and a second accept that
     * connects the port anew. Returns the stream of a channel it leaves open.
     */
    private ByteChannel channelCarriesBytesBothWaysToThisGuestOnly(QemuBackend backend, Path data) throws IOException {
        long before = System.nanoTime();
        DomainChannel channel = backend.openChannel("work", CHANNEL);
        System.out.printf("qemu TCG: channel open (port added, seen in the guest) %d ms%n", (System.nanoTime() - before) / 1_000_000);
        assertEquals("/dev/virtio-ports/dev.bulkhead.test.chan", channel.qubePath());
        InvalidStateException twice = assertThrows(InvalidStateException.class, () -> backend.openChannel("work", CHANNEL));
        assertEquals("channel 'test.chan' of 'work' is open already", twice.getMessage());

        // written by the guest before dom0 took the stream: QEMU is connected from the start, nothing is lost
        ok(backend.exec("work", List.of("sh", "-c", "echo from-guest > " + channel.qubePath()), NO_INPUT, EXEC_TIMEOUT));
        ByteChannel stream = channel.accept(EXEC_TIMEOUT);
        assertEquals("from-guest\n", read(stream, 11));
        // written by dom0 before the guest opened the port: held until it reads
        stream.write(ByteBuffer.wrap("from-dom0\n".getBytes(StandardCharsets.UTF_8)));
        assertEquals("from-dom0\n", ok(backend.exec("work", List.of("head", "-n", "1", channel.qubePath()), NO_INPUT, EXEC_TIMEOUT)));

        Path directory = data.resolve("qemu/domains/work/channels");
        Path socket = directory.resolve(CHANNEL);
        long qemuUser = QemuCommandLine.GUEST_UID_BASE + 7;
        assertEquals("rwx--x---", PosixFilePermissions.toString(Files.getPosixFilePermissions(directory)));
        assertEquals(List.of(0, (int) qemuUser), List.of(Files.getAttribute(directory, "unix:uid"), Files.getAttribute(directory, "unix:gid")));
        assertEquals("rw-rw----", PosixFilePermissions.toString(Files.getPosixFilePermissions(socket)));
        assertEquals((int) qemuUser, Files.getAttribute(socket, "unix:gid"));
        String other = Long.toString(qemuUser + 1);
        HostCommandResult otherQemu = new ProcessHostCommands().run(HostCommand.of(EXEC_TIMEOUT, "setpriv", "--reuid=" + other,
                "--regid=" + other, "--clear-groups", "socat", "-u", "/dev/null", "UNIX-CONNECT:" + socket));
        assertTrue(otherQemu.exitStatus() != 0 && otherQemu.stderrText().contains("Permission denied"),
                "another qube's QEMU user reaches the socket: " + otherQemu.stderrText());

        channel.close();
        assertEquals(-1, readOrEnd(stream), "closing the channel ends its stream");
        assertFalse(Files.exists(socket), "the socket goes with the channel");
        assertEquals(1, backend.exec("work", List.of("test", "-e", channel.qubePath()), NO_INPUT, EXEC_TIMEOUT).exitStatus(),
                "the port goes from the guest");
        assertFalse(chardevs(data).contains(ChannelPorts.chardevId(CHANNEL)), "QEMU removed the chardev: " + chardevs(data));
        channel.close();

        DomainChannel reopened = backend.openChannel("work", CHANNEL);
        ByteChannel first = reopened.accept(EXEC_TIMEOUT);
        // the port is one stream: the next accept connects it anew, and the stream the first one gave ends
        ByteChannel next = reopened.accept(EXEC_TIMEOUT);
        assertEquals(-1, readOrEnd(first), "the earlier stream ended");
        ok(backend.exec("work", List.of("sh", "-c", "echo reopened > " + reopened.qubePath()), NO_INPUT, EXEC_TIMEOUT));
        assertEquals("reopened\n", read(next, 9));
        return next;
    }

    private static List<String> chardevs(Path data) {
        JsonNode all = new QmpClient(JsonMappers.create(), EXEC_TIMEOUT).execute(new DomainLayout(data).qmpSocket("work"), "query-chardev");
        List<String> labels = new ArrayList<>();
        all.forEach(c -> labels.add(c.path("label").asText()));
        return labels;
    }

    /** Reads exactly {@code bytes} bytes, failing at end of stream or after the exec timeout. */
    private static String read(ByteChannel stream, int bytes) {
        return assertTimeoutPreemptively(EXEC_TIMEOUT, () -> {
            ByteBuffer in = ByteBuffer.allocate(bytes);
            while (in.hasRemaining()) {
                assertTrue(stream.read(in) >= 0, "the stream ended after " + in.position() + " bytes");
            }
            return new String(in.array(), StandardCharsets.UTF_8);
        });
    }

    /** The next read's count: -1 at end of stream; fails when the stream stays open past the exec timeout. */
    private static int readOrEnd(ByteChannel stream) {
        return assertTimeoutPreemptively(EXEC_TIMEOUT, () -> stream.read(ByteBuffer.allocate(64)));
    }

    @Test
    void badInputIsRefusedAndChangesNothing() {
        Path data = temp.resolve("data");
        QemuBackend backend = backendOn(data);
        for (String bad : List.of("../evil", "", "a/b", "x".repeat(32), "none")) {
            assertThrows(InvalidValueException.class, () -> backend.start(spec(bad, 200, 1, "", List.of())), bad);
            assertThrows(InvalidValueException.class, () -> backend.exec(bad, List.of("true"), NO_INPUT, EXEC_TIMEOUT), bad);
            assertThrows(InvalidValueException.class, () -> backend.destroy(bad), bad);
            assertThrows(InvalidValueException.class, () -> backend.openChannel(bad, CHANNEL), bad);
        }
        for (String bad : List.of("", "../x", ".hidden", "a/b", "x".repeat(49), "sp ace")) {
            assertThrows(InvalidValueException.class, () -> backend.openChannel("idle", bad), bad);
        }
        assertEquals("cannot open channel 'test.chan' of 'idle': it is not running",
                assertThrows(InvalidStateException.class, () -> backend.openChannel("idle", CHANNEL)).getMessage());
        assertThrows(InvalidValueException.class, () -> backend.start(spec("tiny", 16, 1, "", List.of())));
        assertThrows(InvalidValueException.class, () -> backend.start(new DomainSpec("rooted", 7, QubeClass.AppVM, 200, 200, 1, "",
                false, List.of(VolumeSpec.snapshotOf(VolumeSpec.ROOT, temp.resolve("template-root"), 1L << 30)))));
        assertThrows(InvalidStateException.class, () -> backend.exec("idle", List.of("true"), NO_INPUT, EXEC_TIMEOUT));
        assertThrows(InvalidStateException.class, () -> backend.pause("idle"));
        assertEquals(PowerState.Halted, backend.state("idle"));
        assertFalse(Files.exists(data), "nothing was made on the host: " + data);
    }

    @Test
    void offersTheAbilitiesItHasAndNoOthers() {
        HypervisorBackend backend = backendOn(temp.resolve("data"));
        assertTrue(backend instanceof LeftoverReconciling, "finds what a crash left");
        assertTrue(backend instanceof UsageCounting, "counts CPU time and memory");
        assertTrue(backend instanceof DomainLinking, "links qubes to their netvm (QemuNetworkSystemTest)");
        assertTrue(backend instanceof DomainUplinking, "gives a netvm an uplink (QemuNetworkSystemTest)");
        assertTrue(backend instanceof VolumeStoring, "keeps, copies, grows and reverts private volumes (QemuVolumesSystemTest),"
                + " imports and copies templates' roots (QemuRootDisksTest)");
        assertFalse(backend instanceof ExitNotifying, "tells of no exits: the core looks at its domains instead");
        assertTrue(backend instanceof DomainChannels, "gives channels into its domains");
    }

    private static String ok(ExecResult r) {
        assertEquals(0, r.exitStatus(), "exit status; stderr: " + r.stderrText());
        return r.stdoutText();
    }

    /** Whether the process has ended: gone, or a zombie its parent has not reaped yet. */
    private static boolean gone(long pid) {
        try {
            String stat = Files.readString(Path.of("/proc", Long.toString(pid), "stat"));
            return stat.substring(stat.lastIndexOf(')') + 2).startsWith("Z");
        } catch (java.io.IOException e) {
            return true;
        }
    }

    private static long qemuPid(Path data, String name) {
        Optional<Long> pid = new QemuProcesses(Path.of("/proc")).running(new DomainLayout(data).pidFile(name)).map(WatchedProcess::pid);
        assertTrue(pid.isPresent(), "no QEMU runs for " + name);
        return pid.get();
    }
}
