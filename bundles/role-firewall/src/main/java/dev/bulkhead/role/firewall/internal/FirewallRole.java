package dev.bulkhead.role.firewall.internal;

import java.lang.System.Logger.Level;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.ThreadFactory;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

import org.osgi.service.component.annotations.Activate;
import org.osgi.service.component.annotations.Component;
import org.osgi.service.component.annotations.Deactivate;
import org.osgi.service.component.annotations.Modified;
import org.osgi.service.metatype.annotations.Designate;

import dev.bulkhead.api.AdminException;
import dev.bulkhead.api.firewall.FirewallRule;
import dev.bulkhead.api.hypervisor.LinkEndpoint;
import dev.bulkhead.api.role.QubePrograms;
import dev.bulkhead.api.role.QubeRole;
import dev.bulkhead.api.role.RoleContext;

/**
 * The FirewallVM role, as Qubes' sys-firewall: enforces each client's firewall rules in its qube.
 * Host names in rules are resolved inside the FirewallVM (dom0 has no network), in the background
 * and never while the core waits for the role: until a name has addresses, its rules allow nothing
 * (an accept rule matches nothing, a drop rule matches every address), and the filter is reloaded
 * when the answers come or change. The first load puts the whole filter in place; each change after
 * it, in one transaction, replaces only the chains and elements of the clients it concerns
 * ({@link FilterLoader}).
 */
@Component(service = QubeRole.class, configurationPid = FirewallConfig.PID)
@Designate(ocd = FirewallConfig.class)
public final class FirewallRole implements QubeRole {
    static final String ID = "firewall";
    /** What a FirewallVM runs in its root; named when a command fails for want of one. */
    static final QubePrograms PROGRAMS = QubePrograms.of("nft", "nftables", "conntrack", "conntrack", "nslookup", "busybox");
    private static final System.Logger LOG = System.getLogger(FirewallRole.class.getName());
    /**
     * Bounds each command in the qube (nft, conntrack), which a transition of the core may wait for: as long as the NetVM
     * role's, since a VM's first nft loads its netfilter modules, which takes more than 10 s in a TCG guest under load.
     */
    private static final Duration TIMEOUT = Duration.ofSeconds(30);
    /** How long a change of a client's rules waits, holding nothing, for the first answers of its new host names. */
    static final Duration ANSWER_WAIT = Duration.ofSeconds(15);
    /** How often each FirewallVM checks which of its names are due to be looked up again. */
    private static final Duration TICK = Duration.ofSeconds(2);

    private final Map<String, Firewall> firewalls = new ConcurrentHashMap<>();
    /** Ticks of every FirewallVM's cache. */
    private final ScheduledExecutorService timer = Executors.newSingleThreadScheduledExecutor(daemon("bulkhead-firewall-timer"));
    /** Lookups: at most one at a time per FirewallVM, so a resolver that does not answer holds up only its own. */
    private final ExecutorService lookups = Executors.newCachedThreadPool(daemon("bulkhead-firewall-lookup"));

    /** When answers are looked up again: after {@code refresh} for a name that resolved, {@code retry} for one that did not. */
    private record Intervals(Duration refresh, Duration retry) {
        static Intervals of(FirewallConfig config) {
            return new Intervals(seconds("dns_refresh", config.dns_refresh()), seconds("dns_retry", config.dns_retry()));
        }

        private static Duration seconds(String setting, long value) {
            if (value < 1 || value > FirewallConfig.MAX_SECONDS) {
                throw new IllegalArgumentException("invalid " + setting + " '" + value + "': a number of seconds from 1 to "
                        + FirewallConfig.MAX_SECONDS);
            }
            return Duration.ofSeconds(value);
        }
    }

    private volatile Intervals intervals;

    @Activate
    public FirewallRole(FirewallConfig config) {
        intervals = Intervals.of(config);
    }

    @Modified
    void modified(FirewallConfig config) {
        intervals = Intervals.of(config);
    }

    private static ThreadFactory daemon(String name) {
        return r -> {
            Thread t = new Thread(r, name);
            t.setDaemon(true);
            return t;
        };
    }

    @Deactivate
    void deactivate() {
        timer.shutdownNow();
        lookups.shutdownNow();
    }

    /** One running FirewallVM: how to reach it and what its names resolve to; its monitor orders the reloads of its filter. */
    private final class Firewall {
        final String name;
        final RoleContext context;
        final HostNameCache names;
        final FilterLoader filter;
        final ScheduledFuture<?> refresh;

        Firewall(RoleContext context) {
            this.name = context.qube().name();
            this.context = context;
            this.names = new HostNameCache(n -> HostNameLookup.answers(context, n), lookups, () -> reapply(this));
            this.filter = new FilterLoader(context, TIMEOUT);
            this.refresh = timer.scheduleWithFixedDelay(this::refresh, TICK.toMillis(), TICK.toMillis(), TimeUnit.MILLISECONDS);
        }

        private void refresh() {
            try {
                Set<String> inUse = new LinkedHashSet<>();
                for (LinkEndpoint link : context.clients()) {
                    inUse.addAll(ClientPolicy.hostNames(context.firewallRules(link.link().client())));
                }
                Intervals now = intervals;
                names.refresh(inUse, Instant.now(), now.refresh(), now.retry());
            } catch (RuntimeException e) {
                LOG.log(Level.WARNING, "cannot look the host names of the rules behind '" + name + "' up again: " + e.getMessage());
            }
        }
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
        Firewall fresh = new Firewall(context);
        Firewall before = firewalls.put(fresh.name, fresh);
        if (before != null) {
            before.refresh.cancel(false);
        }
        apply(fresh, null, null);
    }

