package dev.bulkhead.role.firewall.internal;

import java.lang.System.Logger.Level;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.SortedMap;

import dev.bulkhead.api.AdminException;
import dev.bulkhead.api.ExecResult;
import dev.bulkhead.api.hypervisor.LinkEndpoint;
import dev.bulkhead.api.role.RoleContext;

/**
 * Puts one FirewallVM's filter in force and remembers what it holds, so that each change after the
 * first load is a transaction of what differs ({@link FirewallRuleset#update}) rather than the
 * whole table. Should the kernel refuse a change (someone altered the table inside the qube, say),
 * the whole filter is loaded instead; should it refuse that too, the filter that blocks every
 * client. A change that cuts a client's open connections runs {@code nft} and {@code conntrack} as
 * one command in the qube: a command costs a process start there ({@code runc exec} on the lite
 * backend), which is most of what a change costs. Not thread-safe: its FirewallVM's monitor orders
 * its calls.
 */
final class FilterLoader {
    /** The exit status of {@link #LOAD_THEN_CUT} when {@code nft} refused the filter (and nothing was cut). */
    static final int NFT_REFUSED = 125;
    /** Loads the filter on stdin, then forgets the connections of the address in {@code $1}. */
    static final String LOAD_THEN_CUT = "nft -f - || exit " + NFT_REFUSED + "\nexec conntrack -D -s \"$1\"\n";
    private static final System.Logger LOG = System.getLogger(FilterLoader.class.getName());
    private static final byte[] NO_INPUT = new byte[0];

    private final RoleContext context;
    private final Duration timeout;
    /** What the filter in the qube holds, or {@code null} when that is not known: the next load replaces it whole. */
    private SortedMap<Integer, FirewallRuleset.ClientChain> loaded;

    FilterLoader(RoleContext context, Duration timeout) {
        this.context = context;
        this.timeout = timeout;
    }

    /** What one command in the qube did: why {@code nft} refused (and then nothing was cut), or what cutting found wrong. */
    private record Step(String refused, AdminException cutProblem) {
    }

    /**
     * Puts the policies in force and, given a {@code cut} link, forgets its client's open connections. Returns what
     * went wrong cutting them, or {@code null}; throws when no filter with the policies could be loaded, after loading
     * the one that cuts every client off.
     */
    AdminException load(List<ClientPolicy> policies, LinkEndpoint cut) {
        SortedMap<Integer, FirewallRuleset.ClientChain> next = FirewallRuleset.chains(policies);
        SortedMap<Integer, FirewallRuleset.ClientChain> before = loaded;
        loaded = null;
        Step step = step(before == null ? FirewallRuleset.render(next) : FirewallRuleset.update(before, next), cut);
        if (step.refused() != null && before != null) {
            LOG.log(Level.WARNING, "the firewall of '" + context.qube().name() + "' refused a change (" + step.refused()
                    + "); loading it whole instead");
            step = step(FirewallRuleset.render(next), cut);
        }
        if (step.refused() == null) {
            loaded = next;
            return step.cutProblem();
        }
        String reason = "cannot load the firewall of '" + context.qube().name() + "': " + step.refused();
        List<ClientPolicy> blocked = policies.stream().map(p -> ClientPolicy.blocked(p.link(), p.rules(), reason)).toList();
        String closed = nft(FirewallRuleset.render(blocked));
        if (closed == null) {
            loaded = FirewallRuleset.chains(blocked);
        }
        AdminException e = FirewallRole.PROGRAMS.explain(context, new AdminException(reason + (closed == null
                ? "; all its clients are cut off" : "; cutting its clients off failed too: " + closed)));
        if (cut != null) {
            AdminException notCut = cutProblem(cut, forget(cut));
            if (notCut != null) {
                e.addSuppressed(notCut);
            }
        }
        throw e;
    }

    /** Loads a ruleset (none when it is empty) and cuts the connections of {@code cut}'s client, if given, in one command. */
    private Step step(String ruleset, LinkEndpoint cut) {
        if (cut == null) {
            return new Step(ruleset.isEmpty() ? null : nft(ruleset), null);
        }
        if (ruleset.isEmpty()) {
            return new Step(null, cutProblem(cut, forget(cut)));
        }
        ExecResult r = context.exec(List.of("/bin/sh", "-c", LOAD_THEN_CUT, "sh", cut.link().clientAddress()),
                ruleset.getBytes(StandardCharsets.UTF_8), timeout);
        if (r.exitStatus() == NFT_REFUSED) {
            return new Step(r.stderrText().strip(), null);
        }
        return new Step(null, cutProblem(cut, r));
    }

    /** Loads a ruleset; returns why the kernel refused it, or {@code null}. */
    private String nft(String ruleset) {
        ExecResult r = context.exec(List.of("nft", "-f", "-"), ruleset.getBytes(StandardCharsets.UTF_8), timeout);
        return r.exitStatus() == 0 ? null : r.stderrText().strip();
    }

    private ExecResult forget(LinkEndpoint cut) {
        return context.exec(List.of("conntrack", "-D", "-s", cut.link().clientAddress()), NO_INPUT, timeout);
    }

    /** What {@code conntrack -D} said, as a problem, or {@code null} when the connections are gone. */
    private AdminException cutProblem(LinkEndpoint cut, ExecResult r) {
        // it exits 1 also when there was nothing to forget, and then says how many it deleted: 0
        boolean done = r.exitStatus() == 0 || r.exitStatus() == 1 && r.stderrText().contains("flow entries have been deleted");
        if (done) {
            return null;
        }
        return FirewallRole.PROGRAMS.explain(context, new AdminException("the open connections of '" + cut.link().client() + "' in '"
                + context.qube().name() + "' could not be cut: " + r.stderrText().strip()));
    }
}
