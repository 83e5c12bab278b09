package dev.bulkhead.role.firewall.internal;

import java.util.Map;

import aQute.bnd.annotation.Resolution;
import aQute.bnd.annotation.spi.ServiceProvider;
import dev.bulkhead.api.role.QubeRole;
import dev.bulkhead.api.role.QubeRoleProvider;

/** The FirewallVM role for a plain-Java embedding, found through {@link java.util.ServiceLoader}. It has no settings. */
@ServiceProvider(value = QubeRoleProvider.class, resolution = Resolution.OPTIONAL)
public final class FirewallRoleProvider implements QubeRoleProvider {
    @Override
    public String id() {
        return FirewallRole.ID;
    }

    @Override
    public QubeRole create(Map<String, ?> settings) {
        if (!settings.isEmpty()) {
            throw new IllegalArgumentException("the firewall role has no settings, not " + settings.keySet());
        }
        return new FirewallRole();
    }
}
