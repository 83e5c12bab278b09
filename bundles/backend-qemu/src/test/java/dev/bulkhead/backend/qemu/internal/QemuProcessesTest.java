package dev.bulkhead.backend.qemu.internal;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Optional;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import dev.bulkhead.api.host.WatchedProcess;

/** Real processes: a pid file is believed only while its process's command line names that pid file. */
class QemuProcessesTest {
    private final QemuProcesses processes = new QemuProcesses(Path.of("/proc"));

    @TempDir
    Path temp;

    @Test
    void aProcessNamingThePidFileIsFoundKilledAndGone() throws Exception {
        Path pidFile = temp.resolve("qemu.pid");
        // the shell keeps running (it does not exec the sleep) with "-pidfile <file>" among its arguments
        Process p = new ProcessBuilder("sh", "-c", "sleep 60; :", "-pidfile", pidFile.toString()).start();
        try {
            Files.writeString(pidFile, p.pid() + "\n");
            WatchedProcess qemu = processes.running(pidFile).orElseThrow();
            assertEquals(p.pid(), qemu.pid());
            assertTrue(processes.usage(p.pid()).orElseThrow()[1] > 0, "resident memory of a live process");

            assertFalse(qemu.awaitExit(Duration.ofMillis(50)), "it runs on");
            qemu.kill();
            assertTrue(qemu.awaitExit(Duration.ofSeconds(10)));
            assertEquals(Optional.empty(), processes.running(pidFile));
        } finally {
            p.destroyForcibly();
        }
    }

    @Test
    void aPidFileNamingAnotherProgramIsNotBelieved() throws Exception {
        Path pidFile = temp.resolve("qemu.pid");
        Files.writeString(pidFile, Long.toString(ProcessHandle.current().pid()));
        assertEquals(Optional.empty(), processes.running(pidFile), "a reused pid is not the domain's QEMU");
        Files.writeString(pidFile, "not a pid");
        assertEquals(Optional.empty(), processes.running(pidFile));
        assertEquals(Optional.empty(), processes.running(temp.resolve("none.pid")));
    }

    @Test
    void anEndedQemuIsAwaitedUntilItsLastThreadIsGoneNotJustItsMainThread() throws Exception {
        // procfs as a QEMU whose main thread is a zombie while an I/O thread still ends, holding its images' locks
        Path tasks = Files.createDirectories(temp.resolve("proc/4242/task"));
        Files.createDirectory(tasks.resolve("4242"));
        Path ioThread = Files.createDirectory(tasks.resolve("4250"));
        QemuProcesses fake = new QemuProcesses(temp.resolve("proc"));
        WatchedProcess qemu = WatchedProcess.of(4242, java.time.Instant.EPOCH);
        Thread ending = new Thread(() -> {
            try {
                Thread.sleep(200);
                Files.delete(ioThread);
            } catch (Exception e) {
                throw new AssertionError(e);
            }
        });
        ending.start();

        fake.awaitThreadsGone(qemu, Duration.ofSeconds(20));

        assertFalse(Files.exists(ioThread), "returned before its last thread was gone");
        ending.join();
        fake.awaitThreadsGone(WatchedProcess.of(4343, java.time.Instant.EPOCH), Duration.ofSeconds(20)); // reaped: at once
    }
}
