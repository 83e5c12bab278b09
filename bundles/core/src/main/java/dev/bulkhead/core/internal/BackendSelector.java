package dev.bulkhead.core.internal;

import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;

import dev.bulkhead.api.AdminException;
import dev.bulkhead.api.hypervisor.HypervisorBackend;

/** The registered hypervisor backends and which one the configuration picks. */
final class BackendSelector {
    /** The order {@code auto} tries: the strongest isolation this host supports wins. */
    static final List<String> AUTO_ORDER = List.of("xen", "qemu", "lite");

    private final Map<String, HypervisorBackend> backends = new ConcurrentHashMap<>();

    void add(HypervisorBackend b) {
        backends.put(b.name(), b);
    }

    boolean remove(HypervisorBackend b) {
        return backends.remove(b.name(), b);
    }

    /** The backend for a configured name, if it is registered and (for auto) supported here. */
    Optional<HypervisorBackend> select(String configured) {
        if (!"auto".equals(configured)) {
            return Optional.ofNullable(backends.get(configured));
        }
        for (String name : AUTO_ORDER) {
            HypervisorBackend b = backends.get(name);
            if (b != null && b.isSupported()) {
                return Optional.of(b);
            }
        }
        return Optional.empty();
    }

    HypervisorBackend require(String configured) {
        return select(configured).orElseThrow(() -> new AdminException("no hypervisor backend available (configured: "
                + configured + ", registered: " + (backends.isEmpty() ? "none" : String.join(", ", backends.keySet())) + ")"));
    }
}
