package dev.bulkhead.it;

import static org.junit.Assert.assertArrayEquals;
import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertFalse;
import static org.junit.Assert.assertNotEquals;
import static org.junit.Assert.assertTrue;
import static org.junit.Assert.fail;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.Hashtable;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;

import org.junit.After;
import org.junit.Before;
import org.junit.Test;
import org.osgi.service.cm.Configuration;
import org.osgi.service.cm.ConfigurationAdmin;

import dev.bulkhead.api.ExecResult;
import dev.bulkhead.api.Label;
import dev.bulkhead.api.QubeAdmin;
import dev.bulkhead.api.QubeClass;
import dev.bulkhead.api.QubeProperty;
import dev.bulkhead.api.QubeSpec;
import dev.bulkhead.api.firewall.FirewallRule;

/**
 * Real traffic through the Qubes chain AppVM → sys-firewall → sys-net → the outside, with the
 * NetVM and FirewallVM role bundles: every packet is counted where it reaches the outside.
 */
public class NetworkIT extends BulkheadTestSupport {
    private static final String FIREWALL_BUNDLE = "dev.bulkhead.role.firewall";
    private OutsideNetwork outside;
    private Configuration netvmConfig;

    @Before
    public void buildTheNetwork() throws IOException {
        outside = new OutsideNetwork();
        awaitService("(objectClass=" + ConfigurationAdmin.class.getName() + ")");
        // held for the whole test: ConfigurationAdmin is a bundle-scoped service
        ConfigurationAdmin configAdmin = context.getService(context.getServiceReference(ConfigurationAdmin.class));
        netvmConfig = configAdmin.getConfiguration("dev.bulkhead.role.netvm", "?");
        netvmConfig.update(new Hashtable<>(outside.netvmUplink()));
        awaitService("(&(objectClass=dev.bulkhead.api.role.QubeRole)(uplink.host_namespace=" + outside.netns + "))");

        QubeAdmin admin = admin();
        admin.create(new QubeSpec("sys-net", QubeClass.AppVM, Label.RED, Map.of("provides_network", "True")));
        admin.setFeature("sys-net", "role", "netvm");
        admin.create(new QubeSpec("sys-firewall", QubeClass.AppVM, Label.GREEN,
                Map.of("provides_network", "True", "netvm", "sys-net")));
        admin.setFeature("sys-firewall", "role", "firewall");
        admin.create(new QubeSpec("work", QubeClass.AppVM, Label.BLUE, Map.of("netvm", "sys-firewall")));
        admin.create(new QubeSpec("bank", QubeClass.AppVM, Label.GREEN, Map.of("netvm", "sys-firewall")));
        admin.start("sys-net");
        outside.uplinkUp();
        admin.start("work");
        admin.start("bank");
    }

    @After
    public void tearDownTheNetwork() throws Exception {
        installedBundle(FIREWALL_BUNDLE).start();
        removeQubes();
        try {
            if (netvmConfig != null) {
                netvmConfig.delete();
            }
        } finally {
            if (outside != null) {
                outside.close();
            }
        }
    }

    /**
     * Fetches the outside's page by address, or by name through the qube's DNS first. The port is
     * explicit (the built-in root's static busybox cannot look up service names), and the time limit
     * comes from timeout(1) (its wget crashes on -T).
     */
    private ExecResult fetch(String qube, String host) {
        String address = host;
        if (!host.matches("[0-9.]+")) {
            ExecResult lookup = run(qube, "nslookup", host);
            String answer = lookup.stdoutText();
            int name = answer.indexOf("Name:");
            int at = name < 0 ? -1 : answer.indexOf("Address:", name);
            if (at < 0) {
                return lookup;
            }
            address = answer.substring(at + "Address:".length()).strip().split("\\s+")[0];
        }
        return run(qube, "timeout", "5", "wget", "-q", "-O", "-", "http://" + address + ":80/");
    }

    private void assertFetches(String qube, String host) {
        ExecResult r = fetch(qube, host);
        assertEquals(qube + " fetching " + host + " (exit " + r.exitStatus() + "): " + r.stderrText() + "\n" + networkState(),
                OutsideNetwork.PAGE, r.stdoutText());
    }

