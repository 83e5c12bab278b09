package dev.bulkhead.core.internal;

import java.lang.System.Logger.Level;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

import dev.bulkhead.api.QubeAdmin;
import dev.bulkhead.api.QubeEvent;
import dev.bulkhead.api.RoleInfo;
import dev.bulkhead.api.role.QubeRole;
import dev.bulkhead.api.role.RoleContext;

/** The roles present, by id, and which role a qube carries through its {@value QubeRole#ROLE_FEATURE} feature. */
final class RoleBindings {
    private final Map<String, QubeRole> roles = new ConcurrentHashMap<>();
    private final QubeAdmin admin;
    private final RuntimeState state;
    private final HostWork hostWork;
    private final EventDispatcher events;

    RoleBindings(QubeAdmin admin, RuntimeState state, HostWork hostWork, EventDispatcher events) {
        this.admin = admin;
        this.state = state;
        this.hostWork = hostWork;
        this.events = events;
    }

    void add(QubeRole role) {
        roles.put(role.id(), role);
        QubeAdminService.LOG.log(Level.INFO, "role " + role.id() + " is available");
        events.fire(QubeEvent.ROLE_ADD, null, Map.of("role", role.id()));
    }

    /** @return whether this very role was present and is now gone */
    boolean remove(QubeRole role) {
        return roles.remove(role.id(), role);
    }

    boolean isPresent(String id) {
        return roles.containsKey(id);
    }

    /** The role with this id, or null while it is not present. */
    QubeRole get(String id) {
        return roles.get(id);
    }

    /** The role a qube carries, or null when it carries none or its role is not present. */
    QubeRole roleOf(QubeRecord q) {
        String id = q == null ? null : q.features.get(QubeRole.ROLE_FEATURE);
        return id == null ? null : roles.get(id);
    }

    RoleContext context(String name) {
        return new CoreRoleContext(name, admin, state, hostWork);
    }

    List<RoleInfo> infos(Model m) {
        List<RoleInfo> result = new ArrayList<>();
        for (QubeRole role : roles.values()) {
            List<String> carriers = m.qubes.values().stream()
                    .filter(q -> role.id().equals(q.features.get(QubeRole.ROLE_FEATURE)))
                    .map(q -> q.name).sorted().toList();
            result.add(new RoleInfo(role.id(), role.description(), role.providesNetwork(), carriers, notices(role)));
        }
        result.sort(Comparator.comparing(RoleInfo::id));
        return result;
    }

    /** A role whose notices fail is listed all the same, with that failure as its notice. */
    private static List<String> notices(QubeRole role) {
        try {
            return List.copyOf(role.notices());
        } catch (RuntimeException e) {
            return List.of("role " + role.id() + " cannot say how it is: " + e);
        }
    }
}
