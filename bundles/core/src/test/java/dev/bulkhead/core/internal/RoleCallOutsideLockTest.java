package dev.bulkhead.core.internal;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.atomic.AtomicReference;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import dev.bulkhead.api.AdminException;
import dev.bulkhead.api.InvalidStateException;
import dev.bulkhead.api.Label;
import dev.bulkhead.api.PowerState;
import dev.bulkhead.api.QubeClass;
import dev.bulkhead.api.QubeSpec;
import dev.bulkhead.api.hypervisor.LinkEndpoint;
import dev.bulkhead.api.hypervisor.LinkSpec;
import dev.bulkhead.api.role.QubeRole;
import dev.bulkhead.api.role.RoleContext;
import dev.bulkhead.testing.Await;
import dev.bulkhead.testing.PassiveRole;

/**
 * While the role of a netvm takes a client on (a starting client, a running one it takes back when it
 * restarts, or one moved to it; a command inside the netvm, which a hung or hostile qube can hold for
 * as long as the command's bound), the core holds none of its locks: every other command goes on
 * meanwhile, and a kill of the netvm leaves the client without a link to it. The same holds while the
 * role forgets a client that is killed, shut down or moved away, whose link is down before that, and
 * which is shown as stopping (or being moved) meanwhile; and while the role of a service qube that is
 * killed, or stopped by itself, forgets its clients and is told it stopped, after the qube is recorded
 * Halted, its clients' links down first: a start of the qube waits for that, as for a shutdown.
 * The distribution's DeadServiceQubeIT is the twin against the real backend and a real command.
 */
class RoleCallOutsideLockTest {
    @TempDir
    Path data;
    FakeBackend backend;
    QubeAdminService admin;
    HoldingRole role;

    /** A network role whose client setup runs a command in its qube and then waits until released. */
    static final class HoldingRole implements QubeRole {
        final List<String> calls = new CopyOnWriteArrayList<>();
        volatile CountDownLatch entered = new CountDownLatch(1);
        volatile CountDownLatch release = new CountDownLatch(1);

        /** Makes the next client setup hold again until released. */
        void holdAgain() {
            entered = new CountDownLatch(1);
            release = new CountDownLatch(1);
        }

        @Override
        public String id() {
            return "holding";
        }

        @Override
        public String description() {
            return "holds its clients' setup";
        }

        @Override
        public boolean providesNetwork() {
            return true;
        }

        /** Whether setting its own qube up holds too, and then fails. */
        volatile boolean holdStarting;
        volatile boolean failStarting;

        @Override
        public void started(RoleContext context) {
            String name = context.qube().name();
            if (holdStarting) {
                calls.add("starting " + name);
                hold(context);
            }
            if (failStarting) {
                throw new AdminException("the uplink of " + name + " cannot be set up");
            }
            calls.add("started " + name);
        }

        /** Whether tearing its own qube down holds too. */
        volatile boolean holdStopping;

        @Override
        public void stopping(RoleContext context) {
            calls.add("stopping " + context.qube().name());
            if (holdStopping) {
                hold(context);
            }
        }

        /** Whether forgetting a client holds too, as taking one on always does. */
        volatile boolean holdDetaching;

        @Override
        public void clientAttached(RoleContext context, LinkEndpoint link) {
            calls.add("attaching " + link.link().client());
            hold(context);
            calls.add("attached " + link.link().client());
        }

        @Override
        public void clientDetached(RoleContext context, LinkEndpoint link) {
            if (holdDetaching) {
                calls.add("detaching " + link.link().client());
                hold(context);
            }
            calls.add("detached " + link.link().client());
        }

        /** Runs a command in the qube, then waits until released. */
        private void hold(RoleContext context) {
            context.exec(List.of("nft", "-f", "-"), new byte[0], java.time.Duration.ofSeconds(10));
            entered.countDown();
            try {
                release.await();
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new AdminException("interrupted", e);
            }
        }

        @Override
        public void clientChanged(RoleContext context, LinkEndpoint link) {
        }
    }

    @BeforeEach
    void boot() throws IOException {
        backend = new FakeBackend();
        admin = new QubeAdminService(data, QubeAdminServiceTest.config("auto"));
        admin.addBackend(backend);
        role = new HoldingRole();
        admin.addRole(role);
        create("sys-hold", Map.of("provides_network", "True"));
        admin.setFeature("sys-hold", "role", "holding");
        create("work", Map.of("netvm", "sys-hold"));
        create("plain", Map.of());
        create("other", Map.of());
        admin.start("sys-hold");
        admin.start("other");
    }

    @AfterEach
    void close() {
        role.release.countDown();
        admin.deactivate();
    }

    private void create(String name, Map<String, String> props) {
        admin.create(new QubeSpec(name, QubeClass.AppVM, Label.RED, props));
    }

    /** Starts work on a thread of its own and waits until its netvm's role holds its setup. */
    private Thread startWorkUntilHeld(AtomicReference<RuntimeException> failure) throws InterruptedException {
        return inBackgroundUntilHeld("the role of sys-hold to be setting work up", () -> admin.start("work"), failure);
    }

    /** Runs the call on a thread of its own, its failure kept in {@code failure}, until the role holds it. */
    private Thread inBackgroundUntilHeld(String holding, Runnable call, AtomicReference<RuntimeException> failure) throws InterruptedException {
        Thread t = new Thread(() -> {
            try {
                call.run();
            } catch (RuntimeException e) {
                failure.set(e);
            }
        });
        t.start();
        Await.until(holding, () -> role.entered.getCount() == 0);
        return t;
    }

    /** Runs the call on a thread of its own, its failure kept in {@code failure}. */
    private static Thread inBackground(Runnable call, AtomicReference<RuntimeException> failure) {
        Thread t = new Thread(() -> {
            try {
                call.run();
            } catch (RuntimeException e) {
                failure.set(e);
            }
        });
        t.start();
        return t;
    }

    /**
     * Waits until some thread of the core is in all the named methods ({@code Class.method}, a lambda
     * in a method counting as in it): the command's own thread only waits for the thread of its host
     * work, so its state tells nothing.
     */
    private static void awaitInside(String what, String... methods) {
        Await.until(what, () -> Thread.getAllStackTraces().values().stream()
                .anyMatch(stack -> Arrays.stream(methods).allMatch(m -> Arrays.stream(stack).anyMatch(f -> isIn(f, m)))));
    }

