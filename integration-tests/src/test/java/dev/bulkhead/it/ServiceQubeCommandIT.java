package dev.bulkhead.it;

import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertTrue;

import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;

import org.junit.Test;
import org.osgi.framework.ServiceRegistration;

import dev.bulkhead.api.ExecResult;
import dev.bulkhead.api.Label;
import dev.bulkhead.api.PowerState;
import dev.bulkhead.api.QubeClass;
import dev.bulkhead.api.QubeSpec;
import dev.bulkhead.api.hypervisor.LinkEndpoint;
import dev.bulkhead.api.role.QubeRole;
import dev.bulkhead.api.role.RoleContext;

/**
 * A command that a netvm's role runs inside its qube to take a client on (a starting one, or a
 * running one it takes back when it restarts), to forget a client that is killed, or to set its own
 * qube up at its start, or that it runs when its qube was killed, can be held by a hung or hostile qube
 * up to its bound; meanwhile every other command of the platform goes on, the client runs only once
 * the role has taken it on, and a killed netvm starts again only once its role is done with its last life. The twin of the core's RoleCallOutsideLockTest,
 * on the real backend with a real command in a real qube.
 */
public class ServiceQubeCommandIT extends BulkheadTestSupport {
    private static final String RELEASE = "/tmp/release-clients";

    /** A network role whose client setup is a command in its qube that waits until the test lets it end. */
    private static final class HoldingNetRole implements QubeRole {
        final AtomicInteger entered = new AtomicInteger();
        final AtomicInteger returned = new AtomicInteger();
        final AtomicReference<ExecResult> result = new AtomicReference<>();
        /** Whether forgetting a client holds too, as taking one on always does. */
        volatile boolean holdDetaching;
        /** Whether setting its own qube up holds too. */
        volatile boolean holdStarting;
        /** The context of the last qube it set up: a starting qube runs no qvm-run, so the test releases it through this. */
        volatile RoleContext startedContext;
        /**
         * When set, being told a qube stopped holds, by a command in this other qube: a killed qube runs
         * no command any more, so what its role does afterwards is held in a qube that runs.
         */
        volatile RoleContext stoppingHeldIn;

        @Override
        public String id() {
            return "holding-net";
        }

        @Override
        public String description() {
            return "holds the setup of its clients until released";
        }

        @Override
        public boolean providesNetwork() {
            return true;
        }

        @Override
        public void started(RoleContext context) {
            startedContext = context;
            if (holdStarting) {
                hold(context);
            }
        }

        @Override
        public void stopping(RoleContext context) {
            RoleContext heldIn = stoppingHeldIn;
            if (heldIn != null) {
                hold(heldIn);
            }
        }

        @Override
        public void clientAttached(RoleContext context, LinkEndpoint link) {
            hold(context);
        }

        @Override
        public void clientDetached(RoleContext context, LinkEndpoint link) {
            if (holdDetaching) {
                hold(context);
            }
        }

        private void hold(RoleContext context) {
            entered.incrementAndGet();
            try {
                result.set(context.exec(List.of("sh", "-c", "until [ -e " + RELEASE + " ]; do sleep 0.1; done"), new byte[0],
                        Duration.ofMinutes(2)));
            } finally {
                returned.incrementAndGet();
            }
        }

        @Override
        public void clientChanged(RoleContext context, LinkEndpoint link) {
        }
    }

    /** The holding role's registration: each test ends it in its finally. */
    private ServiceRegistration<QubeRole> registration;

    /**
     * Registers the holding role, then makes sys-hold (its netvm qube), work (its client) and plain (a qube
     * that has nothing to do with either).
     */
    private void createHoldingNetvmAndQubes(HoldingNetRole holding) {
        registration = context.registerService(QubeRole.class, holding, null);
        awaitTrue("the holding role to be known", QUBE_TIMEOUT,
                () -> admin().roles().stream().anyMatch(r -> r.id().equals("holding-net")), () -> admin().roles().toString());
        admin().create(new QubeSpec("sys-hold", QubeClass.AppVM, Label.RED, Map.of("provides_network", "True")));
        admin().setFeature("sys-hold", "role", "holding-net");
        admin().create(new QubeSpec("work", QubeClass.AppVM, Label.BLUE, Map.of("netvm", "sys-hold")));
        admin().create(new QubeSpec("plain", QubeClass.AppVM, Label.GRAY, Map.of()));
    }

