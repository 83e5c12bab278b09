package dev.bulkhead.role.firewall.internal;

import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.stream.Collectors;

import dev.bulkhead.api.firewall.FirewallRule;
import dev.bulkhead.api.firewall.FirewallRule.Proto;

/**
 * The FirewallVM's packet filter as one nftables transaction that replaces its table whole. Each
 * client has a chain of its own with its rules in order and a final reject; the forward chain
 * jumps to it through a verdict map keyed by the client's link, so the cost per packet does not
 * grow with the number of clients. Every packet from a client goes through its chain (not just the
 * first of a connection), and answers come back only on connections the kernel tracks, so a rule
 * change (which forgets the client's tracked connections) cuts the ones it no longer allows. Consecutive rules
 * that differ only in their address are merged into one rule with an anonymous set.
 */
final class FirewallRuleset {
    static final String TABLE = "bulkhead";
    static final String VIRTUAL_DNS = "{ 10.139.1.1, 10.139.1.2 }";
    /** The FirewallVM's link to its own netvm. */
    static final String UPSTREAM = "eth0";
    private static final String REJECT = "reject with icmpx type admin-prohibited";

    private FirewallRuleset() {
    }

    static String render(List<ClientPolicy> clients) {
        StringBuilder nft = new StringBuilder();
        nft.append("table inet ").append(TABLE).append(" {}\n");
        nft.append("delete table inet ").append(TABLE).append('\n');
        nft.append("table inet ").append(TABLE).append(" {\n");
        nft.append("  set clients {\n    type ifname . ipv4_addr\n");
        if (!clients.isEmpty()) {
            nft.append("    elements = { ").append(clients.stream()
                    .map(c -> "\"" + c.link().backendInterface() + "\" . " + c.link().link().clientAddress())
                    .collect(Collectors.joining(", "))).append(" }\n");
        }
        nft.append("  }\n");
        for (ClientPolicy client : clients) {
            nft.append("  chain ").append(chainName(client)).append(" {\n");
            if (client.blockedBecause() == null) {
                for (String rule : rules(client)) {
                    nft.append("    ").append(rule).append('\n');
                }
            }
            nft.append("    ").append(REJECT).append("\n  }\n");
        }
        nft.append("  chain postrouting {\n    type nat hook postrouting priority srcnat; policy accept;\n");
        nft.append("    oifname \"").append(UPSTREAM).append("\" masquerade\n  }\n");
        nft.append("  chain forward {\n    type filter hook forward priority filter; policy drop;\n");
        nft.append("    ct state invalid drop\n");
        nft.append("    iifname \"").append(UPSTREAM).append("\" oifname \"vif*\" ct state established,related accept\n");
        nft.append("    iifname \"vif*\" iifname . ip saddr != @clients drop\n");
        nft.append("    iifname \"vif*\" meta nfproto ipv6 drop\n");
        nft.append("    iifname \"vif*\" oifname != \"").append(UPSTREAM).append("\" drop\n");
        if (!clients.isEmpty()) {
            nft.append("    iifname vmap { ").append(clients.stream()
                    .map(c -> "\"" + c.link().backendInterface() + "\" : jump " + chainName(c))
                    .collect(Collectors.joining(", "))).append(" }\n");
        }
        nft.append("  }\n");
        nft.append("  chain input {\n    type filter hook input priority filter; policy drop;\n");
        nft.append("    iif lo accept\n    ct state established,related accept\n");
        nft.append("    iifname \"vif*\" iifname . ip saddr @clients icmp type echo-request accept\n  }\n");
        nft.append("}\n");
        return nft.toString();
    }

    static String chainName(ClientPolicy client) {
        return "client-" + client.link().link().clientQid();
    }

    /** The client's rules as nft statements, runs of rules that differ only in address merged. */
    static List<String> rules(ClientPolicy client) {
        List<String> out = new ArrayList<>();
        List<FirewallRule> rules = client.rules();
        int i = 0;
        while (i < rules.size()) {
            FirewallRule first = rules.get(i);
            List<String> addresses = new ArrayList<>(addresses(client, first));
            int j = i + 1;
            while (first.dsthost() != null && j < rules.size() && sameShape(first, rules.get(j))
                    && family(addresses) == family(addresses(client, rules.get(j)))) {
                addresses.addAll(addresses(client, rules.get(j)));
                j++;
            }
            out.addAll(statements(first, addresses));
            i = j;
        }
        return out;
    }

    private static boolean sameShape(FirewallRule a, FirewallRule b) {
        return b.dsthost() != null && a.action() == b.action() && a.proto() == b.proto() && Objects.equals(a.dstports(), b.dstports())
                && Objects.equals(a.icmptype(), b.icmptype()) && a.specialtarget() == null && b.specialtarget() == null;
    }

    /** The rule's destination addresses; empty for a rule without dsthost. */
    private static List<String> addresses(ClientPolicy client, FirewallRule rule) {
        if (rule.dsthost() == null) {
            return List.of();
        }
        if (rule.hasHostName()) {
            return client.resolved().getOrDefault(rule.dsthost(), List.of());
        }
        return List.of(rule.dsthost());
    }

    private static int family(List<String> addresses) {
        return addresses.isEmpty() ? 0 : addresses.get(0).contains(":") ? 6 : 4;
    }

    /** One statement per address family the rule names (a host name may have both). */
    private static List<String> statements(FirewallRule rule, List<String> addresses) {
        String verdict = rule.action() == FirewallRule.Action.ACCEPT ? "accept" : REJECT;
        String match = protocol(rule);
        if (rule.specialtarget() != null) {
            String proto = rule.proto() == null ? "meta l4proto { tcp, udp } " : match;
            return List.of(("ip daddr " + VIRTUAL_DNS + " " + proto + "th dport 53 " + verdict).replace("  ", " "));
        }
        if (rule.dsthost() == null) {
            return List.of((match + verdict).strip());
        }
        List<String> v4 = addresses.stream().filter(a -> !a.contains(":")).toList();
        List<String> v6 = addresses.stream().filter(a -> a.contains(":")).toList();
        List<String> out = new ArrayList<>();
        if (!v4.isEmpty()) {
            out.add("ip daddr " + set(v4) + " " + match + verdict);
        }
        if (!v6.isEmpty() && rule.proto() != Proto.ICMP) {
            out.add("ip6 daddr " + set(v6) + " " + match + verdict);
        }
        return out;
    }

    private static String protocol(FirewallRule rule) {
        if (rule.proto() == null) {
            return "";
        }
        StringBuilder sb = new StringBuilder("meta l4proto ").append(rule.proto()).append(' ');
        if (rule.dstports() != null) {
            sb.append("th dport ").append(rule.dstports()).append(' ');
        }
        if (rule.icmptype() != null) {
            sb.append("icmp type ").append(rule.icmptype()).append(' ');
        }
        return sb.toString();
    }

    private static String set(List<String> addresses) {
        return addresses.size() == 1 ? addresses.get(0) : "{ " + String.join(", ", addresses) + " }";
    }
}