    private static boolean isIn(StackTraceElement frame, String classAndMethod) {
        int dot = classAndMethod.indexOf('.');
        String method = classAndMethod.substring(dot + 1);
        String className = frame.getClassName();
        return className.substring(className.lastIndexOf('.') + 1).equals(classAndMethod.substring(0, dot))
                && (frame.getMethodName().equals(method) || frame.getMethodName().startsWith("lambda$" + method + "$"));
    }

    /** Waits until a start waits for a stop under way, which it does only letting the lifecycle lock go. */
    private static void awaitStartWaitingForAStop(String what) {
        awaitInside(what, "QubeStops.awaitEnded", "Lifecycle.startShielded");
    }

    /** Lets the role go on, and waits for the held work to end. */
    private void releaseAndAwait(Thread held, String notEnded) throws InterruptedException {
        role.release.countDown();
        held.join(10_000);
        assertFalse(held.isAlive(), notEnded);
    }

    /** Commands on qubes that have nothing to do with the held one end meanwhile. */
    private void assertUnrelatedCommandsEndWhileHeld() throws InterruptedException {
        assertEndWhileHeld("list, a property change, start, kill, pause and unpause of unrelated qubes", () -> {
            admin.list();
            admin.setProperty("plain", "memory", "500");
            admin.start("plain");
            admin.kill("plain");
            admin.pause("other");
            admin.unpause("other");
        });
        assertEquals(PowerState.Halted, admin.get("plain").state());
    }

    /** Runs the commands on a thread of their own; says whether they ended while the role still held work's setup. */
    private void assertEndWhileHeld(String what, Runnable commands) throws InterruptedException {
        AtomicReference<Throwable> failure = new AtomicReference<>();
        Thread t = new Thread(() -> {
            try {
                commands.run();
            } catch (Throwable e) {
                failure.set(e);
            }
        });
        t.start();
        t.join(10_000);
        assertFalse(t.isAlive(), what + " did not end while the role of sys-hold held the setup of work");
        assertEquals(1, role.release.getCount(), "the setup was released before the commands ended");
        if (failure.get() != null) {
            throw new AssertionError(what + " failed", failure.get());
        }
    }

    @Test
    void otherCommandsGoOnWhileANetvmsRoleHoldsTheSetupOfAStartingClient() throws InterruptedException {
        AtomicReference<RuntimeException> failure = new AtomicReference<>();
        Thread starter = startWorkUntilHeld(failure);

        assertUnrelatedCommandsEndWhileHeld();
        assertEquals("500", admin.get("plain").properties().get("memory").value());
        assertFalse(role.calls.contains("attached work"), "work was taken on before it was released");
        assertEquals(PowerState.Transient, admin.get("work").state(), "work is not shown as starting");

        releaseAndAwait(starter, "the start of work did not end once released");
        assertEquals(null, failure.get());
        assertEquals(PowerState.Running, admin.get("work").state());
        assertEquals("sys-hold", backend.links.get("work").netvm());
    }

    @Test
    void aNetvmKilledWhileItsRoleSetsUpAStartingClientFailsThatStartClosed() throws InterruptedException {
        AtomicReference<RuntimeException> failure = new AtomicReference<>();
        Thread starter = startWorkUntilHeld(failure);

        assertEndWhileHeld("a kill of sys-hold", () -> admin.kill("sys-hold"));
        assertEquals(PowerState.Halted, admin.get("sys-hold").state());

        releaseAndAwait(starter, "the start of work did not end once released");
        assertInstanceOf(AdminException.class, failure.get(), "the start of work succeeded without its netvm");
        assertTrue(failure.get().getMessage().contains("sys-hold"), failure.get().getMessage());
        assertEquals(PowerState.Halted, admin.get("work").state());
        assertFalse(backend.domains.containsKey("work"), "work kept running after its start failed");
        assertFalse(backend.links.containsKey("work"), "work kept a link");
    }

    /** work runs behind sys-hold, then the core restarts with both still running and a new holding role arrives. */
    private void restartWithWorkBehindSysHold() throws IOException {
        role.release.countDown();
        admin.start("work");
        admin.deactivate();
        admin = new QubeAdminService(data, QubeAdminServiceTest.config("auto"));
        admin.addBackend(backend);
        role = new HoldingRole();
        admin.addRole(role);
        Await.until("the role to be taking work back on in sys-hold", () -> role.entered.getCount() == 0);
    }

    @Test
    void otherCommandsGoOnWhileANetvmsRoleHoldsItsTakeOver() throws Exception {
        restartWithWorkBehindSysHold();

        assertUnrelatedCommandsEndWhileHeld();

        role.release.countDown();
        Await.until("the role to have taken work back on", () -> role.calls.contains("attached work"));
        assertEquals(PowerState.Running, admin.get("sys-hold").state());
        assertEquals(PowerState.Running, admin.get("work").state());
        assertEquals("sys-hold", backend.links.get("work").netvm());
    }

    @Test
    void aNetvmKilledDuringItsTakeOverStaysHaltedAndItsClientUnlinked() throws Exception {
        restartWithWorkBehindSysHold();

        assertEndWhileHeld("a kill of sys-hold", () -> admin.kill("sys-hold"));

        role.release.countDown();
        Await.until("the take-over to end", () -> role.calls.contains("attached work"));
        assertEquals(PowerState.Halted, admin.get("sys-hold").state());
        assertFalse(backend.domains.containsKey("sys-hold"), "sys-hold runs again");
        assertFalse(backend.links.containsKey("work"), "work kept its link to a netvm that was killed");
        assertEquals(PowerState.Running, admin.get("work").state());
    }

    @Test
    void aStartingClientCannotBeKilledOrMovedUntilItsNetvmHasTakenItOn() throws InterruptedException {
        AtomicReference<RuntimeException> failure = new AtomicReference<>();
        Thread starter = startWorkUntilHeld(failure);

        assertEndWhileHeld("a kill and a netvm change of the starting client", () -> {
            InvalidStateException kill = assertThrows(InvalidStateException.class, () -> admin.kill("work"));
            assertTrue(kill.getMessage().contains("starting"), kill.getMessage());
            InvalidStateException move = assertThrows(InvalidStateException.class, () -> admin.setProperty("work", "netvm", ""));
            assertTrue(move.getMessage().contains("starting"), move.getMessage());
        });

        role.release.countDown();
        starter.join(10_000);
        assertEquals(null, failure.get());
        assertEquals("sys-hold", admin.get("work").properties().get("netvm").value());
        assertEquals(PowerState.Running, admin.get("work").state());
    }

