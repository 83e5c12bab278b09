package dev.bulkhead.backend.lite.internal;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class HostProcessesTest {
    @TempDir
    Path proc;

    @Test
    void aGoneProcessHasExited() {
        assertTrue(new HostProcesses(proc).awaitExit(4242, Duration.ZERO));
    }

    @Test
    void aZombieHasExited() throws IOException {
        stat(4242, "Z", "777");

        assertTrue(new HostProcesses(proc).awaitExit(4242, Duration.ZERO));
    }

    @Test
    void aLiveProcessHasNotExitedByTheDeadline() throws IOException {
        stat(4242, "S", "777");

        assertFalse(new HostProcesses(proc).awaitExit(4242, Duration.ofMillis(50)));
    }

    @Test
    void aCommandNameWithSpacesAndParenthesesIsRead() throws IOException {
        Files.createDirectories(proc.resolve("4242"));
        Files.writeString(proc.resolve("4242/stat"), "4242 (a b) (c) S 1 " + "0 ".repeat(16) + "777 0\n");

        assertFalse(new HostProcesses(proc).awaitExit(4242, Duration.ofMillis(10)));
    }

    @Test
    void realProcessesThroughTheRealProc() throws IOException {
        HostProcesses host = new HostProcesses(Path.of("/proc"));
        Process sleeper = new ProcessBuilder("sleep", "0.2").start();

        assertFalse(host.awaitExit(ProcessHandle.current().pid(), Duration.ofMillis(20)));
        assertTrue(host.awaitExit(sleeper.pid(), Duration.ofSeconds(10)));
    }

    private void stat(long pid, String state, String startTime) throws IOException {
        Files.createDirectories(proc.resolve(Long.toString(pid)));
        Files.writeString(proc.resolve(pid + "/stat"), pid + " (sh) " + state + " 1 " + "0 ".repeat(16) + startTime + " 0 0\n");
    }
}