    /** What the chain looks like, for a failure message. */
    private String networkState() {
        StringBuilder sb = new StringBuilder();
        for (String q : List.of("sys-net", "sys-firewall", "work")) {
            sb.append("--- ").append(q).append('\n')
                    .append(HostCommand.run("ip", "netns", "exec", netnsOf(q).get(0), "ip", "-br", "addr").stdout())
                    .append(HostCommand.run("ip", "netns", "exec", netnsOf(q).get(0), "ip", "route").stdout());
        }
        sb.append("--- outside\n").append(HostCommand.run("ip", "-n", outside.netns, "-br", "addr").stdout());
        return sb.toString();
    }

    private void assertCannotFetch(String qube, String host) {
        ExecResult r = fetch(qube, host);
        assertNotEquals(qube + " fetched " + host + " although it must not", 0, r.exitStatus());
    }

    private void rules(String qube, String... texts) {
        List<FirewallRule> rules = new ArrayList<>();
        for (String t : texts) {
            rules.add(FirewallRule.parse(t, Instant.now()));
        }
        admin().setFirewallRules(qube, rules);
    }

    @Test
    public void anAppVmReachesTheOutsideThroughItsChainWithDns() {
        assertFetches("work", OutsideNetwork.WEB);
        assertFetches("work", OutsideNetwork.WEB_NAME);
        assertTrue(outside.packetsFromUplink() > 0);
    }

    @Test
    public void rulesMatchInOrderAndWhatNoneAcceptsIsDropped() {
        rules("work", "action=accept proto=tcp dsthost=" + OutsideNetwork.WEB + " dstports=80", "action=accept specialtarget=dns");
        assertFetches("work", OutsideNetwork.WEB);
        assertCannotFetch("work", OutsideNetwork.OTHER_WEB);
        assertFetches("work", OutsideNetwork.WEB_NAME);
        assertFetches("bank", OutsideNetwork.OTHER_WEB);

        rules("work", "action=drop proto=tcp dsthost=" + OutsideNetwork.WEB, "action=accept");
        assertCannotFetch("work", OutsideNetwork.WEB);
        assertFetches("work", OutsideNetwork.OTHER_WEB);

        rules("work", "action=accept proto=tcp dsthost=" + OutsideNetwork.WEB + " dstports=80");
        assertNotEquals("without specialtarget=dns no name resolves", 0, run("work", "nslookup", OutsideNetwork.WEB_NAME).exitStatus());
    }

    @Test
    public void aHostNameRuleIsResolvedInTheFirewallAndAnUnresolvableOneAllowsNothing() {
        rules("work", "action=accept dsthost=" + OutsideNetwork.WEB_NAME, "action=accept specialtarget=dns");
        assertFetches("work", OutsideNetwork.WEB);
        assertCannotFetch("work", OutsideNetwork.OTHER_WEB);

        rules("work", "action=accept dsthost=nowhere.test", "action=accept specialtarget=dns");
        List<String> problems = admin().firewallProblems("work");
        assertTrue(String.valueOf(problems), problems.stream().anyMatch(p -> p.contains("nowhere.test")));
        assertCannotFetch("work", OutsideNetwork.WEB);
        assertFetches("bank", OutsideNetwork.WEB);
        assertEquals("bank's rules are all in force", List.of(), admin().firewallProblems("bank"));
    }