    /** work runs behind sys-hold, sys-hold is killed, then starts again on a thread of its own until its role holds taking work back. */
    private Thread restartSysHoldUntilHeld(AtomicReference<RuntimeException> failure) throws InterruptedException {
        role.release.countDown();
        admin.start("work");
        admin.kill("sys-hold");
        assertFalse(backend.links.containsKey("work"), "work kept its link to a netvm that was killed");
        role.holdAgain();
        return inBackgroundUntilHeld("the role of sys-hold to be taking work back", () -> admin.start("sys-hold"), failure);
    }

    @Test
    void otherCommandsGoOnWhileARestartedNetvmsRoleTakesItsRunningClientBack() throws InterruptedException {
        AtomicReference<RuntimeException> failure = new AtomicReference<>();
        Thread starter = restartSysHoldUntilHeld(failure);

        assertUnrelatedCommandsEndWhileHeld();
        assertEquals(PowerState.Transient, admin.get("work").state(), "work is not shown as being taken back");
        assertEndWhileHeld("a kill and a netvm change of the client being taken back", () -> {
            assertThrows(InvalidStateException.class, () -> admin.kill("work"));
            assertThrows(InvalidStateException.class, () -> admin.setProperty("work", "netvm", ""));
        });

        releaseAndAwait(starter, "the start of sys-hold did not end once released");
        assertEquals(null, failure.get());
        assertEquals(PowerState.Running, admin.get("sys-hold").state());
        assertEquals(PowerState.Running, admin.get("work").state());
        assertEquals("sys-hold", backend.links.get("work").netvm());
        assertEquals("sys-hold", admin.get("work").properties().get("netvm").value());
    }

    @Test
    void aNetvmKilledWhileItsRoleTakesItsRunningClientBackFailsItsStartAndLeavesTheClientUnlinked() throws InterruptedException {
        AtomicReference<RuntimeException> failure = new AtomicReference<>();
        Thread starter = restartSysHoldUntilHeld(failure);

        assertEndWhileHeld("a kill of sys-hold", () -> admin.kill("sys-hold"));
        assertEquals(PowerState.Halted, admin.get("sys-hold").state());

        releaseAndAwait(starter, "the start of sys-hold did not end once released");
        assertInstanceOf(AdminException.class, failure.get(), "the start of sys-hold succeeded though it was killed");
        assertTrue(failure.get().getMessage().contains("sys-hold"), failure.get().getMessage());
        assertEquals(PowerState.Halted, admin.get("sys-hold").state());
        assertFalse(backend.domains.containsKey("sys-hold"), "sys-hold runs again");
        assertFalse(backend.links.containsKey("work"), "work is linked to a netvm that was killed");
        assertEquals(PowerState.Running, admin.get("work").state());
    }

    /** moving runs behind sys-plain (no role); its netvm is set to sys-hold on a thread of its own until that role holds taking it on. */
    private Thread moveToSysHoldUntilHeld(AtomicReference<RuntimeException> failure) throws InterruptedException {
        create("sys-plain", Map.of("provides_network", "True"));
        create("moving", Map.of("netvm", "sys-plain"));
        admin.start("moving");
        assertEquals("sys-plain", backend.links.get("moving").netvm());
        return inBackgroundUntilHeld("the role of sys-hold to be taking moving on", () -> admin.setProperty("moving", "netvm", "sys-hold"), failure);
    }

    @Test
    void otherCommandsGoOnWhileANetvmsRoleTakesOnARunningQubeMovedToIt() throws InterruptedException {
        AtomicReference<RuntimeException> failure = new AtomicReference<>();
        Thread mover = moveToSysHoldUntilHeld(failure);

        assertUnrelatedCommandsEndWhileHeld();
        assertEquals(PowerState.Transient, admin.get("moving").state(), "moving is not shown as being taken on");
        assertEndWhileHeld("a kill and another netvm change of the qube being moved", () -> {
            assertThrows(InvalidStateException.class, () -> admin.kill("moving"));
            assertThrows(InvalidStateException.class, () -> admin.setProperty("moving", "netvm", "sys-plain"));
        });

        releaseAndAwait(mover, "the move of moving did not end once released");
        assertEquals(null, failure.get());
        assertEquals(PowerState.Running, admin.get("moving").state());
        assertEquals("sys-hold", backend.links.get("moving").netvm());
        assertEquals("sys-hold", admin.get("moving").properties().get("netvm").value());
    }

    @Test
    void aNetvmKilledWhileItsRoleTakesOnAMovedQubeSendsThatQubeBackToItsPreviousNetvm() throws InterruptedException {
        AtomicReference<RuntimeException> failure = new AtomicReference<>();
        Thread mover = moveToSysHoldUntilHeld(failure);

        assertEndWhileHeld("a kill of sys-hold", () -> admin.kill("sys-hold"));

        releaseAndAwait(mover, "the move of moving did not end once released");
        assertInstanceOf(AdminException.class, failure.get(), "the move to a killed netvm succeeded");
        assertTrue(failure.get().getMessage().contains("moving"), failure.get().getMessage());
        assertEquals(PowerState.Halted, admin.get("sys-hold").state());
        assertEquals(PowerState.Running, admin.get("moving").state());
        assertEquals("sys-plain", admin.get("moving").properties().get("netvm").value());
        assertEquals("sys-plain", backend.links.get("moving").netvm());
    }

    @Test
    void aClientStartedTwiceWhileItsNetvmStartsIsStartedOnce() throws InterruptedException {
        create("late", Map.of("netvm", "sys-hold"));
        AtomicReference<RuntimeException> first = new AtomicReference<>();
        AtomicReference<RuntimeException> second = new AtomicReference<>();
        role.release.countDown();
        admin.start("work");
        admin.kill("sys-hold");
        role.holdAgain();
        Thread withNetvm = new Thread(() -> {
            try {
                admin.start("late");
            } catch (RuntimeException e) {
                first.set(e);
            }
        });
        withNetvm.start();
        Await.until("the role of sys-hold to be taking work back", () -> role.entered.getCount() == 0);
        Thread again = new Thread(() -> {
            try {
                admin.start("late");
            } catch (RuntimeException e) {
                second.set(e);
            }
        });
        again.start();
        Await.until("the second start to have begun", () -> admin.get("late").state() == PowerState.Transient);

        role.release.countDown();
        withNetvm.join(10_000);
        again.join(10_000);
        assertFalse(withNetvm.isAlive() || again.isAlive(), "a start of late did not end once released");
        assertEquals(null, second.get());
        assertInstanceOf(InvalidStateException.class, first.get(), "late was started a second time");
        assertEquals(PowerState.Running, admin.get("late").state());
        assertEquals("sys-hold", backend.links.get("late").netvm());
        assertEquals(PowerState.Running, admin.get("work").state());
    }

