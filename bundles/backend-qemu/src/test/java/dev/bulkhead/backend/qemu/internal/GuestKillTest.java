package dev.bulkhead.backend.qemu.internal;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;

import org.junit.jupiter.api.Test;

import dev.bulkhead.testing.Await;

/** The kill of a timed-out guest command, run here on the host's sh as the guest's sh runs it: the whole tree goes. */
class GuestKillTest {
    @Test
    void aCommandAndEveryProcessItStartedAreKilledNotOnlyTheShell() throws Exception {
        // dash and busybox alike keep the outer shell: "sh -c 'a & b; :'" runs a and b as its children, b's child below it
        Process command = new ProcessBuilder("sh", "-c", "sleep 600 & sh -c 'sleep 601; :' & echo started; wait; :").start();
        try {
            assertEquals("started", new String(command.getInputStream().readNBytes(7), StandardCharsets.US_ASCII));
            Await.until("the command's three descendants", Duration.ofSeconds(10), () -> command.descendants().count() == 3);
            List<ProcessHandle> tree = command.descendants().toList();

            Process kill = new ProcessBuilder(GuestKill.command(command.pid())).redirectErrorStream(true).start();
            assertTrue(kill.waitFor(10, TimeUnit.SECONDS));
            assertEquals(0, kill.exitValue(), new String(kill.getInputStream().readAllBytes(), StandardCharsets.UTF_8));

            assertTrue(command.waitFor(10, TimeUnit.SECONDS), "the command's shell was killed");
            for (ProcessHandle p : tree) {
                Await.until(p.pid() + " (" + p.info().commandLine().orElse("?") + ") to be killed", Duration.ofSeconds(10),
                        () -> !p.isAlive());
            }
        } finally {
            command.descendants().forEach(ProcessHandle::destroyForcibly);
            command.destroyForcibly();
        }
    }

    @Test
    void aCommandThatEndedMeanwhileIsNoFailure() throws Exception {
        Process gone = new ProcessBuilder("true").start();
        gone.waitFor();
        Process kill = new ProcessBuilder(GuestKill.command(gone.pid())).start();
        assertTrue(kill.waitFor(10, TimeUnit.SECONDS));
        assertEquals(0, kill.exitValue());
        assertFalse(gone.isAlive());
    }
}
