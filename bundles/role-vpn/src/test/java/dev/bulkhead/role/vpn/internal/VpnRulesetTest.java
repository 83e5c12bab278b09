package dev.bulkhead.role.vpn.internal;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;

import org.junit.jupiter.api.Test;

import dev.bulkhead.api.hypervisor.LinkEndpoint;
import dev.bulkhead.api.hypervisor.LinkSpec;

class VpnRulesetTest {
    static final LinkEndpoint WORK = new LinkEndpoint(new LinkSpec("work", 4, "sys-vpn", "10.137.0.4", "10.137.0.3"), "vif4.0", "eth0");
    static final LinkEndpoint BANK = new LinkEndpoint(new LinkSpec("bank", 5, "sys-vpn", "10.137.0.5", "10.137.0.3"), "vif5.0", "eth0");

    @Test
    void theTableIsReplacedWholeWithClientsByLinkAndAddress() {
        String nft = VpnRuleset.render(List.of(BANK, WORK), List.of(), "wg0");
        List<String> lines = nft.lines().toList();
        assertEquals("table inet bulkhead {}", lines.get(0));
        assertEquals("delete table inet bulkhead", lines.get(1));
        assertTrue(nft.contains("elements = { \"vif4.0\" . 10.137.0.4, \"vif5.0\" . 10.137.0.5 }"), nft);
    }

    @Test
    void clientsAreForwardedIntoTheTunnelOnlyAndAnswersComeBackFromIt() {
        String nft = VpnRuleset.render(List.of(WORK), List.of(), "wg0");
        String forward = nft.substring(nft.indexOf("chain forward"), nft.indexOf("chain input"));
        assertTrue(forward.contains("policy drop;"), forward);
        List<String> accepts = forward.lines().filter(l -> l.strip().endsWith("accept")).map(String::strip).toList();
        assertEquals(List.of("iifname \"wg0\" oifname \"vif*\" ct state established,related accept",
                "iifname \"vif*\" oifname \"wg0\" iifname . ip saddr @clients accept"), accepts);
        assertTrue(nft.contains("oifname \"wg0\" masquerade"), nft);
    }

    @Test
    void dnsGoesToTheTunnelsServersOrNowhere() {
        String with = VpnRuleset.render(List.of(WORK), List.of("10.64.0.1"), "wg0");
        assertTrue(with.contains("ip daddr 10.139.1.1 meta l4proto { tcp, udp } th dport 53 dnat ip to 10.64.0.1"), with);
        assertTrue(with.contains("ip daddr 10.139.1.2 meta l4proto { tcp, udp } th dport 53 dnat ip to 10.64.0.1"), with);
        String two = VpnRuleset.render(List.of(WORK), List.of("10.64.0.1", "10.64.0.2"), "wg0");
        assertTrue(two.contains("ip daddr 10.139.1.2 meta l4proto { tcp, udp } th dport 53 dnat ip to 10.64.0.2"), two);
        String without = VpnRuleset.render(List.of(WORK), List.of(), "wg0");
        assertFalse(without.contains("dnat"), without);
        assertTrue(without.contains("ip daddr { 10.139.1.1, 10.139.1.2 } drop"), without);
    }

    @Test
    void theVpnVmSendsUpstreamOnlyTheTunnelsOwnPackets() {
        String nft = VpnRuleset.render(List.of(WORK), List.of(), "wg0");
        String output = nft.substring(nft.indexOf("chain output"), nft.indexOf("chain postrouting"));
        assertTrue(output.contains("policy drop;"), output);
        assertEquals(List.of("oifname \"eth0\" meta mark 51820 meta l4proto udp accept"),
                output.lines().map(String::strip).filter(l -> l.contains("eth0")).toList());
    }
}
