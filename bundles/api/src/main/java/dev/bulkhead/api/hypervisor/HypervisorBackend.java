package dev.bulkhead.api.hypervisor;

import java.time.Duration;
import java.util.List;
import java.util.Optional;

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
