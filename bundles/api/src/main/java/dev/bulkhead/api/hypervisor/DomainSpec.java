package dev.bulkhead.api.hypervisor;

import java.util.List;
import java.util.Objects;
import java.util.Optional;

import dev.bulkhead.api.QubeClass;

/**
 * Everything a backend needs to run one qube. The domain is known to the backend by the qube's
 * name, which never changes. A spec without a {@code root} volume asks the backend for its
 * built-in minimal root. A {@code networkProvider} routes for other domains: it forwards packets
 * and may manage its own network stack (addresses, routes, packet filter).
 */
public record DomainSpec(String name, int qid, QubeClass klass, int memoryMiB, int maxmemMiB, int vcpus,
        String kernelopts, boolean networkProvider, List<VolumeSpec> volumes) {
    public DomainSpec {
        Objects.requireNonNull(name, "name");
        Objects.requireNonNull(klass, "klass");
        kernelopts = kernelopts == null ? "" : kernelopts;
        volumes = List.copyOf(volumes);
    }

    public Optional<VolumeSpec> volume(String volumeName) {
        return volumes.stream().filter(v -> v.name().equals(volumeName)).findFirst();
    }
}
