package dev.bulkhead.api.hypervisor;

import java.nio.file.Path;
import java.util.Map;

import org.osgi.annotation.versioning.ConsumerType;

/**
 * Makes a backend outside a component container. A backend bundle publishes one as a {@link java.util.ServiceLoader}
 * provider ({@code META-INF/services}, with the {@code osgi.serviceloader} capability for Aries SPI Fly in OSGi),
 * so that a plain-Java embedding of the core finds it on the class path. In OSGi, the backend itself is a Declarative
 * Services component and this provider is not needed.
 */
@ConsumerType
public interface HypervisorBackendProvider {
    /** The name of the backends it makes, as {@link HypervisorBackend#name()} gives it. */
    String name();

    /**
     * Opens a backend.
     *
     * @param dataDirectory the platform's data directory, under which the backend keeps its state
     * @param settings      the backend's configuration properties, as its configuration PID takes them; missing ones
     *                      take their defaults
     * @throws IllegalArgumentException if a setting is invalid, naming it
     */
    HypervisorBackend open(Path dataDirectory, Map<String, ?> settings);
}