    /**
     * Qubes' sys-firewall keeps a rule whose host name does not resolve and blocks what it would
     * allow; so does qvm:firewall: the rule is saved, the command succeeds with a warning, and the
     * next rules work as ever. The filter never allows more than the stored rules: an accept rule
     * without addresses allows nothing, a drop rule without addresses drops to every address.
     */
    @Test
    public void aRuleWhoseHostDoesNotResolveIsSavedWithAWarningAndAllowsNothing() throws Exception {
        rules("work", "action=accept specialtarget=dns");
        Outcome added = shellPrinting("qvm:firewall work add action=accept dsthost=nonexistent.invalid");
        assertTrue("the warning names the host: " + added.err(),
                added.err().startsWith("warning: ") && added.err().contains("nonexistent.invalid"));
        assertEquals(2, admin().firewallRules("work").size());

        shellPrinting("qvm:firewall work add action=accept proto=tcp dsthost=" + OutsideNetwork.WEB + " dstports=80");
        assertEquals(3, admin().firewallRules("work").size());
        assertFetches("work", OutsideNetwork.WEB);
        assertCannotFetch("work", OutsideNetwork.OTHER_WEB);

        Outcome drop = shellPrinting("qvm:firewall work add --before 0 action=drop proto=tcp dsthost=nonexistent.invalid");
        assertTrue(drop.err(), drop.err().contains("nonexistent.invalid"));
        assertCannotFetch("work", OutsideNetwork.WEB);
        assertFetches("bank", OutsideNetwork.WEB);
        assertTrue(shell("qvm:firewall work list").contains("nonexistent.invalid"));

        shellPrinting("qvm:firewall work del 0");
        shellPrinting("qvm:firewall work del 1");
        Outcome clean = shellPrinting("qvm:firewall work list");
        assertEquals("no warning once every rule is in force", "", clean.err());
        assertFetches("work", OutsideNetwork.WEB);
    }

    /**
     * A FirewallVM whose resolver never answers: the start of a client with a host name rule, which
     * has the name looked up, holds up no other command; the client gets nothing that rule would
     * allow until the name resolves, and then gets it without anyone asking again.
     */
    @Test
    public void aLookupThatIsNeverAnsweredHoldsUpNoOtherCommand() throws Exception {
        admin().kill("work");
        rules("work", "action=accept dsthost=" + OutsideNetwork.WEB_NAME, "action=accept specialtarget=dns");
        outside.silenceDns();
        String firewallNetns = netnsOf("sys-firewall").get(0);
        ExecutorService starter = Executors.newSingleThreadExecutor();
        try {
            Future<?> starting = starter.submit(() -> admin().start("work"));
            awaitTrue("sys-firewall to look " + OutsideNetwork.WEB_NAME + " up", QUBE_TIMEOUT, () -> !lookups(firewallNetns).isEmpty(),
                    () -> "no lookup runs in sys-firewall");
            Set<String> pending = lookups(firewallNetns);

            admin().pause("bank");
            admin().unpause("bank");
            shell("qvm:ls");
            shell("qvm:prefs bank label yellow");
            assertEquals("yellow", admin().get("bank").value(QubeProperty.LABEL));

            Set<String> stillPending = lookups(firewallNetns);
            stillPending.retainAll(pending);
            assertFalse("the other commands finished only after the lookup had", stillPending.isEmpty());
            starting.get(QUBE_TIMEOUT.toSeconds(), TimeUnit.SECONDS);
        } finally {
            starter.shutdownNow();
        }
        assertCannotFetch("work", OutsideNetwork.WEB);
        outside.answerDns();
        awaitTrue("work to reach " + OutsideNetwork.WEB_NAME + " once it resolves", QUBE_TIMEOUT,
                () -> fetch("work", OutsideNetwork.WEB).exitStatus() == 0, () -> String.valueOf(admin().firewallProblems("work")));
        assertCannotFetch("work", OutsideNetwork.OTHER_WEB);
    }

    /**
     * The same resolver, and sys-firewall taken over by a restarted core: the take-over has the
     * names looked up again, and holds up no other command meanwhile.
     */
    @Test
    public void aTakeOverWhoseLookupIsNeverAnsweredHoldsUpNoOtherCommand() throws Exception {
        rules("work", "action=accept dsthost=" + OutsideNetwork.WEB_NAME, "action=accept specialtarget=dns");
        assertFetches("work", OutsideNetwork.WEB);
        outside.silenceDns();
        String firewallNetns = netnsOf("sys-firewall").get(0);

        restartBundles(CORE);
        awaitLiteBackend();
        awaitTrue("sys-firewall, taken over, to look " + OutsideNetwork.WEB_NAME + " up", QUBE_TIMEOUT,
                () -> !lookups(firewallNetns).isEmpty(), () -> "no lookup runs in sys-firewall");
        Set<String> pending = lookups(firewallNetns);
        admin().pause("bank");
        admin().unpause("bank");
        shell("qvm:ls");
        Set<String> stillPending = lookups(firewallNetns);
        stillPending.retainAll(pending);
        assertFalse("the other commands finished only after the lookup had", stillPending.isEmpty());

        outside.answerDns();
        awaitTrue("work to reach " + OutsideNetwork.WEB_NAME + " once it resolves", QUBE_TIMEOUT,
                () -> fetch("work", OutsideNetwork.WEB).exitStatus() == 0, () -> String.valueOf(admin().firewallProblems("work")));
    }

