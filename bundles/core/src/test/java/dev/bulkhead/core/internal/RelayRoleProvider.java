package dev.bulkhead.core.internal;

import java.util.Map;

import dev.bulkhead.api.hypervisor.LinkEndpoint;
import dev.bulkhead.api.role.QubeRole;
import dev.bulkhead.api.role.QubeRoleProvider;
import dev.bulkhead.api.role.RoleContext;

/** A network role that does nothing, as a {@link java.util.ServiceLoader} provider (test resources' META-INF/services). */
public final class RelayRoleProvider implements QubeRoleProvider {
    @Override
    public String id() {
        return "relay";
    }

    @Override
    public QubeRole create(Map<String, ?> settings) {
        return new QubeRole() {
            @Override
            public String id() {
                return "relay";
            }

            @Override
            public String description() {
                return "passes traffic on";
            }

            @Override
            public boolean providesNetwork() {
                return true;
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
        };
    }
}
