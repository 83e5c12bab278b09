package dev.bulkhead.example.dns.internal;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;

import org.junit.jupiter.api.Test;

import dev.bulkhead.api.hypervisor.LinkEndpoint;
import dev.bulkhead.api.hypervisor.LinkSpec;

class DnsFilterRulesetTest {
    static final LinkEndpoint WORK = new LinkEndpoint(new LinkSpec("work", 4, "sys-dns", "10.137.0.4", "10.137.0.3"), "vif4.0", "eth0");
    static final LinkEndpoint BANK = new LinkEndpoint(new LinkSpec("bank", 5, "sys-dns", "10.137.0.5", "10.137.0.3"), "vif5.0", "eth0");

    @Test
    void theVirtualDnsIsRedirectedToTheQubeItselfAndDnsElsewhereIsDropped() {
        String nft = DnsFilterRuleset.render(List.of(WORK));
        assertTrue(nft.contains("iifname \"vif*\" ip daddr { 10.139.1.1, 10.139.1.2 } meta l4proto { tcp, udp } th dport 53 redirect to :53"), nft);
        assertTrue(nft.contains("meta l4proto { tcp, udp } th dport 53 drop"), nft);
        assertTrue(nft.contains("ip daddr { 10.139.1.1, 10.139.1.2 } drop"), "what was not redirected never goes upstream: " + nft);
        assertTrue(nft.contains("iifname \"vif*\" iifname . ip saddr @clients meta l4proto { tcp, udp } th dport 53 ct status dnat accept"),
                "only redirected queries reach dnsmasq: " + nft);
    }

    @Test
    void theRulesetReplacesItsTableWhole() {
        String nft = DnsFilterRuleset.render(List.of());
        assertTrue(nft.startsWith("table inet bulkhead {}\ndelete table inet bulkhead\ntable inet bulkhead {\n"), nft);
    }

    @Test
    void clientsAreKeyedOnLinkAndAddressInQidOrder() {
        String nft = DnsFilterRuleset.render(List.of(BANK, WORK));
        assertTrue(nft.contains("elements = { \"vif4.0\" . 10.137.0.4, \"vif5.0\" . 10.137.0.5 }"), nft);
        assertTrue(nft.contains("iifname \"vif*\" oifname \"eth0\" iifname . ip saddr @clients accept"), nft);
        assertTrue(nft.contains("oifname \"eth0\" masquerade"), nft);
    }

    @Test
    void withoutClientsTheSetIsEmpty() {
        assertFalse(DnsFilterRuleset.render(List.of()).contains("elements"));
    }
}
