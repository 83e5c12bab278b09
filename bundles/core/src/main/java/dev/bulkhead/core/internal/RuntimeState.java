package dev.bulkhead.core.internal;

import java.lang.System.Logger.Level;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.Supplier;

import dev.bulkhead.api.InvalidStateException;
import dev.bulkhead.api.PowerState;
import dev.bulkhead.api.QubeClass;
import dev.bulkhead.api.hypervisor.HypervisorBackend;
import dev.bulkhead.api.hypervisor.LinkEndpoint;
import dev.bulkhead.api.hypervisor.VolumeStorage;

/**
 * What runs: the adopted backend, the power state of each of its qubes that is not halted, and
 * the link of each running qube to its netvm. Written under the lifecycle lock, read anywhere.
 */
final class RuntimeState {
    private final BackendSelector backends;
    private final Supplier<CoreConfig> config;
    private final Map<String, PowerState> power = new ConcurrentHashMap<>();
    private final Map<String, LinkEndpoint> links = new ConcurrentHashMap<>();
    /** The backend whose domains are reflected here; null while there is none. */
    private volatile HypervisorBackend adopted;

    RuntimeState(BackendSelector backends, Supplier<CoreConfig> config) {
        this.backends = backends;
        this.config = config;
    }

    /** The adopted backend, or null while there is none. */
    HypervisorBackend adopted() {
        return adopted;
    }

    void adopt(HypervisorBackend backend) {
        adopted = backend;
    }

    /** Forgets everything the previous backend ran, as a take-over begins. */
    void clear() {
        adopted = null;
        power.clear();
        links.clear();
    }

    /** The adopted backend, or the selected one while none is adopted; refused when there is none. */
    HypervisorBackend backend() {
        HypervisorBackend b = adopted;
        if (b == null) {
            return backends.require(config.get().backend());
        }
        return b;
    }

    /** What the backend in use can do beyond running domains. */
    BackendAbilities abilities() {
        return backends.abilities(backend());
    }

    /** What a given backend can do beyond running domains. */
    BackendAbilities abilities(HypervisorBackend b) {
        return backends.abilities(b);
    }

    /** The adopted backend's volume storage, or null when there is none or it keeps no volumes. */
    VolumeStorage storageIfAny() {
        HypervisorBackend b = adopted;
        return b == null ? null : backends.abilities(b).volumes().orElse(null);
    }

    /** Power states of the qubes that are not halted. */
    Map<String, PowerState> power() {
        return power;
    }

    /** Each running qube's link to its netvm, by the qube's name. */
    Map<String, LinkEndpoint> links() {
        return links;
    }

    /** The links whose netvm is {@code netvm}. */
    List<LinkEndpoint> clientLinks(String netvm) {
        return links.values().stream().filter(l -> l.link().netvm().equals(netvm)).toList();
    }

    PowerState stateOf(QubeRecord q) {
        if (q.klass == QubeClass.AdminVM) {
            return PowerState.Running;
        }
        if (adopted == null) {
            return PowerState.NA;
        }
        return power.getOrDefault(q.name, PowerState.Halted);
    }

    boolean isActive(String name) {
        return power.containsKey(name);
    }

    /** A qube whose start is under way is left to that start, which ends with it running or stopped. */
    void requireNotStarting(String name, String what) {
        if (power.get(name) == PowerState.Transient) {
            throw new InvalidStateException("'" + name + "' is starting; it can be " + what + " once its start has ended");
        }
    }

    /**
     * After a failed backend call, records what the backend reports of the domain rather than what
     * the call meant to do; a domain whose state cannot be read is taken as still there, for the
     * watcher to look at again.
     *
     * @return whether the domain is still active
     */
    boolean recordActualState(HypervisorBackend b, String name) {
        PowerState actual;
        try {
            actual = b.state(name);
        } catch (RuntimeException e) {
            QubeAdminService.LOG.log(Level.WARNING, "cannot read the state of " + name + ": " + e.getMessage());
            power.putIfAbsent(name, PowerState.NA);
            return true;
        }
        if (actual.isActive()) {
            power.put(name, actual);
            return true;
        }
        power.remove(name);
        return false;
    }
}
