package dev.bulkhead.core.internal;

import java.lang.System.Logger.Level;
import java.util.List;
import java.util.concurrent.locks.ReentrantLock;

import dev.bulkhead.api.AdminException;
import dev.bulkhead.api.InvalidStateException;
import dev.bulkhead.api.PowerState;
import dev.bulkhead.api.QubeAddress;
import dev.bulkhead.api.hypervisor.DomainLinking;
import dev.bulkhead.api.hypervisor.HypervisorBackend;
import dev.bulkhead.api.hypervisor.LinkEndpoint;
import dev.bulkhead.api.hypervisor.LinkSpec;
import dev.bulkhead.api.role.QubeRole;

/**
 * Where a running qube is linked to its netvm and the netvm's role takes it on, and where that
 * link is cut, moved, or given back when the netvm (re)starts.
 */
final class NetworkLinks {
    private static final System.Logger LOG = QubeAdminService.LOG;
    private final QubeRegistry registry;
    private final RuntimeState state;
    private final RoleBindings roles;
    private final ReentrantLock lifecycle;
    private final HostWork hostWork;
    private final ServiceQubeCalls serviceCalls;
    private final ServiceQubeStarts starts;

    NetworkLinks(QubeRegistry registry, RuntimeState state, RoleBindings roles, ReentrantLock lifecycle, HostWork hostWork,
            ServiceQubeCalls serviceCalls, ServiceQubeStarts starts) {
        this.registry = registry;
        this.state = state;
        this.roles = roles;
        this.lifecycle = lifecycle;
        this.hostWork = hostWork;
        this.serviceCalls = serviceCalls;
        this.starts = starts;
    }

    private static LinkSpec linkSpec(Model m, QubeRecord client, QubeRecord netvm) {
        return new LinkSpec(client.name, client.qid, netvm.name, QubeAddress.of(client.qid, client.klass),
                QubeAddress.of(netvm.qid, netvm.klass));
    }

    /** At a take-over, links each running qube taken over again to its netvm, if that runs too; roles hear of it later. */
    void readopt(HypervisorBackend selected) {
        Model model = registry.model();
        for (String client : List.copyOf(state.power().keySet())) {
            QubeRecord q = model.qubes.get(client);
            String netvm = PropertyRules.netvm(model, q);
            if (!netvm.isEmpty() && state.power().containsKey(netvm)) {
                try {
                    state.links().put(client, state.abilities(selected).links("netvm " + netvm).connect(linkSpec(model, q, model.qubes.get(netvm))));
                } catch (AdminException e) {
                    LOG.log(Level.WARNING, "cannot re-adopt the link of " + client + ": " + e.getMessage());
                }
            }
        }
    }

    /** Links a running qube to its netvm, if it has one that runs, and tells the netvm's role. */
    void attach(Model m, QubeRecord client) {
        attach(m, client, false);
    }

    /**
     * Links a qube to its netvm, if it has one that runs and is not itself starting (whose start then
     * links its clients), and tells the netvm's role.
     *
     * @param starting whether the client is shown as Transient (starting, or being taken on by a
     *     netvm): the role is then told without the lifecycle lock, and the link must still be there
     *     afterwards, or the netvm stopped meanwhile and this fails
     */
    void attach(Model m, QubeRecord client, boolean starting) {
        String netvm = PropertyRules.netvm(m, client);
        PowerState netvmState = state.power().get(netvm);
        // a netvm shutting down takes no client on: its role may be tearing it down without the lifecycle lock
        if (netvm.isEmpty() || netvmState == null || netvmState == PowerState.Transient || netvmState == PowerState.Halting) {
            return;
        }
        DomainLinking b = state.abilities().links("cannot link '" + client.name + "' to netvm '" + netvm + "'");
        LinkEndpoint endpoint = b.connect(linkSpec(m, client, m.qubes.get(netvm)));
        state.links().put(client.name, endpoint);
        QubeRole role = roles.roleOf(m.qubes.get(netvm));
        if (role == null) {
            return;
        }
        try {
            if (starting) {
                serviceCalls.call(netvm, () -> role.clientAttached(roles.context(netvm), endpoint));
                if (state.links().get(client.name) != endpoint) {
                    throw new InvalidStateException("'" + netvm + "' stopped while it took '" + client.name + "' on");
                }
            } else {
                role.clientAttached(roles.context(netvm), endpoint);
            }
        } catch (RuntimeException e) {
            if (state.links().remove(client.name, endpoint)) {
                b.disconnect(endpoint.link());
            }
            throw e;
        }
    }

    /**
     * Unlinks a qube from its netvm and tells the netvm's role.
     *
     * @param stopping whether the qube is shown as Halting or Transient (being stopped or moved):
     *     the role is then told without the lifecycle lock, the link being down already
     */
    void detach(String client, boolean stopping) {
        LinkEndpoint endpoint = cut(client);
        if (endpoint == null) {
            return;
        }
        if (stopping) {
            serviceCalls.call(endpoint.link().netvm(), () -> forget(endpoint));
        } else {
            forget(endpoint);
        }
    }