    /** Starts sys-hold and work with the role's command let through, then makes the role's next command hold again. */
    private void startSysHoldWithWorkTakenOn() {
        admin().start("sys-hold");
        runOk("sys-hold", "touch", RELEASE);
        admin().start("work");
        runOk("sys-hold", "rm", RELEASE);
    }

    /** A command of the platform in a thread of its own, whose failure the test reads afterwards. */
    private static Thread inBackground(Runnable command, AtomicReference<RuntimeException> failure) {
        Thread thread = new Thread(() -> {
            try {
                command.run();
            } catch (RuntimeException e) {
                failure.set(e);
            }
        });
        thread.start();
        return thread;
    }

    /** Lets the held command in sys-hold end; the command of the platform waiting on it then ends without a failure. */
    private void releaseAndAwait(Thread command, AtomicReference<RuntimeException> failure, String what) throws InterruptedException {
        runOk("sys-hold", "touch", RELEASE);
        command.join(QUBE_TIMEOUT.toMillis());
        assertTrue(what + " did not end once released", !command.isAlive());
        assertEquals(null, failure.get());
    }

    /** After a failed test: lets a command still held end, and takes the holding role away. */
    private void releaseIfHeld(Thread command) throws InterruptedException {
        if (command != null && command.isAlive()) {
            run("sys-hold", "touch", RELEASE);
            command.join(QUBE_TIMEOUT.toMillis());
        }
        unregisterHoldingRole();
    }

    private void unregisterHoldingRole() {
        if (registration != null) {
            registration.unregister();
        }
    }

    /** Commands on a qube that has nothing to do with the held one: they end, and do what they say. */
    private void runUnrelatedCommands() {
        admin().list();
        admin().setProperty("plain", "label", "green");
        admin().start("plain");
        admin().pause("plain");
        admin().unpause("plain");
        admin().kill("plain");
        assertEquals("green", admin().get("plain").properties().get("label").value());
        assertEquals(PowerState.Halted, admin().get("plain").state());
    }

    @Test
    public void otherCommandsGoOnWhileANetvmsCommandHoldsTheStartOfItsClient() throws Exception {
        HoldingNetRole holding = new HoldingNetRole();
        Thread starter = null;
        AtomicReference<RuntimeException> startFailure = new AtomicReference<>();
        try {
            createHoldingNetvmAndQubes(holding);
            admin().start("sys-hold");
            starter = inBackground(() -> admin().start("work"), startFailure);
            awaitTrue("the start of work to reach the role of sys-hold", QUBE_TIMEOUT, () -> holding.entered.get() == 1,
                    () -> admin().get("work").state().toString());

            runUnrelatedCommands();

            assertEquals("the command in sys-hold ended before it was released", 0, holding.returned.get());
            assertEquals("work runs before its netvm's role has taken it on", PowerState.Transient, admin().get("work").state());

            releaseAndAwait(starter, startFailure, "the start of work");
            assertEquals(0, holding.result.get().exitStatus());
            assertEquals(PowerState.Running, admin().get("work").state());
        } finally {
            releaseIfHeld(starter);
        }
    }

    @Test
    public void otherCommandsGoOnWhileANetvmsCommandHoldsItsTakeOver() throws Exception {
        HoldingNetRole holding = new HoldingNetRole();
        try {
            createHoldingNetvmAndQubes(holding);
            startSysHoldWithWorkTakenOn();

            restartBundles(CORE);
            awaitLiteBackend();
            awaitTrue("the take-over of sys-hold to reach its role", QUBE_TIMEOUT, () -> holding.entered.get() == 2,
                    () -> admin().get("sys-hold").state().toString());

            runUnrelatedCommands();

            assertEquals("the command of the take-over ended before it was released", 1, holding.returned.get());

            runOk("sys-hold", "touch", RELEASE);
            awaitTrue("the take-over to end once released", QUBE_TIMEOUT, () -> holding.returned.get() == 2,
                    () -> admin().get("sys-hold").state().toString());
            assertEquals(0, holding.result.get().exitStatus());
            assertEquals(PowerState.Running, admin().get("sys-hold").state());
            assertEquals(PowerState.Running, admin().get("work").state());
        } finally {
            if (holding.entered.get() > holding.returned.get()) {
                run("sys-hold", "touch", RELEASE);
            }
            unregisterHoldingRole();
        }
    }

