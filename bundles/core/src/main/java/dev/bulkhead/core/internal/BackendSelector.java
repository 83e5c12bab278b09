package dev.bulkhead.core.internal;

import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;

import dev.bulkhead.api.AdminException;
import dev.bulkhead.api.hypervisor.HypervisorBackend;

/** The registered hypervisor backends, what each can do, and which one the configuration picks. */
final class BackendSelector {
    /** The order {@code auto} tries: the strongest isolation this host supports wins. */
    static final List<String> AUTO_ORDER = List.of("xen", "qemu", "lite");

    private final Map<String, BackendAbilities> backends = new ConcurrentHashMap<>();

    /** Registers the backend, with its abilities found once here. */
    BackendAbilities add(HypervisorBackend b) {
        BackendAbilities abilities = BackendAbilities.of(b);
        backends.put(b.name(), abilities);
        return abilities;
    }

    boolean remove(HypervisorBackend b) {
        BackendAbilities registered = backends.get(b.name());
        return registered != null && registered.backend() == b && backends.remove(b.name(), registered);
    }

    /** The abilities of a backend, as found when it was registered (found again if it has left meanwhile). */
    BackendAbilities abilities(HypervisorBackend b) {
        BackendAbilities registered = backends.get(b.name());
        return registered != null && registered.backend() == b ? registered : BackendAbilities.of(b);
    }

    /** The backend for a configured name, if it is registered and (for auto) supported here. */
    Optional<HypervisorBackend> select(String configured) {
        if (!"auto".equals(configured)) {
            return Optional.ofNullable(backends.get(configured)).map(BackendAbilities::backend);
        }
        for (String name : AUTO_ORDER) {
            BackendAbilities b = backends.get(name);
            if (b != null && b.backend().isSupported()) {
                return Optional.of(b.backend());
            }
        }
        return Optional.empty();
    }

    HypervisorBackend require(String configured) {
        return select(configured).orElseThrow(() -> new AdminException("no hypervisor backend available (configured: "
                + configured + ", registered: " + (backends.isEmpty() ? "none" : String.join(", ", backends.keySet())) + ")"));
    }
}
