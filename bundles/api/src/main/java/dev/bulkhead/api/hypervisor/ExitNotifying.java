package dev.bulkhead.api.hypervisor;

import org.osgi.annotation.versioning.ConsumerType;

/**
 * A backend that tells of each domain that stops by itself as soon as it sees it. Without it the core
 * notices such a domain only at its next look at {@link HypervisorBackend#domains()}.
 *
 * @since 2.0
 */
@ConsumerType
public interface ExitNotifying {
    /** Tells the listener of each domain that stops by itself from now on. */
    void addExitListener(DomainExitListener listener);

    /** Stops telling the listener; a no-op when it was not added. */
    void removeExitListener(DomainExitListener listener);
}
