package dev.bulkhead.testing;

import dev.bulkhead.api.hypervisor.LinkEndpoint;
import dev.bulkhead.api.role.QubeRole;
import dev.bulkhead.api.role.RoleContext;

/**
 * A role that does nothing when called, for tests that need a role present: a test overrides only
 * the calls it watches. Kept out of the API on purpose, so that a real role must still say what it
 * does when a client changes.
 */
public class PassiveRole implements QubeRole {
    private final String id;
    private final String description;
    private final boolean providesNetwork;

    public PassiveRole(String id, String description, boolean providesNetwork) {
        this.id = id;
        this.description = description;
        this.providesNetwork = providesNetwork;
    }

    @Override
    public final String id() {
        return id;
    }

    @Override
    public final String description() {
        return description;
    }

    @Override
    public final boolean providesNetwork() {
        return providesNetwork;
    }

    @Override
    public void started(RoleContext context) {
    }

    @Override
    public void stopping(RoleContext context) {
    }

    @Override
    public void clientAttached(RoleContext context, LinkEndpoint link) {
    }

    @Override
    public void clientDetached(RoleContext context, LinkEndpoint link) {
    }

    @Override
    public void clientChanged(RoleContext context, LinkEndpoint link) {
    }
}
