package dev.bulkhead.role.firewall.internal;

import static dev.bulkhead.role.firewall.internal.FirewallRulesetTest.BANK;
import static dev.bulkhead.role.firewall.internal.FirewallRulesetTest.WORK;
import static dev.bulkhead.role.firewall.internal.FirewallRulesetTest.policy;
import static dev.bulkhead.role.firewall.internal.FirewallRulesetTest.rules;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

import org.junit.jupiter.api.AutoClose;
import org.junit.jupiter.api.Test;

import dev.bulkhead.api.firewall.FirewallRule;
import dev.bulkhead.testing.ScratchNetwork;
import dev.bulkhead.testing.SystemTest;

/**
 * The twin of {@link FirewallRulesetTest}: every shape of ruleset passes {@code nft -c} and loads
 * into the kernel, in a namespace of the test's own.
 */
@SystemTest
class FirewallRulesetKernelTest {
    @AutoClose
    private final ScratchNetwork network = new ScratchNetwork("fwk");
    private final String netns = network.namespace("fw");

    private String load(String ruleset) {
        network.loadRuleset(netns, ruleset);
        return network.nft(netns, "list", "table", "inet", FirewallRuleset.TABLE);
    }

    @Test
    void everyFieldAndEveryMergeLoads() {
        ClientPolicy work = new ClientPolicy(WORK, rules(
                "action=accept proto=tcp dstports=443", "action=accept proto=tcp dstports=8000-8080",
                "action=drop proto=icmp icmptype=8", "action=drop proto=icmp icmptype=13", "action=accept proto=icmp",
                "action=accept proto=udp dsthost=192.0.2.0/24 dstports=1000-2000", "action=accept proto=udp dsthost=192.0.2.128/25 dstports=1000-2000",
                "action=accept dsthost=2001:db8::/32 proto=tcp", "action=accept dsthost=2001:db8::/32 proto=icmp icmptype=128",
                "action=accept specialtarget=dns", "action=accept specialtarget=dns proto=udp",
                "action=drop dsthost=example.test", "action=accept dsthost=example.test proto=tcp dstports=80",
                "action=drop"), Map.of("example.test", List.of("203.0.113.10", "2001:db8::10")), null);
        ClientPolicy bank = policy(BANK, "action=accept");
        String listed = load(FirewallRuleset.render(List.of(work, bank)));
        assertTrue(listed.contains("tcp dport { 443, 8000-8080 } accept"), listed);
        assertTrue(listed.contains("ip daddr { 192.0.2.0/24 } udp dport 1000-2000 accept"), "overlapping ranges are one set: " + listed);
        assertTrue(listed.contains("reject with icmpx admin-prohibited"), listed);
        assertTrue(listed.contains("iifname . ip saddr vmap @client_chains"), listed);
    }

    @Test
    void blockedEmptyAndDefaultPoliciesLoadAndEachLoadReplacesTheLast() {
        load(FirewallRuleset.render(List.of(policy(WORK, "action=accept"), policy(BANK, "action=accept"))));
        String listed = load(FirewallRuleset.render(List.of(ClientPolicy.blocked(WORK, List.of(), "test"))));
        assertTrue(!listed.contains("vif5.0") && !listed.contains("client-5"), listed);
        listed = load(FirewallRuleset.render(List.of()));
        assertTrue(!listed.contains("client-"), listed);
        assertEquals(1, network.nft(netns, "list", "tables").lines().count(), "one table, replaced");
    }

    /** A thousand rules of one shape are one statement; a thousand that cannot merge still load. */
    @Test
    void aThousandRules() {
        List<FirewallRule> oneShape = new ArrayList<>();
        List<FirewallRule> alternating = new ArrayList<>();
        for (int i = 0; i < 1000; i++) {
            String host = "198.18." + (i / 250) + "." + (i % 250 + 1);
            oneShape.add(FirewallRule.parse("action=accept proto=tcp dsthost=" + host + " dstports=443", Instant.EPOCH));
            alternating.add(FirewallRule.parse("action=" + (i % 2 == 0 ? "accept" : "drop") + " proto=tcp dsthost=" + host
                    + " dstports=443", Instant.EPOCH));
        }
        ClientPolicy merged = new ClientPolicy(WORK, oneShape, Map.of(), null);
        assertEquals(2, FirewallRuleset.chain(merged).size());
        String listed = load(FirewallRuleset.render(List.of(merged, new ClientPolicy(BANK, alternating, Map.of(), null))));
        assertEquals(1001, listed.lines().filter(l -> l.contains("tcp dport 443")).count(), "bank's 1,000 and work's one: " + listed);
    }
}
