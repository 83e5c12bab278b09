package dev.bulkhead.role.firewall.internal;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Objects;
import java.util.stream.Collectors;

import dev.bulkhead.api.firewall.FirewallRule;
import dev.bulkhead.api.firewall.FirewallRule.Action;
import dev.bulkhead.api.firewall.FirewallRule.PortRange;
import dev.bulkhead.api.firewall.FirewallRule.Proto;

/**
 * The FirewallVM's packet filter as one nftables transaction that replaces its table whole, so a
 * reload never passes through an open state. Each client has a chain of its own with its rules in
 * order and a final reject; the forward chain jumps to it through a verdict map keyed by the
 * client's link and address, so the cost per packet does not grow with the number of clients and a
 * packet from a forged address finds no chain. Every packet from a client goes through its chain
 * (not just the first of a connection); only answers from upstream are let through as established,
 * so a rule change cuts the connections it no longer allows. Consecutive rules with the same action
 * that differ in one field only become one rule with an anonymous set, so a long policy stays cheap.
 */
final class FirewallRuleset {
    static final String TABLE = "bulkhead";
    /** The FirewallVM's link to its own netvm (its default route). */
    static final String UPSTREAM = "eth0";
    static final String REJECT = "reject with icmpx type admin-prohibited";
    private static final List<String> VIRTUAL_DNS = List.of("10.139.1.1", "10.139.1.2");

    private FirewallRuleset() {
    }

    static String render(List<ClientPolicy> clients) {
        List<ClientPolicy> sorted = clients.stream().sorted(Comparator.comparingInt(c -> c.link().link().clientQid())).toList();
        StringBuilder nft = new StringBuilder();
        nft.append("table inet ").append(TABLE).append(" {}\n");
        nft.append("delete table inet ").append(TABLE).append('\n');
        nft.append("table inet ").append(TABLE).append(" {\n");
        nft.append("  set clients {\n    type ifname . ipv4_addr\n");
        elements(nft, sorted.stream().map(FirewallRuleset::linkKey).toList());
        nft.append("  }\n");
        nft.append("  map client_chains {\n    type ifname . ipv4_addr : verdict\n");
        elements(nft, sorted.stream().map(c -> linkKey(c) + " : jump " + chainName(c)).toList());
        nft.append("  }\n");
        for (ClientPolicy client : sorted) {
            nft.append("  chain ").append(chainName(client)).append(" {\n");
            nft.append("    comment \"").append(client.link().link().client()).append("\"\n");
            for (String statement : chain(client)) {
                nft.append("    ").append(statement).append('\n');
            }
            nft.append("  }\n");
        }
        nft.append("""
                  chain forward {
                    type filter hook forward priority filter; policy drop;
                    ct state invalid drop
                    iifname "%1$s" oifname "vif*" ct state established,related accept
                    iifname "vif*" oifname != "%1$s" drop
                    iifname "vif*" iifname . ip saddr vmap @client_chains
                  }
                  chain input {
                    type filter hook input priority filter; policy drop;
                    iif lo accept
                    ct state established,related accept
                    iifname "vif*" iifname . ip saddr @clients icmp type echo-request accept
                  }
                  chain postrouting {
                    type nat hook postrouting priority srcnat; policy accept;
                    oifname "%1$s" masquerade
                  }
                }
                """.formatted(UPSTREAM));
        return nft.toString();
    }

    private static void elements(StringBuilder nft, List<String> elements) {
        if (!elements.isEmpty()) {
            nft.append("    elements = { ").append(String.join(", ", elements)).append(" }\n");
        }
    }

    private static String linkKey(ClientPolicy client) {
        return "\"" + client.link().backendInterface() + "\" . " + client.link().link().clientAddress();
    }

    static String chainName(ClientPolicy client) {
        return "client-" + client.link().link().clientQid();
    }

    /**
     * The statements of a client's chain: its rules in order, then the reject for what none of them
     * accepted, unless a rule that matches everything already ended the chain. A blocked client's
     * chain is the reject alone.
     */
    static List<String> chain(ClientPolicy client) {
        List<String> out = new ArrayList<>();
        if (client.blockedBecause() == null) {
            for (Match match : merged(client)) {
                out.addAll(match.statements());
                if (match.matchesEverything()) {
                    return out;
                }
            }
        }
        out.add(REJECT);
        return out;
    }

    /** The client's rules as matches, each run of rules that can share one statement merged. */
    private static List<Match> merged(ClientPolicy client) {
        List<Match> out = new ArrayList<>();
        for (FirewallRule rule : client.rules()) {
            Match match = Match.of(rule, client);
            if (match == null) {
                continue;
            }
            Match last = out.isEmpty() ? null : out.get(out.size() - 1);
            Match both = last == null ? null : last.union(match);
            if (both != null) {
                out.set(out.size() - 1, both);
            } else {
                out.add(match);
            }
            if (match.matchesEverything()) {
                break;
            }
        }
        return out;
    }