    @Override
    public void stopping(RoleContext context) {
        // the qube's filter goes with it; answers still on their way find it gone
        Firewall gone = firewalls.remove(context.qube().name());
        if (gone != null) {
            gone.refresh.cancel(false);
        }
    }

    @Override
    public void clientAttached(RoleContext context, LinkEndpoint link) {
        apply(firewall(context), link.link().client(), null);
    }

    @Override
    public void clientDetached(RoleContext context, LinkEndpoint link) {
        apply(firewall(context), null, null);
    }

    /**
     * New rules apply to connections already open too: the client's chain sees every packet it
     * sends, and its tracked connections are forgotten, so answers to what the new rules refuse have
     * no connection to come back on. Then, holding nothing, it waits a while for the first answers
     * of host names new to this FirewallVM, so that the caller finds them in force or in
     * {@link #clientProblems}; a change that brings no new name (expired rules going) waits for none.
     */
    @Override
    public void clientChanged(RoleContext context, LinkEndpoint link) {
        Firewall firewall = firewall(context);
        String client = link.link().client();
        Set<String> unanswered = new LinkedHashSet<>(ClientPolicy.hostNames(context.firewallRules(client)));
        unanswered.removeAll(firewall.names.known(unanswered).keySet());
        // names already on their way came with an earlier change, whose caller was told about them
        unanswered.removeIf(firewall.names::pending);
        apply(firewall, client, link);
        if (!unanswered.isEmpty()) {
            try {
                firewall.names.lookUp(unanswered).get(ANSWER_WAIT.toMillis(), TimeUnit.MILLISECONDS);
            } catch (TimeoutException | ExecutionException e) {
                // still unanswered: the rules stay closed, and clientProblems says so
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
    }

    /** Each rule of the client that is not in force as written because its host name has no addresses, and why. */
    @Override
    public List<String> clientProblems(RoleContext context, LinkEndpoint link) {
        Firewall firewall = firewalls.get(context.qube().name());
        if (firewall == null) {
            return List.of();
        }
        String client = link.link().client();
        List<FirewallRule> rules = context.firewallRules(client);
        Map<String, HostNameCache.Answer> known = firewall.names.known(ClientPolicy.hostNames(rules));
        List<String> problems = new ArrayList<>();
        for (int i = 0; i < rules.size(); i++) {
            FirewallRule rule = rules.get(i);
            if (!rule.hasHostName()) {
                continue;
            }
            HostNameCache.Answer answer = known.get(rule.dsthost());
            if (answer != null && answer.resolved()) {
                continue;
            }
            String state = answer == null ? "is still being looked up"
                    : answer.failure() == null ? "does not resolve" : "could not be looked up (" + answer.failure() + ")";
            String meanwhile = rule.action() == FirewallRule.Action.ACCEPT ? "allows nothing" : "drops to every address";
            problems.add("rule " + i + " of '" + client + "' (" + rule + "): host name '" + rule.dsthost() + "' " + state + " in '"
                    + firewall.name + "'; the rule " + meanwhile + " until it resolves");
        }
        return problems;
    }

    private Firewall firewall(RoleContext context) {
        return firewalls.computeIfAbsent(context.qube().name(), n -> new Firewall(context));
    }

    /** New answers for the names: the filter follows, unless the qube has stopped meanwhile. */
    private void reapply(Firewall firewall) {
        if (firewalls.get(firewall.name) != firewall) {
            return;
        }
        try {
            apply(firewall, null, null);
        } catch (AdminException e) {
            LOG.log(Level.WARNING, "cannot reload the firewall of '" + firewall.name + "' with new answers: " + e.getMessage());
        }
    }

    /**
     * Puts the filter in force from the answers known now; names without one are looked up in the background, and
     * the {@code concerned} client's all again. Given a {@code cut} link, its client's open connections are forgotten
     * too. When the concerned client cannot be given its rules, the filter is loaded with it blocked and the reason is
     * thrown to the caller; so is a failure to cut (after the filter is in force).
     */
    private void apply(Firewall firewall, String concerned, LinkEndpoint cut) {
        List<ClientPolicy> policies;
        AdminException notCut;
        synchronized (firewall) {
            policies = policies(firewall, concerned);
            notCut = firewall.filter.load(policies, cut);
        }
        AdminException problem = null;
        for (ClientPolicy policy : policies) {
            if (policy.blockedBecause() != null) {
                LOG.log(Level.WARNING, policy.blockedBecause());
                if (policy.client().equals(concerned)) {
                    problem = new AdminException(policy.blockedBecause());
                }
            }
        }
        if (problem == null) {
            problem = notCut;
        } else if (notCut != null) {
            problem.addSuppressed(notCut);
        }
        if (problem != null) {
            throw problem;
        }
    }

    private static List<ClientPolicy> policies(Firewall firewall, String concerned) {
        RoleContext context = firewall.context;
        List<ClientPolicy> policies = new ArrayList<>();
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
            Set<String> names = ClientPolicy.hostNames(rules);
            Map<String, HostNameCache.Answer> known = firewall.names.known(names);
            Set<String> toLookUp = new LinkedHashSet<>(names);
            if (!client.equals(concerned)) {
                toLookUp.removeAll(known.keySet());
            }
            if (!toLookUp.isEmpty()) {
                firewall.names.lookUp(toLookUp);
            }
            Map<String, List<String>> resolved = new HashMap<>();
            known.forEach((name, answer) -> {
                if (answer.resolved()) {
                    resolved.put(name, answer.addresses());
                }
            });
            policies.add(ClientPolicy.of(link, rules, resolved));
        }
        return policies;
    }
}
