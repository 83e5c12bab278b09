package dev.bulkhead.backend.qemu.internal;

import java.nio.file.Path;
import java.util.Map;

import aQute.bnd.annotation.Resolution;
import aQute.bnd.annotation.spi.ServiceProvider;
import dev.bulkhead.api.Settings;
import dev.bulkhead.api.host.ProcessHostCommands;
import dev.bulkhead.api.hypervisor.HypervisorBackend;
import dev.bulkhead.api.hypervisor.HypervisorBackendProvider;

/**
 * The qemu backend for a plain-Java embedding, found through {@link java.util.ServiceLoader}. The guest image is
 * where the setting {@code imageDirectory} says, or under the system property {@code bulkhead.home}.
 */
@ServiceProvider(value = HypervisorBackendProvider.class, resolution = Resolution.OPTIONAL)
public final class QemuBackendProvider implements HypervisorBackendProvider {
    @Override
    public String name() {
        return QemuBackend.NAME;
    }

    @Override
    public HypervisorBackend open(Path dataDirectory, Map<String, ?> settings) {
        return new QemuBackend(dataDirectory.toAbsolutePath().normalize(),
                QemuSettings.of(Settings.of(QemuBackend.Config.class, settings), System.getProperty(QemuBackend.HOME_PROPERTY)),
                HostPaths.system(), new ProcessHostCommands());
    }
}
