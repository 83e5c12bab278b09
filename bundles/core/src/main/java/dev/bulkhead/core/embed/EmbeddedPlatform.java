package dev.bulkhead.core.embed;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.ServiceLoader;

import dev.bulkhead.api.QubeAdmin;
import dev.bulkhead.api.hypervisor.HypervisorBackend;
import dev.bulkhead.api.hypervisor.HypervisorBackendProvider;
import dev.bulkhead.api.role.QubeRole;
import dev.bulkhead.api.role.QubeRoleProvider;
import dev.bulkhead.core.internal.QubeAdminService;

/**
 * The platform in a plain-Java process: the core with every backend and role that {@link ServiceLoader} finds
 * through their {@link HypervisorBackendProvider} and {@link QubeRoleProvider}. The same bundles run unchanged in
 * OSGi, where Declarative Services wires them instead.
 */
public final class EmbeddedPlatform implements AutoCloseable {
    private final QubeAdminService core;
    private final List<String> backends = new ArrayList<>();
    private final List<String> roles = new ArrayList<>();

    private EmbeddedPlatform(QubeAdminService core) {
        this.core = core;
    }

    /**
     * Starts the platform.
     *
     * @param dataDirectory where the platform keeps its state
     * @param settings      configuration by PID ({@code dev.bulkhead.core}, {@code dev.bulkhead.backend.lite}, ...) for
     *                      the core and for the backends and roles by their name or id; absent ones take defaults
     * @param loader        where to look for providers
     */
    public static EmbeddedPlatform start(Path dataDirectory, Map<String, Map<String, ?>> settings, ClassLoader loader) {
        QubeAdminService core;
        try {
            core = QubeAdminService.embedded(dataDirectory.toAbsolutePath().normalize(),
                    settings.getOrDefault("dev.bulkhead.core", Map.of()));
        } catch (IOException e) {
            throw new UncheckedIOException("cannot start the core in " + dataDirectory + ": " + e.getMessage(), e);
        }
        EmbeddedPlatform platform = new EmbeddedPlatform(core);
        try {
            for (HypervisorBackendProvider p : ServiceLoader.load(HypervisorBackendProvider.class, loader)) {
                HypervisorBackend backend = p.open(dataDirectory, settings.getOrDefault(p.name(), Map.of()));
                core.embeddedBackend(backend);
                platform.backends.add(p.name());
            }
            for (QubeRoleProvider p : ServiceLoader.load(QubeRoleProvider.class, loader)) {
                QubeRole role = p.create(settings.getOrDefault(p.id(), Map.of()));
                core.embeddedRole(role);
                platform.roles.add(p.id());
            }
        } catch (RuntimeException e) {
            platform.close();
            throw e;
        }
        return platform;
    }

    /** The admin service: the same one the shell and the console use in OSGi. */
    public QubeAdmin admin() {
        return core;
    }

    /** The names of the backends found, in the order found. */
    public List<String> backends() {
        return List.copyOf(backends);
    }

    /** The ids of the roles found, in the order found. */
    public List<String> roles() {
        return List.copyOf(roles);
    }

    /** Stops the core; qubes keep running and are adopted by the next start, as in OSGi. */
    @Override
    public void close() {
        core.embeddedClose();
    }
}
