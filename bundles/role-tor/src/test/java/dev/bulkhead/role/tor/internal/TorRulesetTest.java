package dev.bulkhead.role.tor.internal;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;

import org.junit.jupiter.api.Test;

import dev.bulkhead.api.hypervisor.LinkEndpoint;
import dev.bulkhead.api.hypervisor.LinkSpec;

class TorRulesetTest {
    static final LinkEndpoint WORK = new LinkEndpoint(new LinkSpec("work", 4, "sys-tor", "10.137.0.4", "10.137.0.3"), "vif4.0", "eth0");
    static final LinkEndpoint BANK = new LinkEndpoint(new LinkSpec("bank", 5, "sys-tor", "10.137.0.5", "10.137.0.3"), "vif5.0", "eth0");

    @Test
    void theTableIsReplacedWholeInOneTransaction() {
        List<String> lines = TorRuleset.render(List.of(), "tor").lines().toList();
        assertEquals("table inet bulkhead {}", lines.get(0));
        assertEquals("delete table inet bulkhead", lines.get(1));
        assertEquals("table inet bulkhead {", lines.get(2));
    }

    @Test
    void clientsAreKnownByLinkAndAddressInQidOrder() {
        String nft = TorRuleset.render(List.of(BANK, WORK), "tor");
        assertTrue(nft.contains("elements = { \"vif4.0\" . 10.137.0.4, \"vif5.0\" . 10.137.0.5 }"), nft);
        assertFalse(TorRuleset.render(List.of(), "tor").contains("elements"));
    }

    @Test
    void clientTcpGoesToTheTransPortAndDnsToTheDnsPortAndNothingIsForwarded() {
        String nft = TorRuleset.render(List.of(WORK), "tor");
        assertTrue(nft.contains("iifname . ip saddr @clients udp dport 53 redirect to :5353"), nft);
        assertTrue(nft.contains("iifname . ip saddr @clients meta l4proto tcp redirect to :9040"), nft);
        assertTrue(nft.contains("iifname . ip saddr @clients tcp dport 9040 accept"), nft);
        assertTrue(nft.contains("iifname . ip saddr @clients udp dport 5353 accept"), nft);
        String forward = nft.substring(nft.indexOf("chain forward"), nft.indexOf("chain output"));
        assertTrue(forward.contains("policy drop;"), forward);
        assertFalse(forward.contains("accept"), "nothing is forwarded: " + forward);
    }

    @Test
    void onlyTorsUserSendsUpstream() {
        String nft = TorRuleset.render(List.of(WORK), "tor");
        String output = nft.substring(nft.indexOf("chain output"));
        assertTrue(output.contains("policy drop;"), output);
        assertTrue(output.contains("oifname \"eth0\" meta skuid \"tor\" meta l4proto tcp accept"), output);
        assertEquals(1, output.lines().filter(l -> l.contains("eth0")).count(), output);
    }
}