    /** work runs behind sys-hold; the command runs on a thread of its own until the role of sys-hold holds forgetting work. */
    private Thread stopWorkUntilHeld(String holding, Runnable command, AtomicReference<RuntimeException> failure) throws InterruptedException {
        role.release.countDown();
        admin.start("work");
        role.holdAgain();
        role.holdDetaching = true;
        return inBackgroundUntilHeld(holding, command, failure);
    }

    @Test
    void otherCommandsGoOnWhileANetvmsRoleForgetsAKilledClient() throws InterruptedException {
        create("sys-plain", Map.of("provides_network", "True"));
        admin.start("sys-plain");
        AtomicReference<RuntimeException> failure = new AtomicReference<>();
        Thread killer = stopWorkUntilHeld("the role of sys-hold to be forgetting work", () -> admin.kill("work"), failure);

        assertFalse(backend.links.containsKey("work"), "work kept its link while its netvm's role forgot it");
        assertEquals(PowerState.Halting, admin.get("work").state(), "work is not shown as stopping");
        assertUnrelatedCommandsEndWhileHeld();
        assertEndWhileHeld("a netvm change of the qube being killed", () -> admin.setProperty("work", "netvm", "sys-plain"));
        assertFalse(backend.links.containsKey("work"), "the qube being killed was linked to its new netvm");

        releaseAndAwait(killer, "the kill of work did not end once released");
        assertEquals(null, failure.get());
        assertEquals(PowerState.Halted, admin.get("work").state());
        assertFalse(backend.domains.containsKey("work"), "work runs after its kill");
        assertEquals(PowerState.Running, admin.get("sys-hold").state());
    }

    @Test
    void aStartOfAClientBeingKilledWaitsForTheKillAndLinksItToItsNetvmAsSetNow() throws InterruptedException {
        create("sys-plain", Map.of("provides_network", "True"));
        admin.start("sys-plain");
        AtomicReference<RuntimeException> failure = new AtomicReference<>();
        Thread killer = stopWorkUntilHeld("the role of sys-hold to be forgetting work", () -> admin.kill("work"), failure);
        admin.setProperty("work", "netvm", "sys-plain");
        AtomicReference<RuntimeException> restartFailure = new AtomicReference<>();
        Thread restarter = inBackground(() -> admin.start("work"), restartFailure);
        awaitStartWaitingForAStop("the start of work to wait for its kill");
        assertEquals(PowerState.Halting, admin.get("work").state(), "work is not shown as stopping");

        releaseAndAwait(killer, "the kill of work did not end once released");
        restarter.join(10_000);
        assertFalse(restarter.isAlive(), "the start of work did not end once its kill had");
        assertEquals(null, failure.get());
        assertEquals(null, restartFailure.get());
        assertTrue(backend.calls.indexOf("kill work") < backend.calls.lastIndexOf("start work"),
                "work was started again before its kill ended: " + backend.calls);
        assertEquals(PowerState.Running, admin.get("work").state());
        assertEquals("sys-plain", backend.links.get("work").netvm());
    }

    @Test
    void otherCommandsGoOnWhileANetvmsRoleForgetsAClientShuttingDown() throws InterruptedException {
        AtomicReference<RuntimeException> failure = new AtomicReference<>();
        Thread stopper = stopWorkUntilHeld("the role of sys-hold to be forgetting work",
                () -> admin.shutdown("work", false, true, null), failure);

        assertFalse(backend.links.containsKey("work"), "work kept its link while its netvm's role forgot it");
        assertEquals(PowerState.Halting, admin.get("work").state(), "work is not shown as stopping");
        assertUnrelatedCommandsEndWhileHeld();

        releaseAndAwait(stopper, "the shutdown of work did not end once released");
        assertEquals(null, failure.get());
        assertEquals(PowerState.Halted, admin.get("work").state());
        assertFalse(backend.domains.containsKey("work"), "work runs after its shutdown");
    }

    @Test
    void aClientKilledAgainWhileItsNetvmsRoleForgetsItIsStoppedOnce() throws InterruptedException {
        List<String> events = new CopyOnWriteArrayList<>();
        admin.addListener(e -> events.add(e.type() + " " + e.qube()));
        AtomicReference<RuntimeException> failure = new AtomicReference<>();
        Thread killer = stopWorkUntilHeld("the role of sys-hold to be forgetting work", () -> admin.kill("work"), failure);

        assertEndWhileHeld("a second kill of work", () -> admin.kill("work"));
        assertEquals(PowerState.Halted, admin.get("work").state());
        assertFalse(backend.domains.containsKey("work"), "work runs after the second kill");

        releaseAndAwait(killer, "the first kill of work did not end once released");
        assertEquals(null, failure.get());
        assertEquals(PowerState.Halted, admin.get("work").state());
        // events of one qube are told in order: once this later change of work is told, so is every stop of work before it
        admin.setFeature("work", "marker", "1");
        Await.until("the marker change of work to be told", () -> events.contains("domain-feature-set:marker work"));
        assertEquals(1, events.stream().filter("domain-shutdown work"::equals).count(), "the stop of work was told more or less than once: " + events);
    }

    @Test
    void otherCommandsGoOnWhileANetvmsRoleForgetsAClientMovedAway() throws InterruptedException {
        AtomicReference<RuntimeException> failure = new AtomicReference<>();
        Thread mover = stopWorkUntilHeld("the role of sys-hold to be forgetting work", () -> admin.setProperty("work", "netvm", ""), failure);

        assertFalse(backend.links.containsKey("work"), "work kept its link while its netvm's role forgot it");
        assertEquals(PowerState.Transient, admin.get("work").state(), "work is not shown as being moved");
        assertUnrelatedCommandsEndWhileHeld();
        assertEndWhileHeld("a kill and another netvm change of the qube being moved", () -> {
            assertThrows(InvalidStateException.class, () -> admin.kill("work"));
            assertThrows(InvalidStateException.class, () -> admin.setProperty("work", "netvm", "sys-hold"));
        });

        releaseAndAwait(mover, "the move of work did not end once released");
        assertEquals(null, failure.get());
        assertEquals(PowerState.Running, admin.get("work").state());
        assertEquals("", admin.get("work").properties().get("netvm").value());
        assertFalse(backend.links.containsKey("work"), "work has a link without a netvm");
    }

