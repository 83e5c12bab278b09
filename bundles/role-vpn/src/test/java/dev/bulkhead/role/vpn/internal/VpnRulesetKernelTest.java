package dev.bulkhead.role.vpn.internal;

import static dev.bulkhead.role.vpn.internal.VpnRulesetTest.BANK;
import static dev.bulkhead.role.vpn.internal.VpnRulesetTest.WORK;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;

import org.junit.jupiter.api.AutoClose;
import org.junit.jupiter.api.Test;

import dev.bulkhead.testing.ScratchNetwork;
import dev.bulkhead.testing.SystemTest;

/**
 * The twin of {@link VpnRulesetTest}: every shape of the ruleset passes {@code nft -c} and loads, and
 * the routing lines load, in a namespace of the test's own.
 */
@SystemTest
class VpnRulesetKernelTest {
    @AutoClose
    private final ScratchNetwork network = new ScratchNetwork("vpnk");
    private final String netns = network.namespace("vpn");

    private String load(String ruleset) {
        network.loadRuleset(netns, ruleset);
        return network.nft(netns, "list", "table", "inet", VpnRuleset.TABLE);
    }

    @Test
    void withAndWithoutDnsAndClientsItLoadsAndEachLoadReplacesTheLast() {
        String listed = load(VpnRuleset.render(List.of(WORK, BANK), List.of("10.64.0.1", "10.64.0.2"), "wg0"));
        assertTrue(listed.contains("dnat ip to 10.64.0.2"), listed);
        assertTrue(listed.contains("tcp option maxseg size set rt mtu"), listed);
        assertTrue(listed.contains("meta mark 0x0000ca6c"), listed);
        listed = load(VpnRuleset.render(List.of(), List.of(), "wg0"));
        assertFalse(listed.contains("dnat") || listed.contains("vif4.0"), listed);
        assertEquals(1, network.nft(netns, "list", "tables").lines().count(), "one table, replaced");
    }

    /** With no tunnel, only the tunnel's own (marked) packets have the way to the netvm; the rest meet the unreachable route. */
    @Test
    void theRoutingSendsWhatIsNotTheTunnelsOwnToTheTunnelsTable() {
        network.ip(netns, "link add eth0 type veth peer name eth1", "address add 10.137.0.3/32 dev eth0", "link set eth0 up",
                "route add default dev eth0");
        network.ip(netns, VpnScripts.routing().strip().split("\n"));
        String rules = ScratchNetwork.check(network.exec(netns, null, "ip", "rule", "show")).stdout();
        assertTrue(rules.contains("10:\tfrom all lookup main suppress_prefixlength 0"), rules);
        assertTrue(rules.contains("11:\tnot from all fwmark 0xca6c lookup 51820"), rules);
        String table = ScratchNetwork.check(network.exec(netns, null, "ip", "route", "show", "table", "51820")).stdout();
        assertTrue(table.contains("unreachable default"), table);
        ScratchNetwork.Result route = network.exec(netns, null, "ip", "route", "get", "198.51.100.7");
        assertTrue(route.exitStatus() != 0 && route.output().contains("No route to host"), "without a tunnel, nothing has a way out: "
                + route.output());
        String marked = ScratchNetwork.check(network.exec(netns, null, "ip", "route", "get", "198.51.100.7", "mark", "51820")).stdout();
        assertTrue(marked.contains("dev eth0"), "the tunnel's own packets go to the netvm: " + marked);
    }

    /** A VPN-VM taken over after a restart of the platform is routed again: each rule stays there once. */
    @Test
    void routingAgainLeavesEachRuleOnce() {
        for (int i = 0; i < 2; i++) {
            ScratchNetwork.check(network.exec(netns, VpnScripts.routing(), VpnScripts.route().toArray(String[]::new)));
        }
        List<String> rules = ScratchNetwork.check(network.exec(netns, null, "ip", "rule", "show")).stdout().lines().toList();
        assertEquals(1, rules.stream().filter(r -> r.startsWith("10:")).count(), rules.toString());
        assertEquals(1, rules.stream().filter(r -> r.startsWith("11:")).count(), rules.toString());
        String table = ScratchNetwork.check(network.exec(netns, null, "ip", "route", "show", "table", "51820")).stdout();
        assertEquals(1, table.lines().filter(l -> l.startsWith("unreachable default")).count(), table);
    }
}
