package dev.bulkhead.it;

import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertFalse;
import static org.junit.Assert.assertTrue;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Hashtable;
import java.util.List;
import java.util.Map;

import javax.inject.Inject;

import org.junit.After;
import org.junit.Before;
import org.junit.Test;
import org.osgi.service.cm.Configuration;
import org.osgi.service.cm.ConfigurationAdmin;

import dev.bulkhead.api.ExecResult;
import dev.bulkhead.api.Label;
import dev.bulkhead.api.PowerState;
import dev.bulkhead.api.QubeAdmin;
import dev.bulkhead.api.QubeClass;
import dev.bulkhead.api.QubeSpec;
import dev.bulkhead.api.hypervisor.HypervisorBackend;

/**
 * The core on the qemu backend in a real Felix: with both backends present, backend=auto keeps the lite backend
 * unless this host has usable KVM; backend=qemu (TCG here) runs a qube as a QEMU virtual machine booting the guest
 * image the build made, runs commands in it through its guest agent, keeps it through a restart of the core, and
 * leaves nothing of it on the host once it is removed.
 */
public class QemuBackendIT extends BulkheadTestSupport {
    static final String BACKEND_QEMU = "dev.bulkhead.backend.qemu";

    @Inject
    private ConfigurationAdmin configAdmin;

    @Override
    protected List<String> bundles() {
        return withQemu(BUNDLES);
    }

    /** The guest image as the build of the backend's module made it. */
    static Path guestImage() {
        return workspace().resolve("bundles/backend-qemu/target/guest-image");
    }

    @Before
    public void configureQemuBackend() throws Exception {
        configureQemuBackend(configAdmin);
        awaitService("(&(objectClass=" + HypervisorBackend.class.getName() + ")(" + HypervisorBackend.BACKEND_PROPERTY + "=qemu))");
    }

    /** Points the qemu backend at the build's guest image, with a boot timeout for TCG under load. */
    static void configureQemuBackend(ConfigurationAdmin configAdmin) throws java.io.IOException {
        assertTrue("the guest image is missing in " + guestImage() + ": the build of bundles/backend-qemu makes it",
                Files.isRegularFile(guestImage().resolve("vmlinuz")) && Files.isRegularFile(guestImage().resolve("initrd.img")));
        Configuration qemu = configAdmin.getConfiguration("dev.bulkhead.backend.qemu", "?");
        Hashtable<String, Object> settings = new Hashtable<>();
        settings.put("imageDirectory", guestImage().toString());
        settings.put("bootTimeoutSeconds", 120);
        qemu.update(settings);
    }

    /** The distribution's bundles with the qemu backend's next to lite's. */
    static List<String> withQemu(List<String> bundles) {
        List<String> all = new ArrayList<>(bundles);
        all.add(all.indexOf(BACKEND_LITE) + 1, BACKEND_QEMU);
        return all;
    }

    /** Points the qemu backend at the build's guest image and, once it is there, the core at it. */
    static void moveCoreToQemu(BulkheadTestSupport test, ConfigurationAdmin configAdmin) throws java.io.IOException {
        configureQemuBackend(configAdmin);
        test.awaitService("(&(objectClass=" + HypervisorBackend.class.getName() + ")(" + HypervisorBackend.BACKEND_PROPERTY + "=qemu))");
        setCoreBackend(configAdmin, "qemu");
        awaitTrue("the core to adopt the qemu backend", QUBE_TIMEOUT, () -> "qemu".equals(test.admin().backendName()),
                () -> "backendName() is '" + test.admin().backendName() + "'");
    }

    /** The qubes go while the core still runs them on qemu; then the core is back on its default. */
    @After
    @Override
    public void removeQubes() {
        try {
            super.removeQubes();
        } finally {
            setCoreBackend("auto");
        }
    }

    private void setCoreBackend(String backend) {
        setCoreBackend(configAdmin, backend);
    }

