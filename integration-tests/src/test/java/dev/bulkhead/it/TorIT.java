package dev.bulkhead.it;

import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertNotEquals;
import static org.junit.Assert.assertTrue;

import java.io.IOException;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import org.junit.Before;
import org.junit.Test;

import dev.bulkhead.api.ExecResult;
import dev.bulkhead.api.Label;
import dev.bulkhead.api.QubeClass;
import dev.bulkhead.api.QubeSpec;

/**
 * The TorVM in the chain anon → sys-tor → sys-firewall → sys-net → the outside. There is no Tor
 * network: tor tries its bridge in the outside and gets no further, which is enough to see where a
 * client's traffic lands and that nothing else leaves.
 */
public class TorIT extends GatewayTestSupport {
    static final String TOR_BUNDLE = "dev.bulkhead.role.tor";
    /** A well-formed onion address: tor's DNSPort maps it into its virtual range with no network at all. */
    static final String ONION = "2gzyxa5ihm7nsggfxnu52rck2vv4rvmdlkiu3zzui5du4xyclen53wid.onion";
    private static final Pattern VIRTUAL_ADDRESS = Pattern.compile("Address:\\s+(10\\.(19[2-9]|2[0-5][0-9])\\.[0-9]+\\.[0-9]+)");

    @Before
    public void buildTheNetwork() throws IOException {
        buildUpstream();
        configureTor();
        createGateway("sys-tor", "tor", "sys-firewall");
        admin().create(new QubeSpec("anon", QubeClass.AppVM, Label.BLACK, Map.of("netvm", "sys-tor")));
        startChain("anon");
    }

    /** Tor's bridge is in the outside; its status is read every second. */
    void configureTor() throws IOException {
        configure("dev.bulkhead.role.tor", Map.of("bridges", OutsideNetwork.BRIDGE + ":" + OutsideNetwork.BRIDGE_PORT, "status.interval",
                "1"), "(bridges=" + OutsideNetwork.BRIDGE + ":" + OutsideNetwork.BRIDGE_PORT + ")");
    }

    @Test
    public void aClientsTcpLandsOnTorsTransPortAndItsDnsOnItsDnsPort() {
        Map<String, Long> before = outside.packetsByKind();
        runOk("anon", "sh", "-c", "timeout 20 wget -q -O /dev/null http://" + OutsideNetwork.WEB + ":80/ >/dev/null 2>&1 &");
        String client = addressOf("anon");
        awaitTrue("anon's connection on tor's TransPort", QUBE_TIMEOUT, () -> transPortConnections("sys-tor").contains(client + ":"),
                () -> transPortConnections("sys-tor"));
        assertTrue("tor holds it: " + transPortConnections("sys-tor"), transPortConnections("sys-tor").contains("\"tor\""));

        ExecResult lookup = run("anon", "nslookup", ONION);
        Matcher mapped = VIRTUAL_ADDRESS.matcher(lookup.stdoutText());
        assertTrue("tor's DNSPort maps the onion name into 10.192.0.0/10: " + lookup.stdoutText() + lookup.stderrText(), mapped.find());

        String log = runOk("sys-tor", "cat", "/run/tor/tor.log");
        assertTrue(log, log.contains("Opened Transparent pf/netfilter listener connection (ready) on 0.0.0.0:9040"));
        assertTrue(log, log.contains("Opened DNS listener connection (ready) on 0.0.0.0:5353"));
        Map<String, Long> after = outside.packetsByKind();
        for (String kind : List.of("dns", "tcp", "udp", "icmp")) {
            assertEquals(kind + " reached the outside: " + after, before.get(kind), after.get(kind));
        }
    }

    @Test
    public void torGoesOutThroughTheChainAndNothingElseInSysTorDoes() {
        awaitTrue("tor to try its bridge through sys-firewall and sys-net", QUBE_TIMEOUT, () -> outside.packetsByKind().get("tor") > 0,
                () -> outside.packetsByKind().toString());
        assertNothingLeaves("sys-tor", List.of("dns", "tcp", "udp", "icmp"));
    }

