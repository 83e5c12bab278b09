package dev.bulkhead.api.role;

import java.util.Map;

import org.osgi.annotation.versioning.ConsumerType;

/**
 * Makes a role outside a component container: a role bundle publishes one as a {@link java.util.ServiceLoader}
 * provider (with the {@code osgi.serviceloader} capability for Aries SPI Fly in OSGi), so that a plain-Java embedding
 * of the core finds it on the class path. In OSGi the role is a Declarative Services component and this is not needed.
 */
@ConsumerType
public interface QubeRoleProvider {
    /** The id of the role it makes, as {@link QubeRole#id()} gives it. */
    String id();

    /**
     * Makes the role.
     *
     * @param settings the role's configuration properties, as its configuration PID takes them; missing ones take
     *                 their defaults
     * @throws IllegalArgumentException if a setting is invalid, naming it
     */
    QubeRole create(Map<String, ?> settings);
}