    /**
     * What a rule matches, field by field; {@code null} matches anything. Two matches with the same
     * action that differ in one field only are, one after the other, the same as one match whose
     * field is the union of both: that is what makes merging exact under first-match-wins.
     *
     * @param dns the virtual DNS addresses and port 53 ({@code specialtarget=dns})
     * @param addresses destination addresses and ranges, IPv4 and IPv6
     * @param ports destination ports and ranges (tcp and udp)
     * @param icmpTypes ICMP types (icmp)
     */
    private record Match(Action action, Proto proto, boolean dns, List<String> addresses, List<String> ports,
            List<Integer> icmpTypes) {

        /**
         * The match of a rule, or {@code null} for a rule that can match nothing or must not: an
         * accept rule whose host name has no addresses.
         */
        static Match of(FirewallRule rule, ClientPolicy client) {
            if (rule.specialtarget() != null) {
                // DNS is tcp and udp port 53: a rule for icmp or for other ports selects nothing
                if (rule.proto() == Proto.ICMP || rule.dstports() != null && (rule.dstports().first() > 53 || rule.dstports().last() < 53)) {
                    return null;
                }
                return new Match(rule.action(), rule.proto(), true, null, null, null);
            }
            List<String> addresses = rule.dsthost() == null ? null
                    : rule.hasHostName() ? client.resolved().get(rule.dsthost()) : List.of(rule.dsthost());
            // A host name without addresses yet: its accept rule matches nothing and its drop rule
            // every address, so the filter never lets through more than the rules would.
            if (rule.hasHostName() && addresses == null && rule.action() == Action.ACCEPT) {
                return null;
            }
            PortRange ports = rule.dstports();
            return new Match(rule.action(), rule.proto(), false, addresses, ports == null ? null : List.of(ports.toString()),
                    rule.icmptype() == null ? null : List.of(rule.icmptype()));
        }

        boolean matchesEverything() {
            return proto == null && !dns && addresses == null;
        }

        /** One match for this one followed by {@code next}, or {@code null} when they cannot share one. */
        Match union(Match next) {
            if (action != next.action || proto != next.proto || dns != next.dns) {
                return null;
            }
            boolean sameAddresses = Objects.equals(addresses, next.addresses);
            boolean samePorts = Objects.equals(ports, next.ports);
            boolean sameTypes = Objects.equals(icmpTypes, next.icmpTypes);
            if (sameAddresses && samePorts && sameTypes) {
                return this;
            }
            if (samePorts && sameTypes && addresses != null && next.addresses != null) {
                return new Match(action, proto, dns, union(addresses, next.addresses), ports, icmpTypes);
            }
            if (sameAddresses && sameTypes && ports != null && next.ports != null) {
                return new Match(action, proto, dns, addresses, union(ports, next.ports), icmpTypes);
            }
            if (sameAddresses && samePorts && icmpTypes != null && next.icmpTypes != null) {
                return new Match(action, proto, dns, addresses, ports, union(icmpTypes, next.icmpTypes));
            }
            return null;
        }

        private static <T> List<T> union(List<T> a, List<T> b) {
            LinkedHashSet<T> all = new LinkedHashSet<>(a);
            all.addAll(b);
            return List.copyOf(all);
        }

        /** nft statements: one, or one per address family when the match has addresses of both. */
        List<String> statements() {
            String verdict = action == Action.ACCEPT ? "accept" : REJECT;
            if (dns) {
                String service = proto == null ? "meta l4proto { tcp, udp } th dport 53" : proto + " dport 53";
                return List.of("ip daddr " + set(VIRTUAL_DNS) + " " + service + " " + verdict);
            }
            if (addresses == null) {
                return List.of(join(transport(false), verdict));
            }
            List<String> out = new ArrayList<>();
            List<String> v4 = addresses.stream().filter(a -> !a.contains(":")).toList();
            List<String> v6 = addresses.stream().filter(a -> a.contains(":")).toList();
            if (!v4.isEmpty()) {
                out.add(join("ip daddr " + set(v4), transport(false), verdict));
            }
            if (!v6.isEmpty()) {
                out.add(join("ip6 daddr " + set(v6), transport(true), verdict));
            }
            return out;
        }

        private String transport(boolean ipv6) {
            if (proto == null) {
                return "";
            }
            if (proto == Proto.ICMP) {
                String icmp = ipv6 ? "icmpv6" : "icmp";
                return icmpTypes == null ? "meta l4proto " + (ipv6 ? "ipv6-icmp" : "icmp") : icmp + " type " + set(icmpTypes);
            }
            return ports == null ? "meta l4proto " + proto : proto + " dport " + set(ports);
        }

        private static String join(String... parts) {
            return Arrays.stream(parts).filter(p -> !p.isEmpty()).collect(Collectors.joining(" "));
        }

        private static String set(List<?> elements) {
            return elements.size() == 1 ? elements.get(0).toString()
                    : elements.stream().map(Object::toString).collect(Collectors.joining(", ", "{ ", " }"));
        }
    }
}
