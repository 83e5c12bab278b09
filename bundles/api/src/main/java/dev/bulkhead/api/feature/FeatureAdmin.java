package dev.bulkhead.api.feature;

import java.util.List;

import org.osgi.annotation.versioning.ProviderType;

/**
 * Installs and uninstalls features in the running platform. What is installed is remembered across
 * restarts. Errors are {@link dev.bulkhead.api.AdminException}s that name the feature and the cause; a
 * failed install leaves the platform as it was.
 */
@ProviderType
public interface FeatureAdmin {
    /** Every feature the platform can install, installed or not, sorted by name. */
    List<FeatureInfo> list();

    /** Installs the feature's bundles and its default configuration, and starts the bundles. Installing an installed feature does nothing. */
    FeatureInfo install(String name);

    /**
     * Stops and uninstalls the feature's bundles that no other installed feature holds, and deletes the
     * configuration it created. Refused for the feature that carries the platform's own base.
     */
    FeatureInfo uninstall(String name);
}
