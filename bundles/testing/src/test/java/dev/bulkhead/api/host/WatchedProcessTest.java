package dev.bulkhead.api.host;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Optional;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import dev.bulkhead.testing.Await;

/** Real processes through the real procfs. */
class WatchedProcessTest {
    private static final Duration LONG = Duration.ofSeconds(30);

    @TempDir
    Path temp;

    @Test
    void aLiveProcessIsWatchedUntilItExits() throws Exception {
        Process sleeper = new ProcessBuilder("sleep", "0.3").start();
        WatchedProcess watched = WatchedProcess.of(sleeper.pid()).orElseThrow();

        assertTrue(watched.isAlive());
        assertTrue(watched.awaitExit(LONG));
        assertFalse(watched.isAlive());
    }

    @Test
    void aProcessThatRunsOnHasNotExitedByTheDeadline() {
        WatchedProcess self = WatchedProcess.of(ProcessHandle.current().pid()).orElseThrow();

        assertFalse(self.awaitExit(Duration.ofMillis(20)));
    }

    @Test
    void aReusedPidIsNotTheProcessThatHadIt() {
        WatchedProcess self = WatchedProcess.of(ProcessHandle.current().pid()).orElseThrow();
        // the pid is live, but its process started at another time: the one recorded has gone
        WatchedProcess earlier = WatchedProcess.of(self.pid(), self.startedAt().minusSeconds(60));

        assertTrue(self.isAlive());
        assertFalse(earlier.isAlive());
        assertTrue(earlier.awaitExit(Duration.ZERO));
    }

    @Test
    void aReusedPidIsNeverKilled() throws Exception {
        Process sleeper = new ProcessBuilder("sleep", "300").start();
        try {
            WatchedProcess earlier = WatchedProcess.of(sleeper.pid(), WatchedProcess.of(sleeper.pid()).orElseThrow().startedAt()
                    .minusSeconds(60));

            earlier.kill();

            assertFalse(sleeper.waitFor(200, java.util.concurrent.TimeUnit.MILLISECONDS), "the new holder of the pid runs on");
        } finally {
            sleeper.destroyForcibly().waitFor();
        }
    }

    @Test
    void aZombieHasExited() throws Exception {
        // the shell's child exits at once; the shell becomes sleep, which never reaps it
        Process parent = new ProcessBuilder("sh", "-c", "true & exec sleep 300").start();
        try {
            ProcessHandle child = awaitChild(parent);
            WatchedProcess zombie = WatchedProcess.of(child.pid(), child.info().startInstant().orElseThrow());

            assertTrue(zombie.awaitExit(LONG));
            assertTrue(child.isAlive(), "the JVM's own handle still counts the zombie as alive");
            assertEquals(Optional.empty(), WatchedProcess.of(child.pid()));
        } finally {
            parent.destroyForcibly().waitFor();
        }
    }

    @Test
    void aCommandNameWithSpacesAndParenthesesIsRead() throws Exception {
        Path odd = temp.resolve("a b) (c");
        Files.copy(Path.of("/bin/sleep"), odd);
        odd.toFile().setExecutable(true);
        Process p = new ProcessBuilder(List.of(odd.toString(), "300")).start();
        try {
            WatchedProcess watched = WatchedProcess.of(p.pid()).orElseThrow();

            assertFalse(watched.awaitExit(Duration.ofMillis(20)));
            watched.kill();
            assertTrue(watched.awaitExit(LONG));
        } finally {
            p.destroyForcibly().waitFor();
        }
    }

    @Test
    void aGoneProcessCannotBeWatched() throws Exception {
        Process p = new ProcessBuilder("true").start();
        p.waitFor();

        assertEquals(Optional.empty(), WatchedProcess.of(p.pid()));
    }

    private static ProcessHandle awaitChild(Process parent) {
        Await.until("the shell to start a child", LONG, () -> startedChild(parent).isPresent());
        return startedChild(parent).orElseThrow();
    }

    private static Optional<ProcessHandle> startedChild(Process parent) {
        return parent.children().findFirst().filter(child -> child.info().startInstant().isPresent());
    }
}
