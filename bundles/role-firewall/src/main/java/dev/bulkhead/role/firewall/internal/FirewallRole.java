package dev.bulkhead.role.firewall.internal;

import java.lang.System.Logger.Level;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import org.osgi.service.component.annotations.Component;

import dev.bulkhead.api.AdminException;
import dev.bulkhead.api.ExecResult;
import dev.bulkhead.api.firewall.FirewallRule;
import dev.bulkhead.api.hypervisor.LinkEndpoint;
import dev.bulkhead.api.role.QubeRole;
import dev.bulkhead.api.role.RoleContext;

/**
 * The FirewallVM role, as Qubes' sys-firewall: enforces each client's firewall rules in its qube.
 * Host names in rules are resolved inside the FirewallVM (dom0 has no network); a client with a
 * name that does not resolve gets no traffic at all until it does.
 */
@Component(service = QubeRole.class)
public final class FirewallRole implements QubeRole {
    private static final System.Logger LOG = System.getLogger(FirewallRole.class.getName());
    private static final Duration TIMEOUT = Duration.ofSeconds(30);

    @Override
    public String id() {
        return "firewall";
    }

    @Override
    public String description() {
        return "enforces each client qube's firewall rules (sys-firewall)";
    }

    @Override
    public boolean providesNetwork() {
        return true;
    }

    @Override
    public void started(RoleContext context) {
        apply(context, null);
    }

    @Override
    public void stopping(RoleContext context) {
        // the qube's filter goes with it
    }

    @Override
    public void clientAttached(RoleContext context, LinkEndpoint link) {
        apply(context, link.link().client());
    }

    @Override
    public void clientDetached(RoleContext context, LinkEndpoint link) {
        apply(context, null);
    }

    /** New rules apply to connections already open too: the client's tracked connections are forgotten. */
    @Override
    public void clientChanged(RoleContext context, LinkEndpoint link) {
        try {
            apply(context, link.link().client());
        } finally {
            // exits 1 when there was nothing to forget
            context.exec(List.of("conntrack", "-D", "-s", link.link().clientAddress()), new byte[0], TIMEOUT);
        }
    }

    /**
     * Reloads the whole filter. When {@code concerned} is a client whose rules cannot be applied,
     * the filter is loaded with that client blocked and the reason is thrown to the caller.
     */
    private static void apply(RoleContext context, String concerned) {
        List<ClientPolicy> policies = new ArrayList<>();
        String concernedProblem = null;
        for (LinkEndpoint link : context.clients()) {
            ClientPolicy policy = policy(context, link);
            policies.add(policy);
            if (policy.blockedBecause() != null) {
                LOG.log(Level.WARNING, policy.blockedBecause());
                if (link.link().client().equals(concerned)) {
                    concernedProblem = policy.blockedBecause();
                }
            }
        }
        String ruleset = FirewallRuleset.render(policies);
        ExecResult r = context.exec(List.of("nft", "-f", "-"), ruleset.getBytes(StandardCharsets.UTF_8), TIMEOUT);
        if (r.exitStatus() != 0) {
            throw new AdminException("cannot load the firewall of " + context.qube().name() + ": " + r.stderrText().strip());
        }
        if (concernedProblem != null) {
            throw new AdminException(concernedProblem);
        }
    }

    private static ClientPolicy policy(RoleContext context, LinkEndpoint link) {
        String client = link.link().client();
        List<FirewallRule> rules = context.firewallRules(client);
        Map<String, List<String>> resolved = new LinkedHashMap<>();
        for (FirewallRule rule : rules) {
            if (rule.hasHostName() && !resolved.containsKey(rule.dsthost())) {
                List<String> addresses = resolve(context, rule.dsthost());
                if (addresses.isEmpty()) {
                    return new ClientPolicy(link, rules, Map.of(), "firewall of '" + client + "': host name '"
                            + rule.dsthost() + "' does not resolve, so '" + client + "' gets no traffic until it does");
                }
                resolved.put(rule.dsthost(), addresses);
            }
        }
        return new ClientPolicy(link, rules, resolved, null);
    }

    /** Addresses of a host name, looked up inside the FirewallVM; empty when it does not resolve. */
    private static List<String> resolve(RoleContext context, String host) {
        // the exit status also counts a failed AAAA query; the answers decide
        return NslookupOutput.addresses(context.exec(List.of("nslookup", host), new byte[0], TIMEOUT).stdoutText());
    }
}
