package dev.bulkhead.role.netvm.internal;

import java.util.Map;

import aQute.bnd.annotation.Resolution;
import aQute.bnd.annotation.spi.ServiceProvider;
import dev.bulkhead.api.Settings;
import dev.bulkhead.api.role.QubeRole;
import dev.bulkhead.api.role.QubeRoleProvider;

/** The NetVM role for a plain-Java embedding, found through {@link java.util.ServiceLoader}. */
@ServiceProvider(value = QubeRoleProvider.class, resolution = Resolution.OPTIONAL)
public final class NetvmRoleProvider implements QubeRoleProvider {
    @Override
    public String id() {
        return NetvmRole.ID;
    }

    @Override
    public QubeRole create(Map<String, ?> settings) {
        return new NetvmRole(Settings.of(NetvmConfig.class, settings));
    }
}