    @Test
    public void otherCommandsGoOnWhileARestartedNetvmsCommandHoldsTakingItsRunningClientBack() throws Exception {
        HoldingNetRole holding = new HoldingNetRole();
        Thread starter = null;
        AtomicReference<RuntimeException> startFailure = new AtomicReference<>();
        try {
            createHoldingNetvmAndQubes(holding);
            startSysHoldWithWorkTakenOn();
            admin().kill("sys-hold");

            starter = inBackground(() -> admin().start("sys-hold"), startFailure);
            awaitTrue("the restart of sys-hold to reach its role for work", QUBE_TIMEOUT, () -> holding.entered.get() == 2,
                    () -> admin().get("sys-hold").state().toString());

            runUnrelatedCommands();

            assertEquals("the command in sys-hold ended before it was released", 1, holding.returned.get());
            assertEquals("work is not shown as being taken back", PowerState.Transient, admin().get("work").state());

            releaseAndAwait(starter, startFailure, "the start of sys-hold");
            assertEquals(0, holding.result.get().exitStatus());
            assertEquals(PowerState.Running, admin().get("sys-hold").state());
            assertEquals(PowerState.Running, admin().get("work").state());
        } finally {
            releaseIfHeld(starter);
        }
    }

    @Test
    public void otherCommandsGoOnWhileANetvmsCommandHoldsForgettingAKilledClient() throws Exception {
        HoldingNetRole holding = new HoldingNetRole();
        Thread killer = null;
        AtomicReference<RuntimeException> killFailure = new AtomicReference<>();
        try {
            createHoldingNetvmAndQubes(holding);
            startSysHoldWithWorkTakenOn();
            holding.holdDetaching = true;

            killer = inBackground(() -> admin().kill("work"), killFailure);
            awaitTrue("the kill of work to reach the role of sys-hold", QUBE_TIMEOUT, () -> holding.entered.get() == 2,
                    () -> admin().get("work").state().toString());

            runUnrelatedCommands();

            assertEquals("the command in sys-hold ended before it was released", 1, holding.returned.get());
            assertEquals("work is not shown as stopping", PowerState.Halting, admin().get("work").state());

            releaseAndAwait(killer, killFailure, "the kill of work");
            assertEquals(0, holding.result.get().exitStatus());
            assertEquals(PowerState.Halted, admin().get("work").state());
            assertEquals(PowerState.Running, admin().get("sys-hold").state());
        } finally {
            releaseIfHeld(killer);
        }
    }