    /** The host's ids of the lookups running in a qube's network namespace. */
    private static Set<String> lookups(String netns) {
        Set<String> pids = new HashSet<>();
        for (String pid : HostCommand.run("ip", "netns", "pids", netns).stdout().split("\\s+")) {
            try {
                if (!pid.isBlank() && Files.readString(Path.of("/proc", pid, "cmdline")).startsWith("nslookup\0")) {
                    pids.add(pid);
                }
            } catch (IOException e) {
                // it ended meanwhile
            }
        }
        return pids;
    }

    @Test
    public void appVmsCannotReachEachOtherNorForgeTheirAddress() {
        assertEquals(0, run("bank", "sh", "-c", "echo bank > /tmp/index.html && httpd -p 8080 -h /tmp").exitStatus());
        assertEquals("bank's server answers bank itself", "bank\n",
                run("bank", "timeout", "5", "wget", "-q", "-O", "-", "http://127.0.0.1:8080/").stdoutText());
        ExecResult across = run("work", "timeout", "5", "wget", "-q", "-O", "-", "http://10.137.0.5:8080/");
        assertNotEquals("work reached bank: " + across.stdoutText(), 0, across.exitStatus());

        // A qube whose root took over its kernel: it sends from an address that is not its own.
        String workNetns = netnsOf("work").get(0);
        host("ip", "-n", workNetns, "address", "add", "10.137.0.99/32", "dev", "eth0");
        long before = outside.packetsFromUplink();
        HostCommand.run("ip", "netns", "exec", workNetns, "busybox", "ping", "-c", "3", "-W", "1", "-I", "10.137.0.99",
                OutsideNetwork.WEB);
        assertEquals("packets from a forged address reached the outside", before, outside.packetsFromUplink());
        HostCommand.run("ip", "netns", "exec", workNetns, "busybox", "ping", "-c", "1", "-W", "2", OutsideNetwork.WEB);
        assertTrue("the same ping from work's own address does reach the outside", outside.packetsFromUplink() > before);
    }

    @Test
    public void withTheFirewallVmDownNothingLeavesAndItsReturnReattachesItsClients() {
        admin().kill("sys-firewall");
        long before = outside.packetsFromUplink();
        assertCannotFetch("work", OutsideNetwork.WEB);
        run("work", "nslookup", OutsideNetwork.WEB_NAME);
        HostCommand.run("ip", "netns", "exec", netnsOf("work").get(0), "busybox", "ping", "-c", "2", "-W", "1", OutsideNetwork.WEB);
        assertEquals("packets reached the outside with sys-firewall down", before, outside.packetsFromUplink());

        admin().start("sys-firewall");
        assertFetches("work", OutsideNetwork.WEB);
    }

    @Test
    public void whenTheFirewallRoleBundleGoesItsClientsAreCutOff() throws Exception {
        installedBundle(FIREWALL_BUNDLE).stop();
        awaitTrue("sys-firewall to be stopped with its role", QUBE_TIMEOUT,
                () -> !admin().get("sys-firewall").state().isActive(), () -> admin().get("sys-firewall").state().toString());
        long before = outside.packetsFromUplink();
        assertCannotFetch("work", OutsideNetwork.WEB);
        assertEquals("packets reached the outside without the firewall role", before, outside.packetsFromUplink());

        installedBundle(FIREWALL_BUNDLE).start();
        awaitService("(&(objectClass=dev.bulkhead.api.role.QubeRole)(component.name=*FirewallRole))");
        admin().start("sys-firewall");
        assertFetches("work", OutsideNetwork.WEB);
    }