    @Test
    void aClientKilledWhileItsNetvmsRoleTakesAnotherOnIsForgottenAfterThat() throws InterruptedException {
        create("second", Map.of("netvm", "sys-hold"));
        role.release.countDown();
        admin.start("second");
        role.holdAgain();
        AtomicReference<RuntimeException> failure = new AtomicReference<>();
        Thread starter = startWorkUntilHeld(failure);
        AtomicReference<RuntimeException> killFailure = new AtomicReference<>();
        Thread killer = new Thread(() -> {
            try {
                admin.kill("second");
            } catch (RuntimeException e) {
                killFailure.set(e);
            }
        });
        killer.start();
        Await.until("the link of second to be down", () -> !backend.links.containsKey("second"));

        assertUnrelatedCommandsEndWhileHeld();

        releaseAndAwait(starter, "the start of work did not end once released");
        killer.join(10_000);
        assertFalse(killer.isAlive(), "the kill of second did not end once released");
        assertEquals(null, failure.get());
        assertEquals(null, killFailure.get());
        assertTrue(role.calls.indexOf("attached work") < role.calls.indexOf("detached second"),
                "the role of sys-hold forgot second while it took work on: " + role.calls);
        assertEquals(PowerState.Halted, admin.get("second").state());
        assertEquals(PowerState.Running, admin.get("work").state());
    }

    @Test
    void otherCommandsGoOnWhileANetvmsRoleForgetsAClientThatStoppedByItself() throws InterruptedException {
        List<String> events = new CopyOnWriteArrayList<>();
        admin.addListener(e -> events.add(e.type() + " " + e.qube()));
        AtomicReference<RuntimeException> failure = new AtomicReference<>();
        Thread watcher = stopWorkUntilHeld("the role of sys-hold to be forgetting work", () -> {
            backend.domains.remove("work");
            admin.syncStates();
        }, failure);

        assertFalse(backend.links.containsKey("work"), "work kept its link while its netvm's role forgot it");
        assertEquals(PowerState.Halting, admin.get("work").state(), "work is not shown as stopping");
        assertUnrelatedCommandsEndWhileHeld();

        releaseAndAwait(watcher, "the clean-up of work did not end once released");
        assertEquals(null, failure.get());
        assertEquals(PowerState.Halted, admin.get("work").state());
        assertEquals(PowerState.Running, admin.get("sys-hold").state());
        // events of one qube are told in order: once this later change of work is told, so is every stop of work before it
        admin.setFeature("work", "marker", "1");
        Await.until("the marker change of work to be told", () -> events.contains("domain-feature-set:marker work"));
        assertEquals(1, events.stream().filter("domain-shutdown work"::equals).count(), "the stop of work was told more or less than once: " + events);
    }

    @Test
    void aClientChangedWhileItsNetvmStartsForItIsStartedAsItIsNow() throws InterruptedException {
        create("late", Map.of("netvm", "sys-hold"));
        AtomicReference<RuntimeException> lateFailure = new AtomicReference<>();
        Thread lateStarter = restartSysHoldUntilHeld(lateFailure, "late");

        assertEndWhileHeld("a memory change of late", () -> admin.setProperty("late", "memory", "600"));
        releaseAndAwait(lateStarter, "the start of late did not end once released");
        assertEquals(null, lateFailure.get());
        assertEquals(600, backend.specs.get("late").memoryMiB(), "late was started with its settings from before the change");
        assertEquals("sys-hold", backend.links.get("late").netvm());
    }

    @Test
    void aClientRemovedWhileItsNetvmStartsForItIsNotStarted() throws InterruptedException {
        create("gone", Map.of("netvm", "sys-hold"));
        AtomicReference<RuntimeException> goneFailure = new AtomicReference<>();
        Thread goneStarter = restartSysHoldUntilHeld(goneFailure, "gone");
        assertEndWhileHeld("the removal of gone", () -> admin.remove("gone"));
        releaseAndAwait(goneStarter, "the start of gone did not end once released");
        assertInstanceOf(AdminException.class, goneFailure.get(), "a qube removed meanwhile was started");
        assertTrue(goneFailure.get().getMessage().contains("gone"), goneFailure.get().getMessage());
        assertFalse(backend.domains.containsKey("gone"), "a qube removed meanwhile runs");
        assertFalse(backend.links.containsKey("gone"), "a qube removed meanwhile is linked");
    }

    /** work runs behind sys-hold, sys-hold is halted; the client is started on a thread of its own until the role holds taking work back. */
    private Thread restartSysHoldUntilHeld(AtomicReference<RuntimeException> failure, String client) throws InterruptedException {
        role.release.countDown();
        if (!admin.get("work").state().isActive()) {
            admin.start("work");
        }
        admin.kill("sys-hold");
        role.holdAgain();
        return inBackgroundUntilHeld("the role of sys-hold to be taking work back", () -> admin.start(client), failure);
    }

    /** work is halted; sys-hold is killed and started again on a thread of its own until its role holds setting it up. */
    private Thread restartSysHoldHoldingItsSetup(AtomicReference<RuntimeException> failure) throws InterruptedException {
        admin.kill("sys-hold");
        role.holdStarting = true;
        return inBackgroundUntilHeld("the role of sys-hold to be setting it up", () -> admin.start("sys-hold"), failure);
    }

    /** Starts work on a thread of its own, its failure kept in {@code failure}. */
    private Thread startWorkInBackground(AtomicReference<RuntimeException> failure) {
        Thread t = new Thread(() -> {
            try {
                admin.start("work");
            } catch (RuntimeException e) {
                failure.set(e);
            }
        });
        t.start();
        return t;
    }

    @Test
    void otherCommandsGoOnWhileAServiceQubesRoleSetsItUp() throws InterruptedException {
        AtomicReference<RuntimeException> failure = new AtomicReference<>();
        Thread starter = restartSysHoldHoldingItsSetup(failure);

        assertUnrelatedCommandsEndWhileHeld();
        assertEquals(PowerState.Transient, admin.get("sys-hold").state(), "sys-hold is not shown as starting");

        releaseAndAwait(starter, "the start of sys-hold did not end once released");
        assertEquals(null, failure.get());
        assertEquals(PowerState.Running, admin.get("sys-hold").state());
        assertTrue(role.calls.contains("started sys-hold"), role.calls.toString());
    }

