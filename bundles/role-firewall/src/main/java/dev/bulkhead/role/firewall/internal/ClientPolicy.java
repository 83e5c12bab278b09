package dev.bulkhead.role.firewall.internal;

import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.stream.Collectors;

import dev.bulkhead.api.firewall.FirewallRule;
import dev.bulkhead.api.hypervisor.LinkEndpoint;

/**
 * One client's rules ready to render: every host name resolved ({@code resolved} maps it to its
 * addresses), or {@code blockedBecause} saying why the client gets no network at all.
 */
record ClientPolicy(LinkEndpoint link, List<FirewallRule> rules, Map<String, List<String>> resolved, String blockedBecause) {
    ClientPolicy {
        rules = List.copyOf(rules);
        resolved = Map.copyOf(resolved);
        if (blockedBecause == null) {
            for (String name : hostNames(rules)) {
                if (resolved.getOrDefault(name, List.of()).isEmpty()) {
                    throw new IllegalArgumentException("no addresses for host name '" + name + "' of a client that is not blocked");
                }
            }
        }
    }

    /**
     * The client's policy with the addresses its host names have; blocked, naming the first host
     * name without any, when there is one.
     *
     * @param lookupFailure why nothing could be looked up at all, or {@code null}
     */
    static ClientPolicy of(LinkEndpoint link, List<FirewallRule> rules, Map<String, List<String>> addresses, String lookupFailure) {
        String client = link.link().client();
        for (String name : hostNames(rules)) {
            if (addresses.getOrDefault(name, List.of()).isEmpty()) {
                String why = lookupFailure != null ? lookupFailure : "it does not resolve in '" + link.link().netvm() + "'";
                return blocked(link, rules, "firewall of '" + client + "': host name '" + name + "' cannot be used: " + why
                        + "; '" + client + "' has no network until it resolves or the rule is removed");
            }
        }
        return new ClientPolicy(link, rules, hostNames(rules).stream().collect(Collectors.toMap(n -> n, addresses::get)), null);
    }

    static ClientPolicy blocked(LinkEndpoint link, List<FirewallRule> rules, String why) {
        return new ClientPolicy(link, rules, Map.of(), why);
    }

    /** Whether this policy still holds, unchanged and without looking anything up again, for the client as it is now. */
    boolean holdsFor(LinkEndpoint now, List<FirewallRule> rulesNow) {
        return blockedBecause == null && link.equals(now) && rules.equals(rulesNow);
    }

    static Set<String> hostNames(List<FirewallRule> rules) {
        Set<String> names = new LinkedHashSet<>();
        for (FirewallRule rule : rules) {
            if (rule.hasHostName()) {
                names.add(rule.dsthost());
            }
        }
        return names;
    }

    String client() {
        return link.link().client();
    }
}
