package dev.bulkhead.api.hypervisor;

import java.time.Duration;
import java.util.List;
import java.util.Optional;
import java.util.Set;

import org.osgi.annotation.versioning.ConsumerType;

import dev.bulkhead.api.ExecResult;
import dev.bulkhead.api.PowerState;
import dev.bulkhead.api.QubeStats;

/**
 * A hypervisor: runs domains, one per qube, and links them. Registered as a service with the
 * property {@value #BACKEND_PROPERTY} naming it; the core picks one by configuration. Every method
 * throws {@link dev.bulkhead.api.AdminException} with a one-line reason when it cannot do its work,
 * and leaves no half-made resources behind.
 */
@ConsumerType
public interface HypervisorBackend {
    /** Service property naming the backend ({@code lite}, {@code qemu}, {@code xen}). */
    String BACKEND_PROPERTY = "bulkhead.backend";

    /** The backend's name, as in {@value #BACKEND_PROPERTY}. */
    String name();

    /** Whether this host can run domains with this backend (tools present, kernel support). */
    boolean isSupported();

    /** Starts a domain from its spec. Throws if it is already running. */
    void start(DomainSpec spec);

    /** Asks the domain to shut down and waits up to {@code timeout}; kills it after that. */
    void shutdown(String name, Duration timeout);

    /** Stops the domain at once. */
    void kill(String name);

    void pause(String name);

    void unpause(String name);

    PowerState state(String name);

    /** Runs a command in the running domain and waits for it, up to {@code timeout}. */
    ExecResult exec(String name, List<String> command, byte[] stdin, Duration timeout);

    /**
     * Removes everything the backend holds on the host for this domain outside its volumes' storage
     * directories (runtime state, writable layers, mounts).
     */
    void destroy(String name);

    /** Every domain this backend runs on the host now, including ones started by an earlier platform run. */
    List<DomainStatus> domains();

    /**
     * Removes what the backend holds on the host, outside its volumes' storage, that belongs to no
     * domain in {@code keep} with a live domain behind it: what a crash of the platform in the middle
     * of a start, a stop or a removal left (namespaces, mounts, devices, process groups, processes).
     * Called at take-over, once the caller has stopped and destroyed the domains it does not want;
     * {@code keep} names the ones it goes on running or leaves alone, and a domain in it keeps all it
     * holds. Volume files and whatever another platform instance holds on the same host are never
     * touched. A backend whose {@link #domains()} and {@link #destroy(String)} already cover all it
     * holds needs nothing more and reports nothing.
     *
     * @return one entry per item found, removed or not
     */
    default List<Leftover> reconcile(Set<String> keep) {
        return List.of();
    }

    /** The domain's console output, as far as it is kept. */
    String consoleLog(String name);

    /** Creates the link between a running client and its running netvm. */
    LinkEndpoint connect(LinkSpec link);

    /** Removes a link; a no-op when it does not exist. */
    void disconnect(LinkSpec link);

    /**
     * The CPU time and memory the running domain uses now; empty when it is not running or this
     * backend does not count them.
     */
    default Optional<QubeStats> stats(String name) {
        return Optional.empty();
    }

    /** Gives a running domain a host network interface as its uplink. */
    default void attachUplink(String name, UplinkSpec uplink) {
        throw new dev.bulkhead.api.AdminException("backend " + name() + " cannot give domains an uplink");
    }

    /** Takes an uplink away from a domain; a no-op when it does not have it. */
    default void detachUplink(String name, UplinkSpec uplink) {
        throw new dev.bulkhead.api.AdminException("backend " + name() + " cannot give domains an uplink");
    }

    /**
     * Tells the listener of each domain that stops by itself, as soon as the backend sees it. A
     * backend that cannot tell does nothing: the core also looks at {@link #domains()} now and then.
     *
     * @since 1.2
     */
    default void addExitListener(DomainExitListener listener) {
    }

    /** Stops telling the listener; a no-op when it was not added. @since 1.2 */
    default void removeExitListener(DomainExitListener listener) {
    }

    /** How this backend keeps volumes, for copying, importing, resizing and reverting them. */
    default VolumeStorage volumes() {
        throw new dev.bulkhead.api.AdminException("backend " + name() + " cannot copy, import, resize or revert volumes");
    }
}
