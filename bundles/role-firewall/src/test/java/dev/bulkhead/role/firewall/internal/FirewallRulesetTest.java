package dev.bulkhead.role.firewall.internal;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

import org.junit.jupiter.api.Test;

import dev.bulkhead.api.firewall.FirewallRule;
import dev.bulkhead.api.hypervisor.LinkEndpoint;
import dev.bulkhead.api.hypervisor.LinkSpec;

/** The text the FirewallVM loads; {@link FirewallRulesetKernelTest} has the kernel take each shape. */
class FirewallRulesetTest {
    static final LinkEndpoint WORK = new LinkEndpoint(new LinkSpec("work", 4, "sys-firewall", "10.137.0.4", "10.137.0.3"),
            "vif4.0", "eth0");
    static final LinkEndpoint BANK = new LinkEndpoint(new LinkSpec("bank", 5, "sys-firewall", "10.137.0.5", "10.137.0.3"),
            "vif5.0", "eth0");
    static final String REJECT = "reject with icmpx type admin-prohibited";

    static List<FirewallRule> rules(String... texts) {
        List<FirewallRule> rules = new ArrayList<>();
        for (String t : texts) {
            rules.add(FirewallRule.parse(t, Instant.EPOCH));
        }
        return rules;
    }

    static ClientPolicy policy(LinkEndpoint link, String... texts) {
        return ClientPolicy.of(link, rules(texts), Map.of());
    }

    static List<String> chain(String... texts) {
        return FirewallRuleset.chain(policy(WORK, texts));
    }

    @Test
    void oneClientWithTwoRules() {
        assertEquals("""
                table inet bulkhead {}
                delete table inet bulkhead
                table inet bulkhead {
                  set clients {
                    type ifname . ipv4_addr
                    elements = { "vif4.0" . 10.137.0.4 }
                  }
                  map client_chains {
                    type ifname . ipv4_addr : verdict
                    elements = { "vif4.0" . 10.137.0.4 : jump client-4 }
                  }
                  chain client-4 {
                    comment "work"
                    tcp dport 443 accept
                    reject with icmpx type admin-prohibited
                  }
                  chain forward {
                    type filter hook forward priority filter; policy drop;
                    ct state invalid drop
                    iifname "eth0" oifname "vif*" ct state established,related accept
                    iifname "vif*" oifname != "eth0" drop
                    iifname "vif*" iifname . ip saddr vmap @client_chains
                  }
                  chain input {
                    type filter hook input priority filter; policy drop;
                    iif lo accept
                    ct state established,related accept
                    iifname "vif*" iifname . ip saddr @clients icmp type echo-request accept
                  }
                  chain postrouting {
                    type nat hook postrouting priority srcnat; policy accept;
                    oifname "eth0" masquerade
                  }
                }
                """, FirewallRuleset.render(List.of(policy(WORK, "action=accept proto=tcp dstports=443", "action=drop"))));
    }

    @Test
    void rulesKeepTheirOrderAndWhatNoneAcceptsIsRejected() {
        assertEquals(List.of("ip daddr 192.0.2.1/32 tcp dport 22 " + REJECT, "ip daddr 192.0.2.0/24 accept", REJECT),
                chain("action=drop proto=tcp dsthost=192.0.2.1 dstports=22", "action=accept dsthost=192.0.2.0/24"));
        assertEquals(List.of(REJECT), chain(), "no rules: nothing is accepted");
        assertEquals(List.of("accept"), FirewallRuleset.chain(new ClientPolicy(WORK, List.of(FirewallRule.ACCEPT_ALL), Map.of(), null)),
                "the default list accepts everything");
    }

    @Test
    void aRuleThatMatchesEverythingEndsTheChain() {
        assertEquals(List.of("tcp dport 80 accept", REJECT), chain("action=accept proto=tcp dstports=80", "action=drop",
                "action=accept proto=udp"));
        assertEquals(List.of("udp dport 53 " + REJECT, "accept"), chain("action=drop proto=udp dstports=53", "action=accept",
                "action=drop"));
    }

