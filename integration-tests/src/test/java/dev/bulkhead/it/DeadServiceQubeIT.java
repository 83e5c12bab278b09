package dev.bulkhead.it;

import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertTrue;

import java.util.List;
import java.util.Map;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;

import org.junit.Test;
import org.osgi.framework.ServiceRegistration;

import dev.bulkhead.api.Label;
import dev.bulkhead.api.PowerState;
import dev.bulkhead.api.QubeClass;
import dev.bulkhead.api.QubeSpec;
import dev.bulkhead.api.role.QubeRole;
import dev.bulkhead.api.role.RoleContext;
import dev.bulkhead.testing.PassiveRole;

/**
 * A service qube whose init is killed from the host (kill -9) forwards nothing more: its links go
 * down as its death is seen, before any other clean-up and without waiting for the core, which may
 * be busy with something else for as long as it takes.
 */
public class DeadServiceQubeIT extends GatewayTestSupport {
    /** A role that holds its qube's start, and with it the core's lifecycle, until the test lets it go. */
    private static final class HoldingRole extends PassiveRole {
        final CountDownLatch entered = new CountDownLatch(1);
        final CountDownLatch release = new CountDownLatch(1);

        HoldingRole() {
            super("holding", "holds the start of its qube until released", false);
        }

        @Override
        public void started(RoleContext context) {
            entered.countDown();
            try {
                release.await(2, TimeUnit.MINUTES);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
    }

    @Test
    public void aFirewallVmKilledFromTheHostForwardsNothingMoreWhileTheCoreIsBusyAndEndsHalted() throws Exception {
        buildUpstream();
        admin().create(new QubeSpec("work", QubeClass.AppVM, Label.BLUE, Map.of("netvm", "sys-firewall")));
        startChain("work");
        assertEquals("work reaches the outside through sys-firewall", OutsideNetwork.PAGE, fetch("work", OutsideNetwork.WEB).stdoutText());

        HoldingRole holding = new HoldingRole();
        ServiceRegistration<QubeRole> registration = context.registerService(QubeRole.class, holding, null);
        Thread starter = null;
        try {
            awaitTrue("the holding role to be known", QUBE_TIMEOUT,
                    () -> admin().roles().stream().anyMatch(r -> r.id().equals("holding")), () -> admin().roles().toString());
            admin().create(new QubeSpec("busy", QubeClass.AppVM, Label.GRAY, Map.of()));
            admin().setFeature("busy", "role", "holding");
            starter = new Thread(() -> admin().start("busy"));
            starter.start();
            assertTrue("the start of busy to reach its role", holding.entered.await(QUBE_TIMEOUT.toSeconds(), TimeUnit.SECONDS));

            host("kill", "-9", Long.toString(containerInitPid("sys-firewall")));

            String workNetns = netnsOfRunning("work");
            awaitTrue("sys-firewall's link to work to go down", QUBE_TIMEOUT, () -> !linkUp(workNetns),
                    () -> host("ip", "-n", workNetns, "-o", "link", "show"));
            assertNothingLeaves("work", OutsideNetwork.KINDS);
        } finally {
            holding.release.countDown();
            if (starter != null) {
                starter.join(QUBE_TIMEOUT.toMillis());
            }
            registration.unregister();
        }
        awaitTrue("sys-firewall to be recorded Halted", QUBE_TIMEOUT, () -> admin().get("sys-firewall").state() == PowerState.Halted,
                () -> admin().get("sys-firewall").state().toString());
        assertEquals(List.of(), netnsOf("sys-firewall"));
    }

    /** Whether the qube's eth0 is up with its carrier, that is, its netvm's end of the link is up. */
    private static boolean linkUp(String netns) {
        HostCommand.Result link = HostCommand.run("ip", "-n", netns, "-o", "link", "show", "eth0");
        return link.exitStatus() == 0 && link.stdout().contains("state UP");
    }
}