    static void setCoreBackend(ConfigurationAdmin configAdmin, String backend) {
        try {
            Configuration core = configAdmin.getConfiguration(CORE, "?");
            Hashtable<String, Object> settings = new Hashtable<>();
            settings.put("backend", backend);
            core.update(settings);
        } catch (java.io.IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
    }

    @Test
    public void autoKeepsLiteWithoutKvmAndAQemuQubeLivesOnTcg() throws Exception {
        HypervisorBackend qemu = (HypervisorBackend) awaitService("(" + HypervisorBackend.BACKEND_PROPERTY + "=qemu)");
        String auto = qemu.isSupported() ? "qemu" : "lite";
        awaitTrue("backend=auto to pick " + auto, QUBE_TIMEOUT, () -> auto.equals(admin().backendName()),
                () -> "backendName() is '" + admin().backendName() + "'");
        boolean hardwareKvm = Files.isDirectory(Path.of("/sys/module/kvm_intel")) || Files.isDirectory(Path.of("/sys/module/kvm_amd"));
        if (!hardwareKvm) {
            assertFalse("without the processor's KVM the qemu backend is not supported", qemu.isSupported());
            assertEquals("backend=auto picks lite over an unsupported qemu", "lite", admin().backendName());
        }

        setCoreBackend("qemu");
        awaitTrue("the core to adopt the qemu backend", QUBE_TIMEOUT, () -> "qemu".equals(admin().backendName()),
                () -> "backendName() is '" + admin().backendName() + "'");
        QubeAdmin admin = admin();
        admin.create(new QubeSpec("vm", QubeClass.AppVM, Label.BLUE, Map.of("memory", "256", "vcpus", "1")));
        admin.start("vm");
        assertEquals(PowerState.Running, admin.get("vm").state());
        Path domain = dataDir().resolve("qemu/domains/vm");
        assertTrue("QEMU's pid file in " + domain, Files.isRegularFile(domain.resolve("qemu.pid")));

        assertEquals("vm", runOk("vm", "hostname").strip());
        ExecResult cat = admin.run("vm", List.of("cat"), "through the guest agent".getBytes(StandardCharsets.UTF_8), RUN_TIMEOUT);
        assertEquals(0, cat.exitStatus());
        assertEquals("through the guest agent", cat.stdoutText());
        assertEquals(4, run("vm", "sh", "-c", "exit 4").exitStatus());
        assertTrue(shell("qvm:log vm"), shell("qvm:log vm").contains("bulkhead-init: guest agent on"));

        admin.pause("vm");
        assertEquals(PowerState.Paused, admin.get("vm").state());
        admin.unpause("vm");
        assertEquals(PowerState.Running, admin.get("vm").state());

        // the core goes and comes back: the VM runs on and is taken over again
        restartBundles(CORE);
        awaitTrue("the core to adopt the qemu backend again", QUBE_TIMEOUT, () -> "qemu".equals(admin().backendName()),
                () -> "backendName() is '" + admin().backendName() + "'");
        assertEquals(PowerState.Running, admin().get("vm").state());
        assertEquals("vm", runOk("vm", "hostname").strip());

        admin().shutdown("vm", false, true, QUBE_TIMEOUT);
        assertEquals(PowerState.Halted, admin().get("vm").state());
        // qvm:volume and qvm:clone reach the backend's volume storage (QemuVolumesSystemTest boots what they did)
        Path image = dataDir().resolve("qubes/vm/private/private.img");
        long grown = Files.size(image) + (64L << 20);
        admin().resizeVolume("vm", "private", grown);
        assertEquals("the image grew", grown, Files.size(image));
        admin().clone("vm", "vm-copy");
        assertTrue("the clone has its copy of the image", Files.isRegularFile(dataDir().resolve("qubes/vm-copy/private/private.img")));
        admin().remove("vm-copy");
        admin().remove("vm");
        assertFalse("files of vm left in " + domain, Files.exists(domain));
    }

    /**
     * A qube with a netvm runs on qemu: both are VMs, linked in the host's kernel, and the client reaches its netvm's
     * kernel and has lite's resolv.conf.
     */
    @Test
    public void aQubeWithANetvmRunsOnQemuAndReachesItsNetvm() throws Exception {
        setCoreBackend("qemu");
        awaitTrue("the core to adopt the qemu backend", QUBE_TIMEOUT, () -> "qemu".equals(admin().backendName()),
                () -> "backendName() is '" + admin().backendName() + "'");
        QubeAdmin admin = admin();
        admin.create(new QubeSpec("sys-net", QubeClass.AppVM, Label.RED, Map.of("provides_network", "True")));
        admin.create(new QubeSpec("client", QubeClass.AppVM, Label.BLUE, Map.of("netvm", "sys-net")));
        admin.start("client");
        assertEquals(PowerState.Running, admin.get("client").state());
        assertEquals("its netvm started first", PowerState.Running, admin.get("sys-net").state());
        String route = runOk("client", "ip", "route", "show", "default");
        assertTrue(route, route.contains("dev eth0"));
        String gateway = route.split(" ")[2];
        assertTrue(runOk("sys-net", "ip", "-o", "address", "show").contains(gateway + "/32"));
        ExecResult ping = run("client", "ping", "-c", "2", "-W", "5", gateway);
        assertEquals(ping.stdoutText() + ping.stderrText(), 0, ping.exitStatus());
        assertEquals("the virtual DNS addresses, as lite's qubes have them", "nameserver 10.139.1.1\nnameserver 10.139.1.2\n",
                runOk("client", "cat", "/etc/resolv.conf"));
    }
}