    @Test
    void consecutiveRulesThatDifferInOneFieldShareOneStatement() {
        assertEquals(List.of("ip daddr { 192.0.2.1/32, 198.51.100.0/24 } tcp dport 443 accept", REJECT),
                chain("action=accept proto=tcp dsthost=192.0.2.1 dstports=443",
                        "action=accept proto=tcp dsthost=198.51.100.0/24 dstports=443"));
        assertEquals(List.of("ip daddr 192.0.2.1/32 tcp dport { 80, 443, 8000-8080 } accept", REJECT),
                chain("action=accept proto=tcp dsthost=192.0.2.1 dstports=80", "action=accept proto=tcp dsthost=192.0.2.1 dstports=443",
                        "action=accept proto=tcp dsthost=192.0.2.1 dstports=8000-8080"));
        assertEquals(List.of("icmp type { 0, 8 } " + REJECT, "accept"),
                chain("action=drop proto=icmp icmptype=0", "action=drop proto=icmp icmptype=8", "action=accept"));
        assertEquals(List.of("tcp dport 22 accept", REJECT), chain("action=accept proto=tcp dstports=22",
                "action=accept proto=tcp dstports=22"), "a repeated rule is one statement");
    }

    @Test
    void rulesThatDifferInMoreThanOneFieldOrInActionStaySeparate() {
        assertEquals(List.of("ip daddr 192.0.2.1/32 tcp dport 80 accept", "ip daddr 192.0.2.2/32 tcp dport 443 accept", REJECT),
                chain("action=accept proto=tcp dsthost=192.0.2.1 dstports=80", "action=accept proto=tcp dsthost=192.0.2.2 dstports=443"));
        assertEquals(List.of("ip daddr 192.0.2.1/32 accept", "ip daddr 192.0.2.2/32 " + REJECT, "ip daddr 192.0.2.3/32 accept", REJECT),
                chain("action=accept dsthost=192.0.2.1", "action=drop dsthost=192.0.2.2", "action=accept dsthost=192.0.2.3"));
        assertEquals(List.of("tcp dport 80 accept", "udp dport 80 accept", REJECT),
                chain("action=accept proto=tcp dstports=80", "action=accept proto=udp dstports=80"));
        assertEquals(List.of("meta l4proto tcp accept", "tcp dport 80 accept", REJECT),
                chain("action=accept proto=tcp", "action=accept proto=tcp dstports=80"), "any port is not a set of ports");
    }

    @Test
    void dnsIsTheVirtualServersOnPort53() {
        assertEquals(List.of("ip daddr { 10.139.1.1, 10.139.1.2 } meta l4proto { tcp, udp } th dport 53 accept", REJECT),
                chain("action=accept specialtarget=dns"));
        assertEquals(List.of("ip daddr { 10.139.1.1, 10.139.1.2 } udp dport 53 accept", REJECT),
                chain("action=accept specialtarget=dns proto=udp"));
        assertEquals(List.of("ip daddr { 10.139.1.1, 10.139.1.2 } tcp dport 53 " + REJECT, "accept"),
                chain("action=drop specialtarget=dns proto=tcp dstports=1-1024", "action=accept"));
        assertEquals(List.of(REJECT), chain("action=accept specialtarget=dns proto=icmp", "action=accept specialtarget=dns proto=tcp dstports=80"),
                "DNS is neither icmp nor port 80: such rules select nothing");
    }

    @Test
    void hostNamesUseTheAddressesTheyResolvedToInBothFamilies() {
        ClientPolicy work = ClientPolicy.of(WORK, rules("action=accept dsthost=example.test proto=icmp icmptype=8",
                "action=accept dsthost=2001:db8::/32 proto=tcp", "action=accept dsthost=example.test"),
                Map.of("example.test", List.of("203.0.113.10", "2001:db8::10")));
        assertEquals(List.of("ip daddr 203.0.113.10 icmp type 8 accept", "ip6 daddr 2001:db8::10 icmpv6 type 8 accept",
                "ip6 daddr 2001:db8:0:0:0:0:0:0/32 meta l4proto tcp accept", "ip daddr 203.0.113.10 accept", "ip6 daddr 2001:db8::10 accept",
                REJECT), FirewallRuleset.chain(work));
    }

    @Test
    void aBlockedClientHasOnlyTheReject() {
        ClientPolicy blocked = ClientPolicy.blocked(WORK, rules("action=accept dsthost=nowhere.test"), "no such host");
        assertEquals(List.of(REJECT), FirewallRuleset.chain(blocked));
    }

    /** A name without addresses never lets more through than its rule would: accept matches nothing, drop every address. */
    @Test
    void aNameWithoutAddressesAcceptsNothingAndDropsToEveryAddress() {
        assertEquals(List.of("udp dport 53 accept", REJECT),
                chain("action=accept dsthost=nowhere.test", "action=accept proto=udp dstports=53"));
        assertEquals(List.of("ip daddr 203.0.113.10 accept", REJECT), FirewallRuleset.chain(ClientPolicy.of(WORK,
                rules("action=accept dsthost=a.test", "action=accept dsthost=nowhere.test"), Map.of("a.test", List.of("203.0.113.10")))));
        assertEquals(List.of("tcp dport 443 " + REJECT, "accept"), chain("action=drop proto=tcp dsthost=nowhere.test dstports=443", "action=accept"));
        assertEquals(List.of(REJECT), chain("action=drop dsthost=nowhere.test", "action=accept"));
    }

