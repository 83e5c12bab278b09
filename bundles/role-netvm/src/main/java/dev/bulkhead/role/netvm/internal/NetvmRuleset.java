package dev.bulkhead.role.netvm.internal;

import java.util.Comparator;
import java.util.List;
import java.util.stream.Collectors;

import dev.bulkhead.api.hypervisor.LinkEndpoint;

/**
 * The NetVM's packet filter as one nftables transaction that replaces its table whole, so the
 * filter is never half loaded. Forwarding is an allow list of two: a client's packets from its own
 * address on its own link out through the uplink, and the answers. Everything else (forged
 * addresses, client to client, IPv6, connections into a client, anything from the uplink that was
 * not asked for) meets the drop policy. Qubes' virtual DNS addresses go to the upstream resolvers,
 * the first to the first and the second to the second (or the first again), or nowhere. The NetVM
 * itself sends no IPv6 upstream: as a router its kernel would report multicast groups there.
 */
final class NetvmRuleset {
    static final String TABLE = "bulkhead";
    static final List<String> VIRTUAL_DNS = List.of("10.139.1.1", "10.139.1.2");

    private NetvmRuleset() {
    }

    /**
     * @param uplink the uplink interface inside the NetVM, or {@code null} when it has none
     * @param dns upstream resolvers; none drops DNS
     */
    static String render(String uplink, List<String> dns, List<LinkEndpoint> clients) {
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
        if (uplink != null && !dns.isEmpty()) {
            nft.append("  chain prerouting {\n    type nat hook prerouting priority dstnat; policy accept;\n");
            for (int i = 0; i < VIRTUAL_DNS.size(); i++) {
                nft.append("    iifname \"vif*\" ip daddr ").append(VIRTUAL_DNS.get(i))
                        .append(" meta l4proto { tcp, udp } th dport 53 dnat ip to ").append(dns.get(i % dns.size())).append('\n');
            }
            nft.append("  }\n");
        }
        nft.append("  chain forward {\n    type filter hook forward priority filter; policy drop;\n");
        nft.append("    ct state invalid drop\n");
        if (uplink != null) {
            nft.append("    iifname \"").append(uplink).append("\" oifname \"vif*\" ct state established,related accept\n");
            // not turned into an upstream address above: DNS without a resolver, or not DNS at all
            nft.append("    ip daddr { ").append(String.join(", ", VIRTUAL_DNS)).append(" } drop\n");
            nft.append("    iifname \"vif*\" oifname \"").append(uplink).append("\" iifname . ip saddr @clients accept\n");
        }
        nft.append("  }\n");
        nft.append("""
                  chain input {
                    type filter hook input priority filter; policy drop;
                    iif lo accept
                    ct state established,related accept
                    iifname "vif*" iifname . ip saddr @clients icmp type echo-request accept
                  }
                """);
        if (uplink != null) {
            nft.append("  chain output {\n    type filter hook output priority filter; policy accept;\n");
            nft.append("    oifname \"").append(uplink).append("\" meta nfproto ipv6 drop\n  }\n");
            nft.append("  chain postrouting {\n    type nat hook postrouting priority srcnat; policy accept;\n");
            nft.append("    oifname \"").append(uplink).append("\" masquerade\n  }\n");
        }
        nft.append("}\n");
        return nft.toString();
    }
}