    /** Takes a qube's link to its netvm down in the backend, the netvm's role not yet told; none if it had none. */
    LinkEndpoint cut(String client) {
        LinkEndpoint endpoint = state.links().remove(client);
        if (endpoint != null) {
            state.abilities().links("cannot unlink '" + client + "'").disconnect(endpoint.link());
        }
        return endpoint;
    }

    /** Tells the role of the netvm that a link cut before is gone; logs rather than throws what fails. */
    void forget(LinkEndpoint endpoint) {
        String netvm = endpoint.link().netvm();
        QubeRole role = roles.roleOf(registry.model().qubes.get(netvm));
        if (role != null) {
            try {
                role.clientDetached(roles.context(netvm), endpoint);
            } catch (RuntimeException e) {
                LOG.log(Level.WARNING, "role " + role.id() + " failed to detach " + endpoint.link().client(), e);
            }
        }
    }

    /**
     * When a netvm (re)starts, its running clients get their links back. Its role takes each on
     * without the lifecycle lock, so each check is made again on the model as it is now; the client
     * is shown as Transient meanwhile, which keeps it from being killed, stopped or moved until its
     * netvm has taken it on.
     */
    void reattachClients(String netvm) {
        for (String client : PropertyRules.clientsOf(registry.model(), netvm)) {
            Model m = registry.model();
            PowerState before = state.power().get(client);
            PowerState netvmState = state.power().get(netvm);
            boolean netvmUp = netvmState == PowerState.Running || netvmState == PowerState.Paused;
            // a client still starting or stopping is left to that; one linked meanwhile is already taken on
            if (!netvmUp || (before != PowerState.Running && before != PowerState.Paused) || state.links().containsKey(client)
                    || !netvm.equals(PropertyRules.netvm(m, m.qubes.get(client)))) {
                continue;
            }
            state.power().put(client, PowerState.Transient);
            try {
                attach(m, m.qubes.get(client), true);
            } catch (RuntimeException e) {
                LOG.log(Level.WARNING, "cannot reattach " + client + " to " + netvm + ": " + e.getMessage());
            } finally {
                state.power().replace(client, PowerState.Transient, before);
            }
        }
    }

    /**
     * Moves a running qube's link to its netvm as it is now set. The new netvm's role takes it on
     * without the lifecycle lock; the qube is Transient meanwhile, so it is neither killed, stopped
     * nor moved again before that ends. A new netvm that is starting is waited for, as a starting
     * client waits for it; one being moved or taken back by its own netvm takes no client on, so the
     * move fails and the caller puts the qube back.
     */
    void relink(String name) {
        hostWork.run(() -> {
            lifecycle.lock();
            try {
                PowerState before = state.power().get(name);
                if (before == PowerState.Halting) {
                    // its link is down already; its next start links it to the netvm now set
                    return;
                }
                if (before != PowerState.Running && before != PowerState.Paused) {
                    detach(name, false);
                    attach(registry.model(), registry.model().qubes.get(name));
                    return;
                }
                state.power().put(name, PowerState.Transient);
                try {
                    detach(name, true);
                    Model m = registry.model();
                    String netvm = PropertyRules.netvm(m, m.qubes.get(name));
                    starts.awaitEnded(netvm, "move '" + name + "'");
                    m = registry.model();
                    netvm = PropertyRules.netvm(m, m.qubes.get(name));
                    if (state.power().get(netvm) == PowerState.Transient) {
                        throw new InvalidStateException("cannot link '" + name + "' to netvm '" + netvm
                                + "': it is being moved or taken back by its own netvm; set it again once that has ended");
                    }
                    attach(m, m.qubes.get(name), true);
                } finally {
                    state.power().replace(name, PowerState.Transient, before);
                }
            } finally {
                lifecycle.unlock();
            }
        });
    }

    /** Tells the role of a qube's netvm that something deciding the qube's traffic changed. */
    void clientChanged(String client) {
        LinkEndpoint endpoint = state.links().get(client);
        if (endpoint == null) {
            return;
        }
        QubeRole role = roles.roleOf(registry.model().qubes.get(endpoint.link().netvm()));
        if (role != null) {
            role.clientChanged(roles.context(endpoint.link().netvm()), endpoint);
        }
    }

    /** What the role of a qube's netvm finds wrong with the qube's traffic rules; none when it is not linked. */
    List<String> firewallProblems(String name) {
        QubeRegistry.require(registry.model(), name);
        LinkEndpoint endpoint = state.links().get(name);
        QubeRole role = endpoint == null ? null : roles.roleOf(registry.model().qubes.get(endpoint.link().netvm()));
        return role == null ? List.of() : List.copyOf(role.clientProblems(roles.context(endpoint.link().netvm()), endpoint));
    }
}
