package dev.bulkhead.backend.qemu.internal;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.concurrent.TimeUnit;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import dev.bulkhead.api.host.ProcessHostCommands;
import dev.bulkhead.api.hypervisor.Leftover;

/**
 * Take-over of the qemu backend against real processes standing in for QEMU: each is found as QEMU is, by
 * the {@code -pidfile} its command line names (as in {@link QemuProcessesTest}).
 */
class QemuLeftoversTest {
    private static final Duration TIMEOUT = Duration.ofSeconds(10);

    @TempDir
    Path temp;
    private final List<Process> started = new ArrayList<>();

    @AfterEach
    void stopThem() {
        started.forEach(Process::destroyForcibly);
    }

    @Test
    void qemusAndRuntimeFilesOfNoKeptLiveDomainGoAndTheRestStays() throws Exception {
        Path data = temp.resolve("data");
        DomainLayout layout = new DomainLayout(data);
        QemuBackend backend = new QemuBackend(data, new QemuSettings("/bin/true", temp.resolve("image"), QemuSettings.Accelerator.TCG,
                TIMEOUT, TIMEOUT, TIMEOUT), HostPaths.system(), new ProcessHostCommands());
        Process kept = standIn(layout, "kept", true);
        Process unwanted = standIn(layout, "unwanted", true);
        // a crash after QEMU started and before its pid file was written
        Process unnamed = standIn(layout, "unnamed", false);
        // a crash mid-kill: QEMU gone, its pid file and sockets still there
        Path stale = Files.createDirectories(layout.directory("stale"));
        Files.writeString(layout.pidFile("stale"), "999999\n");
        Files.createFile(layout.qmpSocket("stale"));
        Files.createFile(Files.createDirectories(layout.channelDirectory("stale")).resolve("gui"));
        Files.createFile(Files.createDirectories(layout.channelDirectory("kept")).resolve("gui"));
        Files.writeString(layout.consoleLog("stale"), "booted\n");
        Process otherInstance = standIn(new DomainLayout(temp.resolve("other")), "kept", true);

        List<Leftover> report = backend.reconcile(Set.of("kept", "unnamed", "stale"));

        assertTrue(report.stream().allMatch(Leftover::isRemoved), report.toString());
        assertTrue(unwanted.waitFor(TIMEOUT.toSeconds(), TimeUnit.SECONDS), "the QEMU of a qube the platform does not run goes");
        assertTrue(unnamed.waitFor(TIMEOUT.toSeconds(), TimeUnit.SECONDS), "a QEMU its domain's pid file does not name goes");
        assertTrue(report.contains(Leftover.removed("QEMU process", Long.toString(unwanted.pid()), "the platform runs no qube 'unwanted'")),
                report.toString());
        assertTrue(report.contains(Leftover.removed("QEMU process", Long.toString(unnamed.pid()),
                "its pid file does not name it: domain 'unnamed' runs another")), report.toString());
        assertTrue(report.contains(Leftover.removed("runtime file", layout.pidFile("stale").toString(), "domain 'stale' has no live QEMU")),
                report.toString());
        assertTrue(report.contains(Leftover.removed("runtime file", layout.qmpSocket("stale").toString(), "domain 'stale' has no live QEMU")),
                report.toString());
        assertTrue(report.contains(Leftover.removed("channel directory", layout.channelDirectory("stale").toString(),
                "domain 'stale' has no live QEMU")), report.toString());
        assertFalse(Files.exists(layout.channelDirectory("stale")), "the sockets of a dead QEMU's channels go");
        assertTrue(Files.exists(layout.channelDirectory("kept").resolve("gui")), "a live QEMU's channels stay");
        assertFalse(Files.exists(layout.pidFile("unwanted")));
        assertTrue(Files.exists(layout.consoleLog("stale")), "console logs stay");
        assertTrue(Files.isDirectory(stale));
        assertTrue(kept.isAlive());
        assertTrue(Files.exists(layout.pidFile("kept")));
        assertTrue(otherInstance.isAlive(), "another instance's QEMU is not this one's");
        assertTrue(report.stream().noneMatch(l -> l.item().contains("/kept/") || l.item().equals(Long.toString(kept.pid()))), report.toString());

        assertEquals(List.of(), backend.reconcile(Set.of("kept", "unnamed", "stale")), "a second take-over finds nothing left");
    }

    /** A process whose command line names the domain's pid file, as QEMU's does; the pid file written or not. */
    private Process standIn(DomainLayout layout, String name, boolean writePidFile) throws IOException {
        Files.createDirectories(layout.directory(name));
        Path pidFile = layout.pidFile(name);
        Process p = new ProcessBuilder("sh", "-c", "sleep 60; :", "-pidfile", pidFile.toString()).start();
        started.add(p);
        if (writePidFile) {
            Files.writeString(pidFile, p.pid() + "\n");
            Files.createFile(layout.qmpSocket(name));
        }
        return p;
    }
}
