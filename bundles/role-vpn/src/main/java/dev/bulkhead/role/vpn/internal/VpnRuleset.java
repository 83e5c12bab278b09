package dev.bulkhead.role.vpn.internal;

import java.util.Comparator;
import java.util.List;
import java.util.stream.Collectors;

import dev.bulkhead.api.hypervisor.LinkEndpoint;

/**
 * The VPN-VM's kill switch, in one nftables transaction that replaces its table whole. A client's
 * packets are forwarded into the tunnel interface and nowhere else, so with the tunnel down they go
 * nowhere; the virtual DNS addresses lead to the tunnel's DNS servers only, and without any they
 * lead nowhere. The VPN-VM itself sends upstream only the tunnel's own packets, which WireGuard
 * marks. Client traffic is masqueraded behind the tunnel's address, which is all the server knows.
 */
final class VpnRuleset {
    static final String TABLE = "bulkhead";
    static final List<String> VIRTUAL_DNS = List.of("10.139.1.1", "10.139.1.2");

    private VpnRuleset() {
    }

    /** @param dns the tunnel's DNS servers (IPv4); none drops every client's DNS */
    static String render(List<LinkEndpoint> clients, List<String> dns, String tunnel) {
        StringBuilder nft = new StringBuilder();
        nft.append("table inet ").append(TABLE).append(" {}\n");
        nft.append("delete table inet ").append(TABLE).append('\n');
        nft.append("table inet ").append(TABLE).append(" {\n");
        nft.append("  set clients {\n    type ifname . ipv4_addr\n");
        if (!clients.isEmpty()) {
            nft.append("    elements = { ").append(clients.stream().sorted(Comparator.comparingInt(c -> c.link().clientQid()))
                    .map(c -> "\"" + c.backendInterface() + "\" . " + c.link().clientAddress())
                    .collect(Collectors.joining(", "))).append(" }\n");
        }
        nft.append("  }\n");
        if (!dns.isEmpty()) {
            nft.append("  chain prerouting {\n    type nat hook prerouting priority dstnat; policy accept;\n");
            for (int i = 0; i < VIRTUAL_DNS.size(); i++) {
                nft.append("    iifname . ip saddr @clients ip daddr ").append(VIRTUAL_DNS.get(i))
                        .append(" meta l4proto { tcp, udp } th dport 53 dnat ip to ").append(dns.get(i % dns.size())).append('\n');
            }
            nft.append("  }\n");
        }
        nft.append("""
                  chain forward {
                    type filter hook forward priority filter; policy drop;
                    ct state invalid drop
                    iifname "%1$s" oifname "vif*" ct state established,related accept
                    ip daddr { %2$s } drop
                    iifname "vif*" oifname "%1$s" tcp flags syn tcp option maxseg size set rt mtu
                    iifname "vif*" oifname "%1$s" iifname . ip saddr @clients accept
                  }
                  chain input {
                    type filter hook input priority filter; policy drop;
                    iif lo accept
                    ct state established,related accept
                    iifname . ip saddr @clients icmp type echo-request accept
                  }
                  chain output {
                    type filter hook output priority filter; policy drop;
                    oif lo accept
                    oifname "%1$s" accept
                    oifname "vif*" ct state established,related accept
                    oifname "%3$s" meta mark %4$d meta l4proto udp accept
                  }
                  chain postrouting {
                    type nat hook postrouting priority srcnat; policy accept;
                    oifname "%1$s" masquerade
                  }
                }
                """.formatted(tunnel, String.join(", ", VIRTUAL_DNS), VpnLayout.UPSTREAM, VpnLayout.TABLE));
        return nft.toString();
    }
}