    @Test
    public void otherCommandsGoOnWhileAServiceQubesCommandHoldsItsOwnSetup() throws Exception {
        HoldingNetRole holding = new HoldingNetRole();
        holding.holdStarting = true;
        Thread starter = null;
        Thread clientStarter = null;
        AtomicReference<RuntimeException> startFailure = new AtomicReference<>();
        AtomicReference<RuntimeException> clientFailure = new AtomicReference<>();
        try {
            createHoldingNetvmAndQubes(holding);
            starter = inBackground(() -> admin().start("sys-hold"), startFailure);
            awaitTrue("the start of sys-hold to reach its role", QUBE_TIMEOUT, () -> holding.entered.get() == 1,
                    () -> admin().get("sys-hold").state().toString());
            clientStarter = inBackground(() -> admin().start("work"), clientFailure);

            runUnrelatedCommands();

            assertEquals("the command in sys-hold ended before it was released", 0, holding.returned.get());
            assertEquals("sys-hold is not shown as starting", PowerState.Transient, admin().get("sys-hold").state());
            assertTrue("work runs before its netvm's role has set the netvm up", admin().get("work").state() != PowerState.Running);

            holding.startedContext.exec(List.of("touch", RELEASE), new byte[0], RUN_TIMEOUT);
            starter.join(QUBE_TIMEOUT.toMillis());
            clientStarter.join(QUBE_TIMEOUT.toMillis());
            assertTrue("the start of sys-hold did not end once released", !starter.isAlive());
            assertTrue("the start of work did not end once its netvm was set up", !clientStarter.isAlive());
            assertEquals(null, startFailure.get());
            assertEquals(null, clientFailure.get());
            assertEquals(0, holding.result.get().exitStatus());
            assertEquals(PowerState.Running, admin().get("sys-hold").state());
            assertEquals(PowerState.Running, admin().get("work").state());
        } finally {
            if (holding.startedContext != null && holding.entered.get() > holding.returned.get()) {
                holding.startedContext.exec(List.of("touch", RELEASE), new byte[0], RUN_TIMEOUT);
                starter.join(QUBE_TIMEOUT.toMillis());
            }
            if (clientStarter != null) {
                clientStarter.join(QUBE_TIMEOUT.toMillis());
            }
            unregisterHoldingRole();
        }
    }

    @Test
    public void otherCommandsGoOnWhileTheRoleOfAKilledNetvmHoldsACommandAndItsRestartWaitsForIt() throws Exception {
        HoldingNetRole holding = new HoldingNetRole();
        RoleContext aux = null;
        Thread killer = null;
        Thread restarter = null;
        AtomicReference<RuntimeException> killFailure = new AtomicReference<>();
        AtomicReference<RuntimeException> restartFailure = new AtomicReference<>();
        try {
            createHoldingNetvmAndQubes(holding);
            admin().create(new QubeSpec("sys-aux", QubeClass.AppVM, Label.GRAY, Map.of("provides_network", "True")));
            admin().setFeature("sys-aux", "role", "holding-net");
            admin().start("sys-aux");
            aux = holding.startedContext;
            startSysHoldWithWorkTakenOn();
            holding.stoppingHeldIn = aux;

            killer = inBackground(() -> admin().kill("sys-hold"), killFailure);
            awaitTrue("the role of the killed sys-hold to hold a command", QUBE_TIMEOUT, () -> holding.entered.get() == 2,
                    () -> admin().get("sys-hold").state().toString());
            assertEquals("sys-hold is not recorded stopped before its role hears of it", PowerState.Halted, admin().get("sys-hold").state());
            restarter = inBackground(() -> admin().start("sys-hold"), restartFailure);

            runUnrelatedCommands();

            assertEquals("the command of the role ended before it was released", 1, holding.returned.get());
            assertEquals("sys-hold started again while its role was still told of its last life", PowerState.Halted,
                    admin().get("sys-hold").state());

            aux.exec(List.of("touch", RELEASE), new byte[0], RUN_TIMEOUT);
            // started again, sys-hold takes work back through the role, whose command holds again until released
            awaitTrue("the restarted sys-hold to take work back", QUBE_TIMEOUT, () -> holding.entered.get() == 3,
                    () -> admin().get("sys-hold").state().toString());
            assertEquals(0, holding.result.get().exitStatus());
            releaseAndAwait(restarter, restartFailure, "the restart of sys-hold");
            killer.join(QUBE_TIMEOUT.toMillis());
            assertEquals(null, killFailure.get());
            assertEquals(PowerState.Running, admin().get("sys-hold").state());
            assertEquals(PowerState.Running, admin().get("work").state());
        } finally {
            holding.stoppingHeldIn = null;
            if (aux != null && holding.entered.get() == 2 && holding.returned.get() < 2) {
                aux.exec(List.of("touch", RELEASE), new byte[0], RUN_TIMEOUT);
            }
            if (killer != null) {
                killer.join(QUBE_TIMEOUT.toMillis());
            }
            releaseIfHeld(restarter);
        }
    }
}
