package dev.bulkhead.role.firewall.internal;

import static dev.bulkhead.role.firewall.internal.FirewallRulesetTest.BANK;
import static dev.bulkhead.role.firewall.internal.FirewallRulesetTest.WORK;
import static dev.bulkhead.role.firewall.internal.FirewallRulesetTest.policy;
import static dev.bulkhead.role.firewall.internal.FirewallRulesetTest.rules;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Instant;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.SortedMap;
import java.util.TreeMap;

import org.junit.jupiter.api.AutoClose;
import org.junit.jupiter.api.Test;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;

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

    /**
     * A change on top of a loaded filter leaves the kernel with what the whole filter of the new policies gives, and
     * touches nothing of the clients it does not concern: their chains keep their rules as they were (the same
     * handles, which a reload would renumber).
     */
    @Test
    void aChangeComesToTheSameAsTheWholeFilterAndLeavesTheOtherClientsAlone() {
        List<ClientPolicy> first = List.of(policy(WORK, "action=accept proto=tcp dstports=443", "action=drop"), policy(BANK, "action=accept"));
        List<List<ClientPolicy>> steps = List.of(
                List.of(policy(WORK, "action=accept proto=udp"), policy(BANK, "action=accept")),
                List.of(policy(WORK, "action=accept proto=udp")),
                List.of(policy(WORK, "action=accept proto=udp"), policy(BANK, "action=drop proto=icmp", "action=accept")),
                List.of(policy(FirewallRulesetTest.WORK_AGAIN, "action=accept"), policy(BANK, "action=drop proto=icmp", "action=accept")),
                List.of(ClientPolicy.blocked(FirewallRulesetTest.WORK_AGAIN, List.of(), "test"), policy(BANK, "action=drop proto=icmp",
                        "action=accept")));
        load(FirewallRuleset.render(first));
        List<ClientPolicy> before = first;
        for (List<ClientPolicy> after : steps) {
            String bank = before.stream().anyMatch(p -> p.client().equals("bank")) ? handles("client-5") : null;
            ScratchNetwork.check(network.exec(netns, FirewallRuleset.update(FirewallRuleset.chains(before), FirewallRuleset.chains(after)),
                    "nft", "-f", "-"));
            String changed = contents();
            ClientPolicy bankAfter = policyOf(after, "bank");
            if (bank != null && bankAfter != null && before.contains(bankAfter)) {
                assertEquals(bank, handles("client-5"), "bank's chain was not touched");
            }
            load(FirewallRuleset.render(after));
            assertEquals(contents(), changed, "the change and the whole filter of " + after);
            before = after;
        }
    }

    private static ClientPolicy policyOf(List<ClientPolicy> policies, String client) {
        return policies.stream().filter(p -> p.client().equals(client)).findFirst().orElse(null);
    }

    /**
     * What the table holds, whatever order its chains were made in and its elements added: each set, map and chain
     * without its handle, elements sorted, and each chain's rules in order.
     */
    private String contents() {
        try {
            JsonNode listed = new ObjectMapper().readTree(network.nft(netns, "-j", "list", "table", "inet", FirewallRuleset.TABLE));
            SortedMap<String, String> parts = new TreeMap<>();
            for (JsonNode item : listed.path("nftables")) {
                String kind = item.fieldNames().next();
                ObjectNode object = item.get(kind).deepCopy();
                object.remove("handle");
                if (object.has("elem")) {
                    List<String> elements = new ArrayList<>();
                    object.get("elem").forEach(e -> elements.add(e.toString()));
                    Collections.sort(elements);
                    object.put("elem", String.join(",", elements));
                }
                String key = kind.equals("rule") ? "chain " + object.path("chain").asText() + " rules" : kind + " " + object.path("name").asText();
                parts.merge(key, object.toString(), (a, b) -> a + "\n" + b);
            }
            return String.join("\n", parts.values());
        } catch (JsonProcessingException e) {
            throw new AssertionError(e);
        }
    }

    /** A client chain as listed with its rules' handles. */
    private String handles(String chain) {
        return network.nft(netns, "-a", "list", "chain", "inet", FirewallRuleset.TABLE, chain);
    }
}
