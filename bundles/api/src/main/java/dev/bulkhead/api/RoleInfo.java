package dev.bulkhead.api;

import java.util.List;
import java.util.Objects;

/**
 * A VM role that is present in the platform now, as the shell and the console list it.
 *
 * @param id              the role's id, the value of a qube's {@code role} feature
 * @param description     one line for people
 * @param providesNetwork whether qubes carrying it serve other qubes' network
 * @param qubes           the names of the qubes that carry it, sorted
 */
public record RoleInfo(String id, String description, boolean providesNetwork, List<String> qubes) {
    public RoleInfo {
        Objects.requireNonNull(id);
        Objects.requireNonNull(description);
        qubes = List.copyOf(qubes);
    }
}
