package dev.bulkhead.role.firewall.internal;

import java.util.List;
import java.util.Map;

import dev.bulkhead.api.firewall.FirewallRule;
import dev.bulkhead.api.hypervisor.LinkEndpoint;

/**
 * One client's rules ready to render: host names already resolved ({@code resolved} maps a name to
 * its addresses), or {@code blockedBecause} saying why the client gets nothing at all.
 */
record ClientPolicy(LinkEndpoint link, List<FirewallRule> rules, Map<String, List<String>> resolved, String blockedBecause) {
}