    @Test
    void everyClientIsKeyedByItsLinkAndAddress() {
        String nft = FirewallRuleset.render(List.of(policy(BANK, "action=accept"), policy(WORK, "action=drop")));
        assertTrue(nft.contains("elements = { \"vif4.0\" . 10.137.0.4, \"vif5.0\" . 10.137.0.5 }"), nft);
        assertTrue(nft.contains("elements = { \"vif4.0\" . 10.137.0.4 : jump client-4, \"vif5.0\" . 10.137.0.5 : jump client-5 }"), nft);
        assertTrue(nft.contains("chain client-5 {\n    comment \"bank\"\n    accept\n  }"), nft);
        assertTrue(nft.contains("chain client-4 {\n    comment \"work\"\n    " + REJECT + "\n  }"), nft);
    }

    @Test
    void withoutClientsNothingIsForwarded() {
        String nft = FirewallRuleset.render(List.of());
        assertTrue(nft.contains("  set clients {\n    type ifname . ipv4_addr\n  }\n"), nft);
        assertTrue(!nft.contains("chain client-"), nft);
    }

    static final LinkEndpoint WORK_AGAIN = new LinkEndpoint(new LinkSpec("work", 4, "sys-firewall", "10.137.0.4", "10.137.0.3"),
            "vif4.1", "eth0");

    private static String update(List<ClientPolicy> before, List<ClientPolicy> after) {
        return FirewallRuleset.update(FirewallRuleset.chains(before), FirewallRuleset.chains(after));
    }

    @Test
    void aChangeOfOneClientsRulesFlushesAndRefillsItsChainAlone() {
        assertEquals("""
                flush chain inet bulkhead client-4
                table inet bulkhead {
                  chain client-4 {
                    tcp dport 443 accept
                    reject with icmpx type admin-prohibited
                  }
                }
                """, update(List.of(policy(WORK, "action=accept"), policy(BANK, "action=drop")),
                List.of(policy(WORK, "action=accept proto=tcp dstports=443"), policy(BANK, "action=drop"))));
    }

    @Test
    void aClientThatComesOrGoesBringsOrTakesItsChainAndElements() {
        assertEquals("""
                table inet bulkhead {
                  chain client-5 {
                    comment "bank"
                    accept
                  }
                }
                add element inet bulkhead clients { "vif5.0" . 10.137.0.5 }
                add element inet bulkhead client_chains { "vif5.0" . 10.137.0.5 : jump client-5 }
                """, update(List.of(policy(WORK, "action=accept")), List.of(policy(WORK, "action=accept"), policy(BANK, "action=accept"))));
        assertEquals("""
                delete element inet bulkhead client_chains { "vif4.0" . 10.137.0.4 }
                delete element inet bulkhead clients { "vif4.0" . 10.137.0.4 }
                delete chain inet bulkhead client-4
                """, update(List.of(policy(WORK, "action=accept"), policy(BANK, "action=accept")), List.of(policy(BANK, "action=accept"))));
    }

    @Test
    void aClientOnANewLinkIsTakenOutAndPutBack() {
        assertEquals("""
                delete element inet bulkhead client_chains { "vif4.0" . 10.137.0.4 }
                delete element inet bulkhead clients { "vif4.0" . 10.137.0.4 }
                delete chain inet bulkhead client-4
                table inet bulkhead {
                  chain client-4 {
                    comment "work"
                    accept
                  }
                }
                add element inet bulkhead clients { "vif4.1" . 10.137.0.4 }
                add element inet bulkhead client_chains { "vif4.1" . 10.137.0.4 : jump client-4 }
                """, update(List.of(policy(WORK, "action=accept")), List.of(policy(WORK_AGAIN, "action=accept"))));
    }

    @Test
    void nothingChangedIsNothingToLoad() {
        List<ClientPolicy> same = List.of(policy(WORK, "action=accept proto=tcp dstports=443"), policy(BANK, "action=drop"));
        assertEquals("", update(same, same));
        assertEquals("", update(List.of(policy(WORK, "action=accept proto=tcp dstports=443")),
                List.of(policy(WORK, "action=accept proto=tcp dstports=443", "action=drop"))), "the same chain from other rules");
    }
}
