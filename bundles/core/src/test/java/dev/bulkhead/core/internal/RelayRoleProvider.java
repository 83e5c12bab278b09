package dev.bulkhead.core.internal;

import java.util.Map;

import dev.bulkhead.api.role.QubeRole;
import dev.bulkhead.api.role.QubeRoleProvider;
import dev.bulkhead.testing.PassiveRole;

/** A network role that does nothing, as a {@link java.util.ServiceLoader} provider (test resources' META-INF/services). */
public final class RelayRoleProvider implements QubeRoleProvider {
    @Override
    public String id() {
        return "relay";
    }

    @Override
    public QubeRole create(Map<String, ?> settings) {
        return new PassiveRole("relay", "passes traffic on", true);
    }
}
