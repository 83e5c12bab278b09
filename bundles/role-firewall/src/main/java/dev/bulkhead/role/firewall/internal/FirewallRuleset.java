package dev.bulkhead.role.firewall.internal;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Objects;
import java.util.SortedMap;
import java.util.TreeMap;
import java.util.stream.Collectors;

import dev.bulkhead.api.firewall.FirewallRule;
import dev.bulkhead.api.firewall.FirewallRule.Action;
import dev.bulkhead.api.firewall.FirewallRule.PortRange;
import dev.bulkhead.api.firewall.FirewallRule.Proto;

/**
 * The FirewallVM's packet filter as nftables transactions, so a change never passes through an open
 * state: the first load replaces its table whole ({@link #render}), each change after it touches
 * only the chains and elements of the clients it concerns ({@link #update}). Each client has a chain
 * of its own with its rules in order and a final reject; the forward chain jumps to it through a
 * verdict map keyed by the client's link and address, so the cost per packet does not grow with the
 * number of clients and a packet from a forged address finds no chain. Every packet from a client
 * goes through its chain (not just the first of a connection); only answers from upstream are let
 * through as established, so a rule change cuts the connections it no longer allows. Consecutive
 * rules with the same action that differ in one field only become one rule with an anonymous set,
 * so a long policy stays cheap.
 */
final class FirewallRuleset {
    static final String TABLE = "bulkhead";
    /** The FirewallVM's link to its own netvm (its default route). */
    static final String UPSTREAM = "eth0";
    static final String REJECT = "reject with icmpx type admin-prohibited";
    private static final List<String> VIRTUAL_DNS = List.of("10.139.1.1", "10.139.1.2");

    private FirewallRuleset() {
    }

    /**
     * What the filter holds for one client: the key of its elements ({@code "vif4.0" . 10.137.0.4}), its name (the
     * comment of its chain) and the statements of its chain.
     */
    record ClientChain(String key, String client, List<String> statements) {
        ClientChain {
            statements = List.copyOf(statements);
        }
    }

    /** Each client's chain by its qid (the number in the chain's name), in the order of the qids. */
    static SortedMap<Integer, ClientChain> chains(List<ClientPolicy> clients) {
        SortedMap<Integer, ClientChain> chains = new TreeMap<>();
        for (ClientPolicy client : clients) {
            chains.put(client.link().link().clientQid(), new ClientChain(linkKey(client), client.link().link().client(), chain(client)));
        }
        return Collections.unmodifiableSortedMap(chains);
    }

    static String render(List<ClientPolicy> clients) {
        return render(chains(clients));
    }

    /** The whole filter, in one transaction that replaces the table. */
    static String render(SortedMap<Integer, ClientChain> chains) {
        StringBuilder nft = new StringBuilder();
        nft.append("table inet ").append(TABLE).append(" {}\n");
        nft.append("delete table inet ").append(TABLE).append('\n');
        nft.append("table inet ").append(TABLE).append(" {\n");
        nft.append("  set clients {\n    type ifname . ipv4_addr\n");
        elements(nft, chains.values().stream().map(ClientChain::key).toList());
        nft.append("  }\n");
        nft.append("  map client_chains {\n    type ifname . ipv4_addr : verdict\n");
        elements(nft, chains.entrySet().stream().map(e -> mapping(e.getKey(), e.getValue())).toList());
        nft.append("  }\n");
        chains.forEach((qid, chain) -> chain(nft, qid, chain, true));
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

    /**
     * The change from the filter {@code before} (as {@link #render} loaded it, or an update since) to the one of
     * {@code after}, in one transaction that touches only what differs: a client whose statements changed has its
     * chain flushed and refilled; a client that left loses its elements and chain; a new client gets them; one whose
     * link or name changed is both. Other clients' chains, rules and elements stay as they are. Empty when nothing
     * differs.
     */
    static String update(SortedMap<Integer, ClientChain> before, SortedMap<Integer, ClientChain> after) {
        StringBuilder gone = new StringBuilder();
        StringBuilder refilled = new StringBuilder();
        StringBuilder added = new StringBuilder();
        List<String> newElements = new ArrayList<>();
        List<String> newMappings = new ArrayList<>();
        before.forEach((qid, old) -> {
            ClientChain now = after.get(qid);
            if (now == null || !now.key().equals(old.key()) || !now.client().equals(old.client())) {
                gone.append("delete element inet ").append(TABLE).append(" client_chains { ").append(old.key()).append(" }\n");
                gone.append("delete element inet ").append(TABLE).append(" clients { ").append(old.key()).append(" }\n");
                gone.append("delete chain inet ").append(TABLE).append(' ').append(chainName(qid)).append('\n');
            } else if (!now.statements().equals(old.statements())) {
                refilled.append("flush chain inet ").append(TABLE).append(' ').append(chainName(qid)).append('\n');
                chain(added, qid, now, false);
            }
        });
        after.forEach((qid, now) -> {
            ClientChain old = before.get(qid);
            if (old == null || !now.key().equals(old.key()) || !now.client().equals(old.client())) {
                chain(added, qid, now, true);
                newElements.add(now.key());
                newMappings.add(mapping(qid, now));
            }
        });
        if (gone.isEmpty() && added.isEmpty()) {
            return "";
        }
        StringBuilder nft = new StringBuilder(gone).append(refilled);
        if (!added.isEmpty()) {
            nft.append("table inet ").append(TABLE).append(" {\n").append(added).append("}\n");
        }
        if (!newElements.isEmpty()) {
            nft.append("add element inet ").append(TABLE).append(" clients { ").append(String.join(", ", newElements)).append(" }\n");
            nft.append("add element inet ").append(TABLE).append(" client_chains { ").append(String.join(", ", newMappings)).append(" }\n");
        }
        return nft.toString();
    }

    /** A client's chain in a table block; its comment (the client's name) only where the chain is made. */
    private static void chain(StringBuilder nft, int qid, ClientChain chain, boolean comment) {
        nft.append("  chain ").append(chainName(qid)).append(" {\n");
        if (comment) {
            nft.append("    comment \"").append(chain.client()).append("\"\n");
        }
        for (String statement : chain.statements()) {
            nft.append("    ").append(statement).append('\n');
        }
        nft.append("  }\n");
    }

    private static String mapping(int qid, ClientChain chain) {
        return chain.key() + " : jump " + chainName(qid);
    }

    private static void elements(StringBuilder nft, List<String> elements) {
        if (!elements.isEmpty()) {
            nft.append("    elements = { ").append(String.join(", ", elements)).append(" }\n");
        }
    }

    private static String linkKey(ClientPolicy client) {
        return "\"" + client.link().backendInterface() + "\" . " + client.link().link().clientAddress();
    }

    static String chainName(int qid) {
        return "client-" + qid;
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
