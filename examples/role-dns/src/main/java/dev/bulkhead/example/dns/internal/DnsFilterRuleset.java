package dev.bulkhead.example.dns.internal;

import java.util.Comparator;
import java.util.List;
import java.util.stream.Collectors;

import dev.bulkhead.api.hypervisor.LinkEndpoint;

/**
 * The DNS filter qube's packet filter as one nftables transaction that replaces its table whole.
 * Clients' queries to Qubes' virtual DNS addresses are redirected to the qube's own dnsmasq (on the
 * address its client link has), so they never leave it as they were sent: with dnsmasq down they find
 * nothing listening, and no query goes upstream around the filter. DNS to any other server is
 * dropped, so the filter cannot be bypassed by naming a server. The rest is forwarded as a
 * FirewallVM does: from a client's own address on its own link, upstream only, masqueraded; no
 * client reaches another, nothing connects into a client.
 */
final class DnsFilterRuleset {
    static final String TABLE = "bulkhead";
    /** The qube's link to its own netvm. */
    static final String UPSTREAM = "eth0";
    static final List<String> VIRTUAL_DNS = List.of("10.139.1.1", "10.139.1.2");

    private DnsFilterRuleset() {
    }

    static String render(List<LinkEndpoint> clients) {
        String elements = clients.stream().sorted(Comparator.comparingInt(c -> c.link().clientQid()))
                .map(c -> "\"" + c.backendInterface() + "\" . " + c.link().clientAddress()).collect(Collectors.joining(", "));
        return """
                table inet %1$s {}
                delete table inet %1$s
                table inet %1$s {
                  set clients {
                    type ifname . ipv4_addr
                %3$s  }
                  chain prerouting {
                    type nat hook prerouting priority dstnat; policy accept;
                    iifname "vif*" ip daddr { %4$s } meta l4proto { tcp, udp } th dport 53 redirect to :53
                  }
                  chain forward {
                    type filter hook forward priority filter; policy drop;
                    ct state invalid drop
                    iifname "%2$s" oifname "vif*" ct state established,related accept
                    meta l4proto { tcp, udp } th dport 53 drop
                    ip daddr { %4$s } drop
                    iifname "vif*" oifname "%2$s" iifname . ip saddr @clients accept
                  }
                  chain input {
                    type filter hook input priority filter; policy drop;
                    iif lo accept
                    ct state established,related accept
                    iifname "vif*" iifname . ip saddr @clients meta l4proto { tcp, udp } th dport 53 ct status dnat accept
                    iifname "vif*" iifname . ip saddr @clients icmp type echo-request accept
                  }
                  chain postrouting {
                    type nat hook postrouting priority srcnat; policy accept;
                    oifname "%2$s" masquerade
                  }
                }
                """.formatted(TABLE, UPSTREAM, elements.isEmpty() ? "" : "    elements = { " + elements + " }\n",
                String.join(", ", VIRTUAL_DNS));
    }
}
