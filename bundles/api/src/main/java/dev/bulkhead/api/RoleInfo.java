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
 * @param notices         what keeps it from serving those qubes as expected, as configured now, one sentence
 *                        each (a NetVM with no uplink, say); empty when nothing does (since 1.5)
 */
public record RoleInfo(String id, String description, boolean providesNetwork, List<String> qubes, List<String> notices) {
    public RoleInfo {
        Objects.requireNonNull(id);
        Objects.requireNonNull(description);
        qubes = List.copyOf(qubes);
        notices = List.copyOf(notices);
    }

    /** A role with nothing to say about its qubes. */
    public RoleInfo(String id, String description, boolean providesNetwork, List<String> qubes) {
        this(id, description, providesNetwork, qubes, List.of());
    }
}
