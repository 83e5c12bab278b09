package dev.bulkhead.api.hypervisor;

import java.util.List;
import java.util.Set;

import org.osgi.annotation.versioning.ConsumerType;

/**
 * A backend that holds things on the host beyond what {@link HypervisorBackend#domains()} and
 * {@link HypervisorBackend#destroy(String)} cover, and so can find what a crash of the platform left.
 * A backend whose domains and destroy already cover all it holds does not implement it.
 *
 * @since 2.0
 */
@ConsumerType
public interface LeftoverReconciling {
    /**
     * Removes what the backend holds on the host, outside its volumes' storage, that belongs to no
     * domain in {@code keep} with a live domain behind it: what a crash of the platform in the middle
     * of a start, a stop or a removal left (namespaces, mounts, devices, process groups, processes).
     * Called at take-over, once the caller has stopped and destroyed the domains it does not want;
     * {@code keep} names the ones it goes on running or leaves alone, and a domain in it keeps all it
     * holds. Volume files and whatever another platform instance holds on the same host are never
     * touched.
     *
     * @return one entry per item found, removed or not
     */
    List<Leftover> reconcile(Set<String> keep);
}