    @Test
    public void icmpAndUdpRulesMatchTheirProtocolOnly() {
        rules("work", "action=accept proto=icmp icmptype=8 dsthost=" + OutsideNetwork.WEB,
                "action=accept proto=udp dsthost=" + OutsideNetwork.DNS + " dstports=53");
        String workNetns = netnsOf("work").get(0);
        assertEquals("an allowed echo request", 0,
                HostCommand.run("ip", "netns", "exec", workNetns, "busybox", "ping", "-c", "1", "-W", "2", OutsideNetwork.WEB).exitStatus());
        assertNotEquals("icmp to another host", 0,
                HostCommand.run("ip", "netns", "exec", workNetns, "busybox", "ping", "-c", "1", "-W", "2", OutsideNetwork.OTHER_WEB).exitStatus());
        assertTrue("a DNS query over udp straight to the allowed server",
                run("work", "nslookup", OutsideNetwork.WEB_NAME, OutsideNetwork.DNS).stdoutText().contains(OutsideNetwork.WEB));
        assertCannotFetch("work", OutsideNetwork.WEB);
    }

    @Test
    public void anExpiredRuleStopsApplyingByItself() {
        rules("work", "action=accept proto=tcp dsthost=" + OutsideNetwork.WEB + " dstports=80 expire=+3");
        assertFetches("work", OutsideNetwork.WEB);
        awaitTrue("the rule to expire", Duration.ofSeconds(20), () -> fetch("work", OutsideNetwork.WEB).exitStatus() != 0,
                () -> "work still fetches");
        assertEquals(List.of(), admin().firewallRules("work"));
    }

    @Test
    public void aRunningQubeChangesItsNetvmLive() {
        rules("work", "action=drop");
        assertCannotFetch("work", OutsideNetwork.WEB);
        admin().setProperty("work", "netvm", "sys-net");
        assertFetches("work", OutsideNetwork.WEB);
        admin().setProperty("work", "netvm", "sys-firewall");
        assertCannotFetch("work", OutsideNetwork.WEB);
    }

    @Test
    public void anInvalidRuleFromTheShellIsRefusedAndChangesNothing() throws Exception {
        rules("work", "action=accept proto=tcp dstports=443", "action=drop");
        byte[] before = stateBytes();
        for (String bad : List.of("action=allow", "action=accept proto=tcp dstports=70000", "action=accept dstports=80",
                "action=accept proto=icmp icmptype=300", "action=accept dsthost=bad_host", "action=accept colour=red",
                "action=accept action=drop")) {
            try {
                shell("qvm:firewall work add " + bad);
                fail("accepted: " + bad);
            } catch (Exception e) {
                assertTrue(e.getMessage(), e.getMessage().startsWith("qvm:firewall: invalid "));
            }
            assertArrayEquals("state file after " + bad, before, stateBytes());
        }
        assertEquals(2, admin().firewallRules("work").size());
        assertTrue(shell("qvm:firewall work list").contains("443"));
    }

    @Test
    public void aRuleChangeCutsAnOpenConnection() {
        outside.startStreamServer();
        assertEquals(0, run("work", "sh", "-c",
                "(sleep 600 | nc " + OutsideNetwork.WEB + " " + OutsideNetwork.STREAM_PORT + " > /tmp/stream 2>/dev/null) >/dev/null 2>&1 &")
                .exitStatus());
        awaitTrue("the stream to flow", QUBE_TIMEOUT, () -> streamed() > 20, () -> streamed() + " bytes");

        rules("work", "action=drop");
        awaitTrue("the stream to stop", QUBE_TIMEOUT, () -> !growsPast(streamed()), () -> streamed() + " bytes and growing");
        assertFalse("bytes arrived after the stream had stopped", growsPast(streamed()));
    }

    private long streamed() {
        String size = run("work", "stat", "-c", "%s", "/tmp/stream").stdoutText().strip();
        return size.isEmpty() ? 0 : Long.parseLong(size);
    }

    /** Whether the stream's size differs from {@code size} within a second. */
    private boolean growsPast(long size) {
        try {
            awaitTrue("the stream to grow past " + size + " bytes", Duration.ofSeconds(1), () -> streamed() != size, () -> streamed() + " bytes");
            return true;
        } catch (AssertionError stayed) {
            return false;
        }
    }
}
