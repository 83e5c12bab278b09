package dev.bulkhead.api.hypervisor;

import org.osgi.annotation.versioning.ConsumerType;

/**
 * Told by an {@link ExitNotifying} backend of each domain that stopped without being asked (its init
 * exited, the host killed it), as soon as the backend sees it, so that the core cleans up at once
 * rather than at its next look at {@link HypervisorBackend#domains()}.
 *
 * @since 1.2
 */
@ConsumerType
@FunctionalInterface
public interface DomainExitListener {
    /** The domain stopped by itself; called on a thread of the backend's, which it must not hold up. */
    void exited(String name);
}
