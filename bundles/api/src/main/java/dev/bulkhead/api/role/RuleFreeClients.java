package dev.bulkhead.api.role;

import java.time.Duration;
import java.util.List;

import dev.bulkhead.api.AdminException;
import dev.bulkhead.api.firewall.FirewallRule;
import dev.bulkhead.api.hypervisor.LinkEndpoint;

/**
 * For a network role that applies no per-qube firewall rules (a TorVM, a VPN-VM): it serves only the
 * clients whose own rules restrict nothing, so that no client's rules are ever ignored; a client with
 * rules of its own gets nothing through, and is told why.
 *
 * @since 1.2
 */
public final class RuleFreeClients {
    private RuleFreeClients() {
    }

    /** The running clients whose firewall rules restrict nothing: those the role may serve. */
    public static List<LinkEndpoint> of(RoleContext context) {
        return context.clients().stream().filter(c -> FirewallRule.restrictNothing(context.firewallRules(c.link().client()))).toList();
    }

    /**
     * Refuses a client that has rules of its own: its tracked connections in the role's qube are cut
     * (with {@code conntrack}), as it is no longer among the clients the role's filter lets through, and
     * the reason is thrown, naming {@code kind}, what the role's qube is (e.g. {@code TorVM}).
     *
     * @throws AdminException when the client has rules of its own
     */
    public static void refuseIfRestricted(RoleContext context, LinkEndpoint link, String kind, Duration timeout) {
        String client = link.link().client();
        if (!FirewallRule.restrictNothing(context.firewallRules(client))) {
            context.exec(List.of("conntrack", "-D", "-s", link.link().clientAddress()), new byte[0], timeout);
            throw new AdminException("'" + client + "' has firewall rules of its own, which '" + context.qube().name()
                    + "' (a " + kind + ") does not apply: it gets nothing through until they are reset (qvm:firewall " + client
                    + " reset) or a FirewallVM is put between them");
        }
    }
}
