package dev.bulkhead.role.netvm.internal;

import java.util.List;
import java.util.stream.Collectors;

import dev.bulkhead.api.hypervisor.LinkEndpoint;

/**
 * The NetVM's packet filter as one nftables transaction that replaces its table whole, so the
 * filter is never half loaded. Clients reach the uplink only from their own address on their own
 * link, never each other; nothing connects into them; the virtual DNS addresses go to the upstream
 * resolvers or nowhere.
 */
final class NetvmRuleset {
    static final String TABLE = "bulkhead";
    static final String VIRTUAL_DNS = "{ 10.139.1.1, 10.139.1.2 }";

    private NetvmRuleset() {
    }

    /**
     * @param uplink the uplink interface inside the NetVM, or {@code null} when it has none
     * @param dns upstream resolvers; empty drops DNS
     */
    static String render(String uplink, List<String> dns, List<LinkEndpoint> clients) {
        StringBuilder nft = new StringBuilder();
        nft.append("table inet ").append(TABLE).append(" {}\n");
        nft.append("delete table inet ").append(TABLE).append('\n');
        nft.append("table inet ").append(TABLE).append(" {\n");
        nft.append("  set clients {\n    type ifname . ipv4_addr\n");
        if (!clients.isEmpty()) {
            nft.append("    elements = { ").append(clients.stream()
                    .map(c -> "\"" + c.backendInterface() + "\" . " + c.link().clientAddress())
                    .collect(Collectors.joining(", "))).append(" }\n");
        }
        nft.append("  }\n");
        nft.append("  chain prerouting {\n    type nat hook prerouting priority dstnat; policy accept;\n");
        if (!dns.isEmpty()) {
            nft.append("    iifname \"vif*\" ip daddr ").append(VIRTUAL_DNS)
                    .append(" meta l4proto { tcp, udp } th dport 53 dnat ip to ").append(dns.get(0)).append('\n');
        }
        nft.append("  }\n");
        nft.append("  chain postrouting {\n    type nat hook postrouting priority srcnat; policy accept;\n");
        if (uplink != null) {
            nft.append("    oifname \"").append(uplink).append("\" masquerade\n");
        }
        nft.append("  }\n");
        nft.append("  chain forward {\n    type filter hook forward priority filter; policy drop;\n");
        nft.append("    ct state invalid drop\n");
        nft.append("    iifname \"vif*\" iifname . ip saddr != @clients drop\n");
        nft.append("    iifname \"vif*\" meta nfproto ipv6 drop\n");
        nft.append("    iifname \"vif*\" oifname \"vif*\" drop\n");
        nft.append("    ip daddr ").append(VIRTUAL_DNS).append(" drop\n");
        if (uplink != null) {
            nft.append("    iifname \"vif*\" oifname \"").append(uplink).append("\" accept\n");
            nft.append("    iifname \"").append(uplink).append("\" oifname \"vif*\" ct state established,related accept\n");
        }
        nft.append("  }\n");
        nft.append("  chain input {\n    type filter hook input priority filter; policy drop;\n");
        nft.append("    iif lo accept\n");
        nft.append("    ct state established,related accept\n");
        nft.append("    iifname \"vif*\" iifname . ip saddr @clients icmp type echo-request accept\n");
        nft.append("  }\n");
        nft.append("}\n");
        return nft.toString();
    }
}
