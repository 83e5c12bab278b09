package dev.bulkhead.example.dns.internal;

import java.util.Map;

import aQute.bnd.annotation.Resolution;
import aQute.bnd.annotation.spi.ServiceProvider;
import dev.bulkhead.api.Settings;
import dev.bulkhead.api.role.QubeRole;
import dev.bulkhead.api.role.QubeRoleProvider;

/** The DNS filter role for a plain-Java embedding of the core, found through {@link java.util.ServiceLoader}. */
@ServiceProvider(value = QubeRoleProvider.class, resolution = Resolution.OPTIONAL)
public final class DnsFilterRoleProvider implements QubeRoleProvider {
    @Override
    public String id() {
        return DnsFilterRole.ID;
    }

    @Override
    public QubeRole create(Map<String, ?> settings) {
        return new DnsFilterRole(Settings.of(DnsFilterConfig.class, settings));
    }
}
