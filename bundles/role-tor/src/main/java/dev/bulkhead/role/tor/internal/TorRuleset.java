package dev.bulkhead.role.tor.internal;

import java.util.Comparator;
import java.util.List;
import java.util.stream.Collectors;

import dev.bulkhead.api.hypervisor.LinkEndpoint;

/**
 * The TorVM's packet filter, as the Whonix gateway's, in one nftables transaction that replaces its
 * table whole. A client's TCP, whatever its destination, is redirected to tor's TransPort and its
 * DNS to the DNSPort; nothing is forwarded, so UDP, ICMP and IPv6 from clients go nowhere. The
 * TorVM itself sends out only what tor's user sends. With tor stopped, a client's connection finds
 * the port closed and is refused at once; nothing takes another way.
 */
final class TorRuleset {
    static final String TABLE = "bulkhead";
    /** The TorVM's link to its own netvm. */
    static final String UPSTREAM = "eth0";

    private TorRuleset() {
    }

    /** @param torUser the user tor runs as: the only one whose packets leave through {@link #UPSTREAM} */
    static String render(List<LinkEndpoint> clients, String torUser) {
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
        nft.append("""
                  chain prerouting {
                    type nat hook prerouting priority dstnat; policy accept;
                    iifname . ip saddr @clients udp dport 53 redirect to :%1$d
                    iifname . ip saddr @clients meta l4proto tcp redirect to :%2$d
                  }
                  chain input {
                    type filter hook input priority filter; policy drop;
                    iif lo accept
                    ct state established,related accept
                    iifname . ip saddr @clients tcp dport %2$d accept
                    iifname . ip saddr @clients udp dport %1$d accept
                  }
                  chain forward {
                    type filter hook forward priority filter; policy drop;
                  }
                  chain output {
                    type filter hook output priority filter; policy drop;
                    oif lo accept
                    oifname "vif*" ct state established,related accept
                    oifname "%3$s" meta skuid "%4$s" meta l4proto tcp accept
                  }
                }
                """.formatted(TorLayout.DNS_PORT, TorLayout.TRANS_PORT, UPSTREAM, torUser));
        return nft.toString();
    }
}