    @Test
    public void theShellAndTheFeaturesShowBootstrapAndCircuits() throws Exception {
        String status = shell("qvm:tor status sys-tor");
        assertTrue(status, status.startsWith("sys-tor: tor 0."));
        assertTrue(status, status.matches("(?s).*bootstrap  [0-9]+% .*"));
        assertTrue(status, status.contains("circuits   0 built of"));
        awaitTrue("tor's status in sys-tor's features", QUBE_TIMEOUT,
                () -> "running".equals(admin().get("sys-tor").features().get("tor.state")),
                () -> admin().get("sys-tor").features().toString());
        Map<String, String> features = admin().get("sys-tor").features();
        assertTrue(features.toString(), features.get("tor.bootstrap").matches("[0-9]+"));
        assertEquals(features.toString(), "0", features.get("tor.circuits"));
    }

    @Test
    public void withTorKilledClientsAreRefusedAndNothingAtAllLeaves() throws Exception {
        runOk("sys-tor", "sh", "-c", "kill $(cat /run/tor/tor.pid)");
        awaitTrue("tor to be gone", QUBE_TIMEOUT, () -> {
            try {
                return shell("qvm:tor status sys-tor").contains("tor is not running");
            } catch (Exception e) {
                throw new IllegalStateException(e);
            }
        }, () -> "still answering");
        awaitTrue("sys-tor's features to say so", QUBE_TIMEOUT, () -> "down".equals(admin().get("sys-tor").features().get("tor.state")),
                () -> admin().get("sys-tor").features().toString());

        long start = System.nanoTime();
        ExecResult refused = fetch("anon", OutsideNetwork.WEB);
        long millis = (System.nanoTime() - start) / 1_000_000;
        assertNotEquals(0, refused.exitStatus());
        assertTrue("refused at once, not left to time out: " + millis + " ms, " + refused.stderrText(),
                refused.stderrText().contains("Connection refused") && millis < 3000);
        assertNothingLeaves("anon", OutsideNetwork.KINDS);
    }

    @Test
    public void withTheTorRoleBundleGoneSysTorStopsAndNothingLeavesUntilItIsBack() throws Exception {
        awaitTrue("tor's status in sys-tor's features", QUBE_TIMEOUT, () -> admin().get("sys-tor").features().containsKey("tor.state"),
                () -> admin().get("sys-tor").features().toString());
        installedBundle(TOR_BUNDLE).stop();
        try {
            awaitTrue("sys-tor to stop with its role", QUBE_TIMEOUT, () -> !admin().get("sys-tor").state().isActive(),
                    () -> admin().get("sys-tor").state().toString());
            awaitTrue("sys-tor's tor status to go with the role", QUBE_TIMEOUT,
                    () -> admin().get("sys-tor").features().keySet().stream().noneMatch(k -> k.startsWith("tor.")),
                    () -> admin().get("sys-tor").features().toString());
            assertNothingLeaves("anon", OutsideNetwork.KINDS);
        } finally {
            installedBundle(TOR_BUNDLE).start();
        }
        awaitService("(&(objectClass=dev.bulkhead.api.role.QubeRole)(component.name=*TorRole))");
        admin().start("sys-tor");
        assertTrue(VIRTUAL_ADDRESS.matcher(runOk("anon", "nslookup", ONION)).find());
    }

