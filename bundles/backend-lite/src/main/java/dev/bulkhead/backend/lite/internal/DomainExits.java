package dev.bulkhead.backend.lite.internal;

import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;

import dev.bulkhead.api.AdminException;
import dev.bulkhead.api.hypervisor.DomainExitListener;

/** What happens when a domain's init ends without being asked: its links go down and the listeners hear of it. */
final class DomainExits {
    /** Logged under the backend's name, where its operators look. */
    private static final System.Logger LOG = System.getLogger(LiteBackend.class.getName());

    private final InstanceLayout layout;
    private final NetnsManager netns;
    private final List<DomainExitListener> listeners = new CopyOnWriteArrayList<>();

    DomainExits(InstanceLayout layout, NetnsManager netns) {
        this.layout = layout;
        this.netns = netns;
    }

    void add(DomainExitListener listener) {
        listeners.add(listener);
    }

    void remove(DomainExitListener listener) {
        listeners.remove(listener);
    }

    /**
     * The first thing is to take the domain's links down, so that a dead netvm forwards nothing more (its
     * namespace would, filter and all, until it is removed). The rest of the clean-up is the core's, which
     * notices the domain stopped.
     */
    void initDied(String name) {
        String domainNetns = layout.netnsName(name);
        try {
            if (netns.exists(domainNetns)) {
                netns.linksDown(domainNetns);
            }
        } catch (AdminException e) {
            // a stop of the domain may have removed the namespace meanwhile
            LOG.log(System.Logger.Level.WARNING, "cannot take the links of dead domain " + name + " down: " + e.getMessage());
        }
        LOG.log(System.Logger.Level.WARNING, "the init of domain " + name + " ended; its links are down");
        for (DomainExitListener listener : listeners) {
            try {
                listener.exited(name);
            } catch (RuntimeException e) {
                LOG.log(System.Logger.Level.WARNING, "exit listener " + listener + " failed on " + name, e);
            }
        }
    }
}
