package dev.bulkhead.api.hypervisor;

import java.time.Duration;
import java.util.List;

import org.osgi.annotation.versioning.ConsumerType;

import dev.bulkhead.api.ExecResult;
import dev.bulkhead.api.PowerState;

/**
 * A hypervisor: runs domains, one per qube. Registered as a service with the property
 * {@value #BACKEND_PROPERTY} naming it; the core picks one by configuration. Every method throws
 * {@link dev.bulkhead.api.AdminException} with a one-line reason when it cannot do its work, and
 * leaves no half-made resources behind.
 * <p>
 * This is what every backend does. What only some do, a backend offers by also implementing the
 * interface for it: {@link DomainLinking}, {@link DomainUplinking}, {@link VolumeStoring},
 * {@link ExitNotifying}, {@link LeftoverReconciling}, {@link UsageCounting}. The core looks for them
 * once, when it selects the backend, and refuses what needs one the backend lacks before it changes
 * anything.
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
}
