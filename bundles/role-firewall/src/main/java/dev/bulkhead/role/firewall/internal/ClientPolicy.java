package dev.bulkhead.role.firewall.internal;

import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

import dev.bulkhead.api.firewall.FirewallRule;
import dev.bulkhead.api.hypervisor.LinkEndpoint;

/**
 * One client's rules ready to render: {@code resolved} maps each of their host names that has
 * addresses to them (a name without is left out, and its rules never allow what they would with
 * addresses), or {@code blockedBecause} says why the client gets no network at all.
 */
record ClientPolicy(LinkEndpoint link, List<FirewallRule> rules, Map<String, List<String>> resolved, String blockedBecause) {
    ClientPolicy {
        rules = List.copyOf(rules);
        resolved = Map.copyOf(resolved);
    }

    static ClientPolicy of(LinkEndpoint link, List<FirewallRule> rules, Map<String, List<String>> resolved) {
        return new ClientPolicy(link, rules, resolved, null);
    }

    static ClientPolicy blocked(LinkEndpoint link, List<FirewallRule> rules, String why) {
        return new ClientPolicy(link, rules, Map.of(), why);
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
