package dev.bulkhead.api.hypervisor;

import java.util.Optional;

import org.osgi.annotation.versioning.ConsumerType;

import dev.bulkhead.api.QubeStats;

/**
 * A backend that counts the CPU time and memory its domains use. Without it, a qube has no statistics.
 *
 * @since 2.0
 */
@ConsumerType
public interface UsageCounting {
    /** The CPU time and memory the running domain uses now; empty when it is not running. */
    Optional<QubeStats> stats(String name);
}
