package dev.bulkhead.backend.qemu.internal;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import dev.bulkhead.api.AdminException;
import dev.bulkhead.api.ExecResult;
import dev.bulkhead.api.InvalidStateException;
import dev.bulkhead.api.InvalidValueException;
import dev.bulkhead.api.PowerState;
import dev.bulkhead.api.QubeClass;
import dev.bulkhead.api.QubeStats;
import dev.bulkhead.api.host.ProcessHostCommands;
import dev.bulkhead.api.host.WatchedProcess;
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
import dev.bulkhead.testing.SystemTest;

/**
 * The backend against the real qemu-system-x86_64 under TCG, booting the guest image this build made: the twin of
 * the unit tests' fake QMP and guest agent. Each test boots as few guests as it can (a boot takes seconds under
 * TCG); every domain a test starts is destroyed afterwards, whether it passed or not.
 */
@SystemTest
class QemuBackendSystemTest {
    static final Duration EXEC_TIMEOUT = Duration.ofSeconds(20);
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

    /** One guest through its whole life: start, exec, pause, re-adoption by a new backend instance, shutdown, destroy. */
    @Test
    void aGuestRunsCommandsPausesIsAdoptedAgainAndShutsDown() throws java.io.IOException {
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
        backend.unpause("work");
        assertEquals(PowerState.Running, backend.state("work"));

        QubeStats stats = backend.stats("work").orElseThrow();
        assertTrue(stats.cpuNanos() > 0 && stats.memoryBytes() > 50L << 20, stats.toString());
        assertTrue(backend.consoleLog("work").contains("bulkhead-init: guest agent on"), backend.consoleLog("work"));

        // a new instance on the same data directory, as after a restart of the platform
        QemuBackend again = backendOn(data);
        assertEquals(List.of(new DomainStatus("work", PowerState.Running)), again.domains());
        assertEquals("work", ok(again.exec("work", List.of("hostname"), NO_INPUT, EXEC_TIMEOUT)).strip());

        long pid = qemuPid(data, "work");
        again.shutdown("work", Duration.ofSeconds(30));
        assertEquals(PowerState.Halted, again.state("work"));
        assertTrue(gone(pid), "QEMU " + pid + " still runs");
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

    @Test
    void badInputIsRefusedAndChangesNothing() {
        Path data = temp.resolve("data");
        QemuBackend backend = backendOn(data);
        for (String bad : List.of("../evil", "", "a/b", "x".repeat(32), "none")) {
            assertThrows(InvalidValueException.class, () -> backend.start(spec(bad, 200, 1, "", List.of())), bad);
            assertThrows(InvalidValueException.class, () -> backend.exec(bad, List.of("true"), NO_INPUT, EXEC_TIMEOUT), bad);
            assertThrows(InvalidValueException.class, () -> backend.destroy(bad), bad);
        }
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
        assertFalse(backend instanceof DomainLinking, "makes no links yet");
        assertFalse(backend instanceof DomainUplinking, "gives no uplinks yet");
        assertFalse(backend instanceof VolumeStoring, "has no volume operations yet");
        assertFalse(backend instanceof ExitNotifying, "tells of no exits: the core looks at its domains instead");
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