    @Test
    void aClientStartingWhileItsNetvmsRoleSetsItUpIsLinkedOnlyOnceThatEnds() throws InterruptedException {
        AtomicReference<RuntimeException> failure = new AtomicReference<>();
        Thread netvmStarter = restartSysHoldHoldingItsSetup(failure);
        AtomicReference<RuntimeException> workFailure = new AtomicReference<>();
        Thread workStarter = startWorkInBackground(workFailure);

        assertUnrelatedCommandsEndWhileHeld();
        assertFalse(backend.links.containsKey("work"), "work was linked to a netvm whose role had not set it up");
        assertFalse(admin.get("work").state() == PowerState.Running, "work runs before its netvm was set up");

        releaseAndAwait(netvmStarter, "the start of sys-hold did not end once released");
        workStarter.join(10_000);
        assertFalse(workStarter.isAlive(), "the start of work did not end once its netvm was set up");
        assertEquals(null, failure.get());
        assertEquals(null, workFailure.get());
        assertEquals(PowerState.Running, admin.get("work").state());
        assertEquals("sys-hold", backend.links.get("work").netvm());
        assertTrue(role.calls.indexOf("started sys-hold") < role.calls.indexOf("attaching work"),
                "the role of sys-hold took work on before it was set up: " + role.calls);
    }

    @Test
    void aServiceQubeKilledWhileItsRoleSetsItUpFailsItsStartAndStaysHalted() throws InterruptedException {
        AtomicReference<RuntimeException> failure = new AtomicReference<>();
        Thread starter = restartSysHoldHoldingItsSetup(failure);

        assertEndWhileHeld("a kill of sys-hold", () -> admin.kill("sys-hold"));
        assertEquals(PowerState.Halted, admin.get("sys-hold").state());
        assertFalse(backend.domains.containsKey("sys-hold"), "sys-hold runs after its kill");

        releaseAndAwait(starter, "the start of sys-hold did not end once released");
        assertInstanceOf(AdminException.class, failure.get(), "the start of sys-hold succeeded though it was killed");
        assertTrue(failure.get().getMessage().contains("killed"), failure.get().getMessage());
        assertEquals(PowerState.Halted, admin.get("sys-hold").state());
        assertFalse(backend.domains.containsKey("sys-hold"), "sys-hold runs again");
        admin.start("sys-hold");
        assertEquals(PowerState.Running, admin.get("sys-hold").state(), "sys-hold cannot start again after the kill");
    }

    @Test
    void aServiceQubeWhoseRoleFailsToSetItUpIsStoppedAndItsWaitingClientsStartFailsClosed() throws InterruptedException {
        role.failStarting = true;
        AtomicReference<RuntimeException> failure = new AtomicReference<>();
        Thread netvmStarter = restartSysHoldHoldingItsSetup(failure);
        AtomicReference<RuntimeException> workFailure = new AtomicReference<>();
        Thread workStarter = startWorkInBackground(workFailure);
        assertUnrelatedCommandsEndWhileHeld();

        releaseAndAwait(netvmStarter, "the start of sys-hold did not end once released");
        workStarter.join(10_000);
        assertFalse(workStarter.isAlive(), "the start of work did not end once its netvm failed");
        assertInstanceOf(AdminException.class, failure.get(), "the start of sys-hold succeeded though its role failed");
        assertTrue(failure.get().getMessage().contains("uplink"), failure.get().getMessage());
        assertEquals(PowerState.Halted, admin.get("sys-hold").state());
        assertFalse(backend.domains.containsKey("sys-hold"), "sys-hold runs though its role failed to set it up");
        assertInstanceOf(InvalidStateException.class, workFailure.get(), "work started without its netvm");
        assertTrue(workFailure.get().getMessage().contains("sys-hold"), workFailure.get().getMessage());
        assertEquals(PowerState.Halted, admin.get("work").state());
        assertFalse(backend.domains.containsKey("work"), "work runs without its netvm");
        assertFalse(backend.links.containsKey("work"), "work is linked to a netvm that failed to start");
    }

    /** Shuts sys-hold down on a thread of its own (its clients too, if forced) until its role holds that. */
    private Thread shutdownSysHoldUntilHeld(String holding, boolean force, AtomicReference<RuntimeException> failure)
            throws InterruptedException {
        return inBackgroundUntilHeld(holding, () -> admin.shutdown("sys-hold", force, true, null), failure);
    }

    @Test
    void otherCommandsGoOnWhileAServiceQubesRoleTearsItDown() throws InterruptedException {
        role.holdStopping = true;
        AtomicReference<RuntimeException> failure = new AtomicReference<>();
        Thread stopper = shutdownSysHoldUntilHeld("the role of sys-hold to be tearing it down", false, failure);

        assertEquals(PowerState.Halting, admin.get("sys-hold").state(), "sys-hold is not shown as stopping");
        assertUnrelatedCommandsEndWhileHeld();

        releaseAndAwait(stopper, "the shutdown of sys-hold did not end once released");
        assertEquals(null, failure.get());
        assertEquals(PowerState.Halted, admin.get("sys-hold").state());
        assertFalse(backend.domains.containsKey("sys-hold"), "sys-hold runs after its shutdown");
        assertEquals(1, role.calls.stream().filter("stopping sys-hold"::equals).count(), role.calls.toString());
    }

    @Test
    void otherCommandsGoOnWhileANetvmsRoleForgetsTheClientsOfItsShutdown() throws InterruptedException {
        AtomicReference<RuntimeException> failure = new AtomicReference<>();
        role.release.countDown();
        admin.start("work");
        role.holdAgain();
        role.holdDetaching = true;
        Thread stopper = shutdownSysHoldUntilHeld("the role of sys-hold to be forgetting work", true, failure);

        assertFalse(backend.links.containsKey("work"), "work kept its link while its stopping netvm's role forgot it");
        assertEquals(PowerState.Halting, admin.get("sys-hold").state(), "sys-hold is not shown as stopping");
        assertUnrelatedCommandsEndWhileHeld();

        releaseAndAwait(stopper, "the shutdown of sys-hold did not end once released");
        assertEquals(null, failure.get());
        assertEquals(PowerState.Halted, admin.get("sys-hold").state());
        assertEquals(PowerState.Running, admin.get("work").state());
        assertFalse(backend.links.containsKey("work"), "work is linked to a netvm that stopped");
        assertTrue(role.calls.indexOf("detached work") < role.calls.indexOf("stopping sys-hold"),
                "the role of sys-hold was torn down before it forgot its client: " + role.calls);
    }

