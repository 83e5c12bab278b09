package dev.bulkhead.backend.xen.internal;

import java.nio.file.Path;
import java.util.List;
import java.util.Map;

import aQute.bnd.annotation.Resolution;
import aQute.bnd.annotation.spi.ServiceProvider;
import dev.bulkhead.api.Settings;
import dev.bulkhead.api.host.ProcessHostCommands;
import dev.bulkhead.api.hypervisor.HypervisorBackend;
import dev.bulkhead.api.hypervisor.HypervisorBackendProvider;

/**
 * The xen backend for a plain-Java embedding, found through {@link java.util.ServiceLoader}. The kernel directory is
 * where the setting {@code kernelDirectory} says, or {@code images/xen} under the system property {@code bulkhead.home};
 * qubes get the channels of the setting {@code channels}, as with the component.
 */
@ServiceProvider(value = HypervisorBackendProvider.class, resolution = Resolution.OPTIONAL)
public final class XenBackendProvider implements HypervisorBackendProvider {
    @Override
    public String name() {
        return XenBackend.NAME;
    }

    @Override
    public HypervisorBackend open(Path dataDirectory, Map<String, ?> settings) {
        XenBackend.Config config = Settings.of(XenBackend.Config.class, settings);
        return new XenBackend(dataDirectory.toAbsolutePath().normalize(),
                XenSettings.of(config, System.getProperty(XenBackend.HOME_PROPERTY)), new ProcessHostCommands(),
                XenBackend.XEN_CAPABILITIES, XenBackend.channelDirectory(config.channelDirectory()), List.of(config.channels()));
    }
}
