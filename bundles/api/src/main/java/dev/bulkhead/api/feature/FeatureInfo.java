package dev.bulkhead.api.feature;

import java.util.List;
import java.util.Objects;

/**
 * A feature the platform knows, as {@code feature:list} shows it.
 *
 * @param name        the short name users type ({@code networking}), the artifact id of the feature's id
 * @param id          the feature's Maven-style id ({@code dev.bulkhead:networking:osgifeature:0.1.0})
 * @param description one line for people
 * @param installed   whether it is installed now
 * @param bundles     the Maven coordinates of its bundles, in the order they start
 */
public record FeatureInfo(String name, String id, String description, boolean installed, List<String> bundles) {
    public FeatureInfo {
        Objects.requireNonNull(name);
        Objects.requireNonNull(id);
        Objects.requireNonNull(description);
        bundles = List.copyOf(bundles);
    }
}
