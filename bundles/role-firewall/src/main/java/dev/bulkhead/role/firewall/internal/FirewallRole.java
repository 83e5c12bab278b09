package dev.bulkhead.role.firewall.internal;

import java.lang.System.Logger.Level;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.Function;
import java.util.stream.Collectors;

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
 * name that does not resolve gets no traffic at all until it does. Every change reloads the whole
 * filter in one transaction; only the client that changed has its names looked up again.
 */
@Component(service = QubeRole.class)
public final class FirewallRole implements QubeRole {
    static final String ID = "firewall";
    private static final System.Logger LOG = System.getLogger(FirewallRole.class.getName());
    private static final Duration TIMEOUT = Duration.ofSeconds(30);
    private static final byte[] NO_INPUT = new byte[0];

    /** What each running FirewallVM has loaded; its monitor orders the reloads of that qube. */
    private final Map<String, Loaded> firewalls = new ConcurrentHashMap<>();

    private static final class Loaded {
        Map<String, ClientPolicy> byClient = Map.of();
    }

    @Override
    public String id() {
        return ID;
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
        firewalls.put(context.qube().name(), new Loaded());
        apply(context, null);
    }

    @Override
    public void stopping(RoleContext context) {
        // the qube's filter goes with it
        firewalls.remove(context.qube().name());
    }

    @Override
    public void clientAttached(RoleContext context, LinkEndpoint link) {
        apply(context, link.link().client());
    }

    @Override
    public void clientDetached(RoleContext context, LinkEndpoint link) {
        apply(context, null);
    }

    /**
     * New rules apply to connections already open too: the client's chain sees every packet it
     * sends, and its tracked connections are forgotten, so answers to what the new rules refuse have
     * no connection to come back on.
     */
    @Override
    public void clientChanged(RoleContext context, LinkEndpoint link) {
        AdminException problem = null;
        try {
            apply(context, link.link().client());
        } catch (AdminException e) {
            problem = e;
        }
        try {
            forgetConnections(context, link);
        } catch (AdminException e) {
            if (problem == null) {
                problem = e;
            } else {
                problem.addSuppressed(e);
            }
        }
        if (problem != null) {
            throw problem;
        }
    }

    private static void forgetConnections(RoleContext context, LinkEndpoint link) {
        ExecResult r = context.exec(List.of("conntrack", "-D", "-s", link.link().clientAddress()), NO_INPUT, TIMEOUT);
        // it exits 1 also when there was nothing to forget, and then says how many it deleted: 0
        boolean done = r.exitStatus() == 0 || r.exitStatus() == 1 && r.stderrText().contains("flow entries have been deleted");
        if (!done) {
            throw new AdminException("the open connections of '" + link.link().client() + "' in '" + context.qube().name()
                    + "' could not be cut: " + r.stderrText().strip());
        }
    }

    /**
     * Reloads the whole filter. When {@code concerned} is a client whose rules cannot be applied,
     * the filter is loaded with that client blocked and the reason is thrown to the caller.
     */
    private void apply(RoleContext context, String concerned) {
        Loaded loaded = firewalls.computeIfAbsent(context.qube().name(), n -> new Loaded());
        List<ClientPolicy> policies;
        synchronized (loaded) {
            policies = policies(context, loaded.byClient, concerned);
            load(context, policies);
            loaded.byClient = policies.stream().collect(Collectors.toMap(ClientPolicy::client, Function.identity()));
        }
        for (ClientPolicy policy : policies) {
            if (policy.blockedBecause() != null) {
                LOG.log(Level.WARNING, policy.blockedBecause());
                if (policy.client().equals(concerned)) {
                    throw new AdminException(policy.blockedBecause());
                }
            }
        }
    }

    /**
     * The policy of every attached client. Names are looked up for the concerned client and for
     * those whose rules changed or were blocked; the others keep what was loaded for them.
     */
    private static List<ClientPolicy> policies(RoleContext context, Map<String, ClientPolicy> before, String concerned) {
        List<ClientPolicy> policies = new ArrayList<>();
        Map<LinkEndpoint, List<FirewallRule>> fresh = new LinkedHashMap<>();
        for (LinkEndpoint link : context.clients()) {
            String client = link.link().client();
            List<FirewallRule> rules;
            try {
                rules = context.firewallRules(client);
            } catch (AdminException e) {
                policies.add(ClientPolicy.blocked(link, List.of(), "firewall of '" + client + "': cannot read its rules: "
                        + e.getMessage()));
                continue;
            }
            ClientPolicy previous = before.get(client);
            if (!client.equals(concerned) && previous != null && previous.holdsFor(link, rules)) {
                policies.add(previous);
            } else {
                fresh.put(link, rules);
            }
        }
        Set<String> names = new LinkedHashSet<>();
        fresh.values().forEach(rules -> names.addAll(ClientPolicy.hostNames(rules)));
        Map<String, List<String>> addresses = Map.of();
        String lookupFailure = null;
        try {
            addresses = HostNameLookup.resolve(context, names);
        } catch (AdminException e) {
            lookupFailure = e.getMessage();
        }
        for (Map.Entry<LinkEndpoint, List<FirewallRule>> e : fresh.entrySet()) {
            policies.add(ClientPolicy.of(e.getKey(), e.getValue(), addresses, lookupFailure));
        }
        return policies;
    }

    /**
     * Loads the filter. Should the kernel refuse it, the filter that blocks every client is loaded
     * instead, so that a failed change never leaves the previous, possibly wider, rules in force.
     */
    private static void load(RoleContext context, List<ClientPolicy> policies) {
        String refused = nft(context, FirewallRuleset.render(policies));
        if (refused == null) {
            return;
        }
        String reason = "cannot load the firewall of '" + context.qube().name() + "': " + refused;
        String closed = nft(context, FirewallRuleset.render(policies.stream()
                .map(p -> ClientPolicy.blocked(p.link(), p.rules(), reason)).toList()));
        throw new AdminException(reason + (closed == null ? "; all its clients are cut off"
                : "; cutting its clients off failed too: " + closed));
    }

    /** Loads a ruleset; returns why the kernel refused it, or {@code null}. */
    private static String nft(RoleContext context, String ruleset) {
        ExecResult r = context.exec(List.of("nft", "-f", "-"), ruleset.getBytes(StandardCharsets.UTF_8), TIMEOUT);
        return r.exitStatus() == 0 ? null : r.stderrText().strip();
    }
}
