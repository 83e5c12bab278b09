package dev.bulkhead.backend.lite.internal;

import java.nio.file.Path;
import java.util.Map;

import aQute.bnd.annotation.Resolution;
import aQute.bnd.annotation.spi.ServiceProvider;
import dev.bulkhead.api.Settings;
import dev.bulkhead.api.host.ProcessHostCommands;
import dev.bulkhead.api.hypervisor.HypervisorBackend;
import dev.bulkhead.api.hypervisor.HypervisorBackendProvider;

/** The lite backend for a plain-Java embedding, found through {@link java.util.ServiceLoader}. */
@ServiceProvider(value = HypervisorBackendProvider.class, resolution = Resolution.OPTIONAL)
public final class LiteBackendProvider implements HypervisorBackendProvider {
    @Override
    public String name() {
        return LiteBackend.NAME;
    }

    @Override
    public HypervisorBackend open(Path dataDirectory, Map<String, ?> settings) {
        return new LiteBackend(dataDirectory.toAbsolutePath().normalize(),
                LiteSettings.of(Settings.of(LiteBackend.Config.class, settings)), new ProcessHostCommands(), HostPaths.system());
    }
}