    @Test
    void aServiceQubeKilledWhileItsRoleTearsItDownIsStoppedOnce() throws InterruptedException {
        List<String> events = new CopyOnWriteArrayList<>();
        admin.addListener(e -> events.add(e.type() + " " + e.qube()));
        role.holdStopping = true;
        AtomicReference<RuntimeException> failure = new AtomicReference<>();
        Thread stopper = shutdownSysHoldUntilHeld("the role of sys-hold to be tearing it down", false, failure);

        assertEndWhileHeld("a kill of sys-hold", () -> admin.kill("sys-hold"));
        assertEquals(PowerState.Halted, admin.get("sys-hold").state());
        assertFalse(backend.domains.containsKey("sys-hold"), "sys-hold runs after its kill");

        releaseAndAwait(stopper, "the shutdown of sys-hold did not end once released");
        assertEquals(null, failure.get());
        assertEquals(PowerState.Halted, admin.get("sys-hold").state());
        assertEquals(1, role.calls.stream().filter("stopping sys-hold"::equals).count(), "the role tore sys-hold down twice: " + role.calls);
        admin.setFeature("sys-hold", "marker", "1");
        Await.until("the marker change of sys-hold to be told", () -> events.contains("domain-feature-set:marker sys-hold"));
        assertEquals(1, events.stream().filter("domain-shutdown sys-hold"::equals).count(), "the stop of sys-hold was told more or less than once: " + events);
        admin.start("sys-hold");
        assertEquals(PowerState.Running, admin.get("sys-hold").state(), "sys-hold cannot start again after the kill");
    }

    /** The order of two calls the role of sys-hold heard, the later one looked for from the end. */
    private void assertHeardInOrder(String first, String then) {
        int a = role.calls.indexOf(first);
        int b = role.calls.lastIndexOf(then);
        assertTrue(a >= 0 && a < b, "the role of sys-hold did not hear '" + first + "' before '" + then + "': " + role.calls);
    }

    @Test
    void otherCommandsGoOnWhileTheRoleOfAKilledServiceQubeForgetsItsClientsAndItsStartWaitsForThat() throws InterruptedException {
        AtomicReference<RuntimeException> failure = new AtomicReference<>();
        Thread killer = stopWorkUntilHeld("the role of sys-hold to be forgetting work", () -> admin.kill("sys-hold"), failure);

        assertFalse(backend.links.containsKey("work"), "work kept its link to sys-hold while the role of sys-hold forgot it");
        int held = backend.calls.lastIndexOf("exec sys-hold nft -f -");
        assertTrue(backend.calls.indexOf("disconnect work sys-hold") < backend.calls.indexOf("kill sys-hold")
                && backend.calls.indexOf("kill sys-hold") < held, "the link of work did not go down first: " + backend.calls);
        assertEquals(PowerState.Halted, admin.get("sys-hold").state(), "sys-hold is not recorded stopped before its role hears of it");
        assertUnrelatedCommandsEndWhileHeld();
        AtomicReference<RuntimeException> restartFailure = new AtomicReference<>();
        Thread restarter = inBackground(() -> admin.start("sys-hold"), restartFailure);
        awaitStartWaitingForAStop("the start of sys-hold to wait for the role calls of its last life");
        assertFalse(backend.domains.containsKey("sys-hold"), "sys-hold started again while its role forgot the clients of its last life");

        releaseAndAwait(killer, "the kill of sys-hold did not end");
        restarter.join(10_000);
        assertFalse(restarter.isAlive(), "the start of sys-hold did not end once its role was told it stopped");
        assertEquals(null, failure.get());
        assertEquals(null, restartFailure.get());
        assertHeardInOrder("detached work", "stopping sys-hold");
        assertHeardInOrder("stopping sys-hold", "started sys-hold");
        assertEquals(1, role.calls.stream().filter("stopping sys-hold"::equals).count(), role.calls.toString());
        assertEquals(PowerState.Running, admin.get("sys-hold").state());
        assertEquals(PowerState.Running, admin.get("work").state());
        assertEquals("sys-hold", backend.links.get("work").netvm());
    }

    @Test
    void otherCommandsGoOnWhileTheRoleOfAServiceQubeThatStoppedByItselfForgetsItsClients() throws InterruptedException {
        List<String> events = new CopyOnWriteArrayList<>();
        admin.addListener(e -> events.add(e.type() + " " + e.qube()));
        AtomicReference<RuntimeException> failure = new AtomicReference<>();
        Thread watcher = stopWorkUntilHeld("the role of sys-hold to be forgetting work", () -> {
            backend.domains.remove("sys-hold");
            admin.syncStates();
        }, failure);

        assertFalse(backend.links.containsKey("work"), "work kept its link to a dead netvm while the role of sys-hold forgot it");
        assertEquals(PowerState.Halted, admin.get("sys-hold").state(), "sys-hold is not recorded stopped before its role hears of it");
        assertUnrelatedCommandsEndWhileHeld();

        releaseAndAwait(watcher, "the clean-up of sys-hold did not end");
        assertEquals(null, failure.get());
        Await.until("the role of sys-hold to be told it stopped", () -> role.calls.contains("stopping sys-hold"));
        assertHeardInOrder("detached work", "stopping sys-hold");
        assertEquals(PowerState.Running, admin.get("work").state());
        admin.setFeature("sys-hold", "marker", "1");
        Await.until("the marker change of sys-hold to be told", () -> events.contains("domain-feature-set:marker sys-hold"));
        assertEquals(1, events.stream().filter("domain-shutdown sys-hold"::equals).count(), "the stop of sys-hold was told more or less than once: " + events);
        admin.start("sys-hold");
        assertEquals("sys-hold", backend.links.get("work").netvm());
    }

    @Test
    void otherCommandsGoOnWhileTheRoleOfAServiceQubeItFailedToTakeBackForgetsItsClients() throws IOException, InterruptedException {
        role.release.countDown();
        admin.start("work");
        admin.deactivate();
        admin = new QubeAdminService(data, QubeAdminServiceTest.config("auto"));
        admin.addBackend(backend);
        role = new HoldingRole();
        role.failStarting = true;
        role.holdDetaching = true;
        admin.addRole(role);
        Await.until("the role of sys-hold to be forgetting work after it failed to take sys-hold back", () -> role.entered.getCount() == 0);

        assertFalse(backend.links.containsKey("work"), "work kept its link to a netvm its role failed to take back");
        assertEquals(PowerState.Halted, admin.get("sys-hold").state(), "sys-hold is not recorded stopped before its role hears of it");
        assertFalse(backend.domains.containsKey("sys-hold"), "sys-hold runs though its role failed to take it back");
        assertUnrelatedCommandsEndWhileHeld();

        role.release.countDown();
        Await.until("the role of sys-hold to be told it stopped", () -> role.calls.contains("stopping sys-hold"));
        assertHeardInOrder("detached work", "stopping sys-hold");
        assertEquals(PowerState.Running, admin.get("work").state());
    }

