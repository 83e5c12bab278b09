package dev.bulkhead.core.internal;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Path;
import java.util.Map;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicReference;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import dev.bulkhead.api.AdminException;
import dev.bulkhead.api.Label;
import dev.bulkhead.api.PowerState;
import dev.bulkhead.api.QubeClass;
import dev.bulkhead.api.QubeSpec;
import dev.bulkhead.testing.Await;

/**
 * A lifecycle change is recorded only once the backend has made it, and a caller that is interrupted
 * (a client that hung up) cannot cut the backend's work in half. The fake backend fails an
 * interrupted call as the real host commands do; the interruption test of the distribution is the
 * twin against the real one.
 */
class LifecycleInterruptionTest {
    @TempDir
    Path data;
    FakeBackend backend;
    QubeAdminService admin;

    @BeforeEach
    void boot() throws IOException {
        backend = new FakeBackend();
        admin = new QubeAdminService(data, QubeAdminServiceTest.config("auto"));
        admin.addBackend(backend);
        admin.create(new QubeSpec("work", QubeClass.AppVM, Label.RED, Map.of()));
    }

    @AfterEach
    void close() {
        admin.deactivate();
    }

    /** Runs the call on a thread of its own, interrupts it once the backend is at work, then lets the backend go on. */
    private Outcome interruptedDuring(String backendCall, Runnable call) throws InterruptedException {
        CountDownLatch gate = new CountDownLatch(1);
        backend.gate = gate;
        Outcome outcome = new Outcome();
        Thread caller = new Thread(() -> {
            try {
                call.run();
            } catch (RuntimeException e) {
                outcome.failure.set(e);
            }
            outcome.interruptKept.set(Thread.currentThread().isInterrupted());
        });
        caller.start();
        Await.until("the backend to be asked to " + backendCall, () -> backend.calls.contains(backendCall));
        caller.interrupt();
        gate.countDown();
        caller.join(10_000);
        assertTrue(!caller.isAlive(), "the call did not return");
        backend.gate = null;
        return outcome;
    }

    private static final class Outcome {
        final AtomicReference<RuntimeException> failure = new AtomicReference<>();
        final AtomicBoolean interruptKept = new AtomicBoolean();
    }

    @Test
    void aKillWhoseCallerIsInterruptedIsFinishedAndRecordedAsTheBackendDidIt() throws InterruptedException {
        admin.start("work");

        Outcome outcome = interruptedDuring("kill work", () -> admin.kill("work"));

        assertEquals(null, outcome.failure.get(), "the kill was cut off");
        assertEquals(PowerState.Halted, backend.state("work"), "the domain outlived its kill");
        assertEquals(PowerState.Halted, admin.get("work").state());
        assertTrue(outcome.interruptKept.get(), "the caller lost its interrupt");
        admin.start("work");
        assertEquals(PowerState.Running, admin.get("work").state());
    }

    @Test
    void aStartWhoseCallerIsInterruptedIsFinishedAndRecordedAsTheBackendDidIt() throws InterruptedException {
        Outcome outcome = interruptedDuring("start work", () -> admin.start("work"));

        assertEquals(null, outcome.failure.get(), "the start was cut off");
        assertEquals(PowerState.Running, backend.state("work"));
        assertEquals(PowerState.Running, admin.get("work").state());
        assertTrue(outcome.interruptKept.get(), "the caller lost its interrupt");
    }

    @Test
    void aKillTheBackendFailsLeavesTheQubeRunningAsTheBackendReports() {
        admin.start("work");
        backend.hostFailure = new AdminException("runc: cannot kill");

        assertThrows(AdminException.class, () -> admin.kill("work"));

        assertEquals(PowerState.Running, admin.get("work").state());
        backend.hostFailure = null;
        admin.kill("work");
        assertEquals(PowerState.Halted, admin.get("work").state());
        assertEquals(PowerState.Halted, backend.state("work"));
    }

    @Test
    void aShutdownTheBackendFailsLeavesTheQubeRunningAsTheBackendReports() {
        admin.start("work");
        backend.hostFailure = new AdminException("runc: cannot signal");

        assertThrows(AdminException.class, () -> admin.shutdown("work", false, true, null));

        assertEquals(PowerState.Running, admin.get("work").state());
    }

    @Test
    void aPauseTheBackendFailsLeavesTheQubeRunning() {
        admin.start("work");
        backend.hostFailure = new AdminException("runc: cannot freeze");

        assertThrows(AdminException.class, () -> admin.pause("work"));

        assertEquals(PowerState.Running, admin.get("work").state());
    }

    @Test
    void aRemoveTheBackendFailsKeepsTheQube() {
        admin.start("work");
        admin.kill("work");
        backend.hostFailure = new AdminException("cannot remove the files of domain 'work'");

        assertThrows(AdminException.class, () -> admin.remove("work"));

        assertTrue(admin.find("work").isPresent(), "the qube was forgotten while its domain stayed");
        backend.hostFailure = null;
        admin.remove("work");
        assertTrue(admin.find("work").isEmpty());
    }
}
