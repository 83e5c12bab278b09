package dev.bulkhead.role.netvm.internal;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;

import org.junit.jupiter.api.Test;

import dev.bulkhead.api.hypervisor.LinkEndpoint;
import dev.bulkhead.api.hypervisor.LinkSpec;

/** The text the NetVM loads; {@link NetvmRulesetKernelTest} has the kernel take each shape. */
class NetvmRulesetTest {
    static final LinkEndpoint FIREWALL = new LinkEndpoint(new LinkSpec("sys-firewall", 3, "sys-net", "10.137.0.3", "10.137.0.2"),
            "vif3.0", "eth0");
    static final LinkEndpoint WORK = new LinkEndpoint(new LinkSpec("work", 4, "sys-net", "10.137.0.4", "10.137.0.2"), "vif4.0", "eth0");

    @Test
    void aNetvmWithAnUplinkAResolverAndOneClient() {
        assertEquals("""
                table inet bulkhead {}
                delete table inet bulkhead
                table inet bulkhead {
                  set clients {
                    type ifname . ipv4_addr
                    elements = { "vif3.0" . 10.137.0.3 }
                  }
                  chain prerouting {
                    type nat hook prerouting priority dstnat; policy accept;
                    iifname "vif*" ip daddr 10.139.1.1 meta l4proto { tcp, udp } th dport 53 dnat ip to 203.0.113.53
                    iifname "vif*" ip daddr 10.139.1.2 meta l4proto { tcp, udp } th dport 53 dnat ip to 203.0.113.53
                  }
                  chain forward {
                    type filter hook forward priority filter; policy drop;
                    ct state invalid drop
                    iifname "uplink0" oifname "vif*" ct state established,related accept
                    ip daddr { 10.139.1.1, 10.139.1.2 } drop
                    iifname "vif*" oifname "uplink0" iifname . ip saddr @clients accept
                  }
                  chain input {
                    type filter hook input priority filter; policy drop;
                    iif lo accept
                    ct state established,related accept
                    iifname "vif*" iifname . ip saddr @clients icmp type echo-request accept
                  }
                  chain output {
                    type filter hook output priority filter; policy accept;
                    oifname "uplink0" meta nfproto ipv6 drop
                  }
                  chain postrouting {
                    type nat hook postrouting priority srcnat; policy accept;
                    oifname "uplink0" masquerade
                  }
                }
                """, NetvmRuleset.render("uplink0", List.of("203.0.113.53"), List.of(FIREWALL)));
    }

    @Test
    void eachVirtualDnsAddressHasItsResolver() {
        String nft = NetvmRuleset.render("uplink0", List.of("203.0.113.53", "203.0.113.54", "203.0.113.55"), List.of(WORK, FIREWALL));
        assertTrue(nft.contains("ip daddr 10.139.1.1 meta l4proto { tcp, udp } th dport 53 dnat ip to 203.0.113.53\n"), nft);
        assertTrue(nft.contains("ip daddr 10.139.1.2 meta l4proto { tcp, udp } th dport 53 dnat ip to 203.0.113.54\n"), nft);
        assertTrue(nft.contains("elements = { \"vif3.0\" . 10.137.0.3, \"vif4.0\" . 10.137.0.4 }"), nft);
    }

    @Test
    void withoutResolversDnsIsDroppedAndWithoutUplinkNothingIsForwarded() {
        String noDns = NetvmRuleset.render("uplink0", List.of(), List.of(WORK));
        assertFalse(noDns.contains("dnat"), noDns);
        assertTrue(noDns.contains("ip daddr { 10.139.1.1, 10.139.1.2 } drop\n    iifname \"vif*\" oifname \"uplink0\""), noDns);

        String noUplink = NetvmRuleset.render(null, List.of("203.0.113.53"), List.of(WORK));
        assertTrue(noUplink.contains("  chain forward {\n    type filter hook forward priority filter; policy drop;\n"
                + "    ct state invalid drop\n  }\n"), noUplink);
        assertFalse(noUplink.contains("masquerade") || noUplink.contains("dnat") || noUplink.contains("chain output"), noUplink);
    }
}
