package dev.bulkhead.it;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

import javax.inject.Inject;

import org.osgi.service.cm.Configuration;
import org.osgi.service.cm.ConfigurationAdmin;

/**
 * The backend contract on the qemu backend, every qube a QEMU virtual machine booting the build's guest image (TCG
 * here). It claims volume revisions, as lite does.
 */
public class QemuContractIT extends BackendContract {
    @Inject
    private ConfigurationAdmin configAdmin;

    public QemuContractIT() {
        super("qemu", Ability.VOLUME_REVISIONS);
    }

    @Override
    protected List<String> bundles() {
        return QemuBackendIT.withQemu(BUNDLES);
    }

    /** Configures the backend and points the core at it, once: a configuration updated again would restart them. */
    @Override
    protected void useBackend() throws IOException {
        Configuration qemu = configAdmin.getConfiguration(QemuBackendIT.BACKEND_QEMU, "?");
        if (qemu.getProperties() == null || qemu.getProperties().get("imageDirectory") == null) {
            QemuBackendIT.configureQemuBackend(configAdmin);
        }
        Configuration core = configAdmin.getConfiguration(CORE, "?");
        if (core.getProperties() == null || !"qemu".equals(core.getProperties().get("backend"))) {
            QemuBackendIT.setCoreBackend(configAdmin, "qemu");
        }
    }

    @Override
    protected String backendBundle() {
        return QemuBackendIT.BACKEND_QEMU;
    }

    /** The QEMU process of the qube's virtual machine, from its pid file. */
    @Override
    protected long domainProcess(String qube) {
        Path pidFile = dataDir().resolve("qemu/domains").resolve(qube).resolve("qemu.pid");
        try {
            return Long.parseLong(Files.readString(pidFile).strip());
        } catch (IOException e) {
            throw new AssertionError("no pid file of " + qube + "'s QEMU: " + pidFile, e);
        }
    }
}