    /**
     * The core restarts with the chain running: no qube of it is stopped or restarted, each role
     * takes its qube back (tor answers its status again), and the client still reaches tor alone.
     */
    @Test
    public void aRestartOfTheCoreKeepsTheChainRunningAndItsRolesTakeTheirQubesBack() throws Exception {
        awaitTrue("tor to try its bridge through the chain", QUBE_TIMEOUT, () -> outside.packetsByKind().get("tor") > 0,
                () -> outside.packetsByKind().toString());
        List<String> chain = List.of("sys-net", "sys-firewall", "sys-tor", "anon");
        Map<String, String> started = new java.util.LinkedHashMap<>();
        for (String qube : chain) {
            started.put(qube, initStartTime(qube));
        }
        String torBefore = runOk("sys-tor", "cat", "/run/tor/tor.pid").strip();

        restartBundles(CORE);
        awaitLiteBackend();

        for (String qube : chain) {
            assertEquals(qube + " after the restart", dev.bulkhead.api.PowerState.Running, admin().get(qube).state());
            assertEquals("start time of pid 1 inside " + qube + ": it was restarted", started.get(qube), initStartTime(qube));
        }
        // the role takes sys-tor back by starting its tor anew, with a control password of this run
        awaitTrue("the tor role to take sys-tor back with a new tor that answers its status", QUBE_TIMEOUT, () -> {
            try {
                return !run("sys-tor", "cat", "/run/tor/tor.pid").stdoutText().strip().equals(torBefore)
                        && shell("qvm:tor status sys-tor").startsWith("sys-tor: tor 0.");
            } catch (Exception e) {
                return false;
            }
        }, () -> "tor pid " + run("sys-tor", "cat", "/run/tor/tor.pid").stdoutText());
        assertTrue(VIRTUAL_ADDRESS.matcher(runOk("anon", "nslookup", ONION)).find());
        long tor = outside.packetsByKind().get("tor");
        awaitTrue("tor to reach its bridge through sys-firewall and sys-net again", QUBE_TIMEOUT,
                () -> outside.packetsByKind().get("tor") > tor, () -> outside.packetsByKind().toString());
        assertNothingLeaves("anon", List.of("dns", "tcp", "udp", "icmp"));
    }

    /**
     * sys-tor applies no per-qube firewall rules: rules for one of its running clients are refused,
     * saying why, and the refused command changes nothing: the client keeps its rules and its network.
     */
    @Test
    public void firewallRulesForAClientAreRefusedSayingWhyAndChangeNothing() throws Exception {
        assertTrue(VIRTUAL_ADDRESS.matcher(runOk("anon", "nslookup", ONION)).find());
        List<dev.bulkhead.api.firewall.FirewallRule> before = admin().firewallRules("anon");
        try {
            shell("qvm:firewall anon add --before 0 action=drop dsthost=" + OutsideNetwork.OTHER_WEB);
            throw new AssertionError("sys-tor took a client with rules it does not apply");
        } catch (Exception e) {
            // the shell says it as one line naming the command; the refusal is the role's
            assertTrue(String.valueOf(e.getCause()), e.getCause() instanceof dev.bulkhead.api.AdminException);
            assertTrue(e.getMessage(), e.getMessage().startsWith("qvm:firewall: ")
                    && e.getMessage().contains("'anon' has firewall rules of its own, which 'sys-tor' (a TorVM) does not apply"));
        }
        assertEquals("the refused rule is not kept", before, admin().firewallRules("anon"));
        assertTrue(VIRTUAL_ADDRESS.matcher(runOk("anon", "nslookup", ONION)).find());
    }

    @Test
    public void wrongBridgesKeepSysTorFromStartingAndNameTheSetting() throws Exception {
        admin().kill("anon");
        admin().kill("sys-tor");
        configure("dev.bulkhead.role.tor", Map.of("bridges", "bridge.test:443"), "(bridges=bridge.test:443)");
        try {
            admin().start("sys-tor");
            throw new AssertionError("sys-tor started with bridges it cannot use");
        } catch (dev.bulkhead.api.AdminException e) {
            assertTrue(e.getMessage(), e.getMessage().contains("invalid bridges 'bridge.test:443'"));
        }
        assertTrue(!admin().get("sys-tor").state().isActive());
        configureTor();
        admin().start("anon");
        assertTrue(VIRTUAL_ADDRESS.matcher(runOk("anon", "nslookup", ONION)).find());
    }
}