    @Test
    void aRoleThatLeavesStopsItsQubesWhileTheRoleOfTheirNetvmForgetsThemWithoutHoldingOtherCommands() throws InterruptedException {
        PassiveRole leaving = new PassiveRole("leaving", "a role that leaves", true);
        admin.addRole(leaving);
        create("sys-mid", Map.of("provides_network", "True", "netvm", "sys-hold"));
        admin.setFeature("sys-mid", "role", "leaving");
        role.release.countDown();
        admin.start("sys-mid");
        role.holdAgain();
        role.holdDetaching = true;
        AtomicReference<RuntimeException> failure = new AtomicReference<>();
        Thread remover = inBackgroundUntilHeld("the role of sys-hold to be forgetting sys-mid", () -> admin.removeRole(leaving), failure);

        assertFalse(backend.links.containsKey("sys-mid"), "sys-mid kept its link while the role of its netvm forgot it");
        assertUnrelatedCommandsEndWhileHeld();

        releaseAndAwait(remover, "the stop of the qubes of the role that left did not end");
        assertEquals(null, failure.get());
        assertEquals(PowerState.Halted, admin.get("sys-mid").state());
        assertFalse(backend.domains.containsKey("sys-mid"), "sys-mid runs after its role left");
    }

    @Test
    void aServiceQubeStartedWhileItsRoleTearsItDownStartsOnceItsShutdownHasEndedWithItsClientsLinked() throws InterruptedException {
        role.release.countDown();
        admin.start("work");
        role.holdAgain();
        role.holdStopping = true;
        AtomicReference<RuntimeException> failure = new AtomicReference<>();
        Thread stopper = shutdownSysHoldUntilHeld("the role of sys-hold to be tearing it down", true, failure);
        AtomicReference<RuntimeException> restartFailure = new AtomicReference<>();
        Thread restarter = inBackground(() -> admin.start("sys-hold"), restartFailure);
        awaitStartWaitingForAStop("the start of sys-hold to wait for its shutdown");
        assertEquals(PowerState.Halting, admin.get("sys-hold").state(), "sys-hold is not shown as stopping");
        assertUnrelatedCommandsEndWhileHeld();

        releaseAndAwait(stopper, "the shutdown of sys-hold did not end once released");
        restarter.join(10_000);
        assertFalse(restarter.isAlive(), "the start of sys-hold did not end once its shutdown had");
        assertEquals(null, failure.get());
        assertEquals(null, restartFailure.get());
        assertTrue(backend.calls.lastIndexOf("shutdown sys-hold") < backend.calls.lastIndexOf("start sys-hold"),
                "sys-hold was started before its shutdown ended: " + backend.calls);
        assertHeardInOrder("stopping sys-hold", "started sys-hold");
        assertEquals(PowerState.Running, admin.get("sys-hold").state());
        assertEquals(PowerState.Running, admin.get("work").state());
        assertEquals("sys-hold", backend.links.get("work").netvm());
    }

    @Test
    void aServiceQubeWhoseRoleFailsToSetItUpIsForgottenByTheRoleOfItsNetvm() {
        role.release.countDown();
        create("sys-mid", Map.of("provides_network", "True", "netvm", "sys-hold"));
        admin.setFeature("sys-mid", "role", "holding");
        role.failStarting = true;

        assertThrows(AdminException.class, () -> admin.start("sys-mid"));

        assertHeardInOrder("attached sys-mid", "detached sys-mid");
        assertFalse(backend.links.containsKey("sys-mid"), "sys-mid kept its link after its start failed");
        assertEquals(PowerState.Halted, admin.get("sys-mid").state());
    }

    @Test
    void aQubeMovedToANetvmThatIsStartingIsLinkedToItOnceThatStartHasEnded() throws InterruptedException {
        create("sys-plain", Map.of("provides_network", "True"));
        create("moving", Map.of("netvm", "sys-plain"));
        admin.start("moving");
        AtomicReference<RuntimeException> failure = new AtomicReference<>();
        Thread starter = restartSysHoldHoldingItsSetup(failure);
        AtomicReference<LinkSpec> linkOnReturn = new AtomicReference<>();
        AtomicReference<RuntimeException> moveFailure = new AtomicReference<>();
        Thread mover = inBackground(() -> {
            admin.setProperty("moving", "netvm", "sys-hold");
            linkOnReturn.set(backend.links.get("moving"));
        }, moveFailure);
        awaitInside("the move of moving to wait for the start of sys-hold", "ServiceQubeStarts.awaitEnded", "NetworkLinks.relink");
        assertUnrelatedCommandsEndWhileHeld();

        releaseAndAwait(starter, "the start of sys-hold did not end once released");
        mover.join(10_000);
        assertFalse(mover.isAlive(), "the move of moving did not end once sys-hold had started");
        assertEquals(null, failure.get());
        assertEquals(null, moveFailure.get());
        assertNotNull(linkOnReturn.get(), "the move of moving ended with moving linked to no netvm");
        assertEquals("sys-hold", linkOnReturn.get().netvm());
        assertEquals(PowerState.Running, admin.get("moving").state());
        assertEquals("sys-hold", backend.links.get("moving").netvm());
    }

    @Test
    void aQubeMovedToANetvmThatItsOwnNetvmTakesBackIsRefusedAndStaysOnItsNetvm() throws InterruptedException {
        create("sys-plain", Map.of("provides_network", "True"));
        create("moving", Map.of("netvm", "sys-plain"));
        create("sys-mid", Map.of("provides_network", "True", "netvm", "sys-hold"));
        role.release.countDown();
        admin.start("moving");
        admin.start("sys-mid");
        admin.kill("sys-hold");
        role.holdAgain();
        AtomicReference<RuntimeException> failure = new AtomicReference<>();
        Thread starter = inBackgroundUntilHeld("the role of sys-hold to be taking sys-mid back", () -> admin.start("sys-hold"), failure);
        assertEquals(PowerState.Transient, admin.get("sys-mid").state(), "sys-mid is not shown as being taken back");

        assertEndWhileHeld("a move to the netvm being taken back", () -> {
            AdminException refused = assertThrows(AdminException.class, () -> admin.setProperty("moving", "netvm", "sys-mid"));
            assertTrue(refused.getMessage().contains("sys-mid"), refused.getMessage());
        });
        assertEquals("sys-plain", admin.get("moving").properties().get("netvm").value());
        assertEquals("sys-plain", backend.links.get("moving").netvm());
        assertEquals(PowerState.Running, admin.get("moving").state());

        releaseAndAwait(starter, "the start of sys-hold did not end once released");
        assertEquals(null, failure.get());
        assertEquals(PowerState.Running, admin.get("sys-mid").state());
        assertEquals("sys-hold", backend.links.get("sys-mid").netvm());
    }
}
