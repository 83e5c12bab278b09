package dev.bulkhead.role.firewall.internal;

import java.util.Map;
import java.util.Set;
import java.util.TreeSet;

import aQute.bnd.annotation.Resolution;
import aQute.bnd.annotation.spi.ServiceProvider;
import dev.bulkhead.api.Settings;
import dev.bulkhead.api.role.QubeRole;
import dev.bulkhead.api.role.QubeRoleProvider;

/** The FirewallVM role for a plain-Java embedding, found through {@link java.util.ServiceLoader}; settings as {@link FirewallConfig}. */
@ServiceProvider(value = QubeRoleProvider.class, resolution = Resolution.OPTIONAL)
public final class FirewallRoleProvider implements QubeRoleProvider {
    @Override
    public String id() {
        return FirewallRole.ID;
    }

    @Override
    public QubeRole create(Map<String, ?> settings) {
        Set<String> unknown = new TreeSet<>(settings.keySet());
        unknown.removeAll(Set.of("dns.refresh", "dns.retry"));
        if (!unknown.isEmpty()) {
            throw new IllegalArgumentException("the firewall role has the settings dns.refresh and dns.retry, not " + unknown);
        }
        return new FirewallRole(Settings.of(FirewallConfig.class, settings));
    }
}
