package dev.bulkhead.it;

import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertFalse;
import static org.junit.Assert.assertNotEquals;
import static org.junit.Assert.assertTrue;
import static org.junit.Assert.fail;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;

import javax.inject.Inject;

import org.junit.After;
import org.junit.Before;
import org.junit.Test;
import org.osgi.service.cm.ConfigurationAdmin;

import dev.bulkhead.api.AdminException;
import dev.bulkhead.api.Label;
import dev.bulkhead.api.QubeClass;
import dev.bulkhead.api.QubeSpec;

/**
 * Templates as VM images on the qemu backend (TCG here): the distribution's bulkhead-debian, installed while
 * backend=qemu, brings its root as an ext4 image with a kernel and initramfs; an AppVM of it boots that image through
 * an overlay of its own, so it runs Debian, loses what it wrote to / at stop and keeps its /home; a change made in the
 * TemplateVM reaches the AppVM at its next start. A template whose root is only a lite tree is refused, by name.
 */
public class QemuTemplateImageIT extends BulkheadTestSupport {
    private static final String DEBIAN = DebianTemplateIT.DEBIAN;

    @Inject
    private ConfigurationAdmin configAdmin;

    @Override
    protected List<String> bundles() {
        return QemuBackendIT.withQemu(BUNDLES);
    }

    @Before
    public void onQemu() throws Exception {
        QemuBackendIT.moveCoreToQemu(this, configAdmin);
    }

    @After
    @Override
    public void removeQubes() {
        try {
            super.removeQubes();
        } finally {
            QemuBackendIT.setCoreBackend(configAdmin, "auto");
        }
    }

    @Test
    public void anAppVmOfTheDebianImageRunsDebianKeepsOnlyHomeAndSeesItsTemplatesChangeAtItsNextStart() throws Exception {
        String installed = shell("qvm:template install " + DebianTemplateIT.debianTemplate());
        assertTrue(installed, installed.contains("installed " + DEBIAN + " "));
        Path root = dataDir().resolve("qubes").resolve(DEBIAN).resolve("root");
        for (String file : new String[] { "root.img", "vmlinuz", "initrd.img" }) {
            assertTrue("the template's " + file + " in " + root, Files.isRegularFile(root.resolve(file)));
        }
        assertFalse("no lite tree on qemu", Files.exists(root.resolve("tree")));
        Path payload = dataDir().resolve("templates").resolve(DEBIAN).resolve("payload");
        assertTrue("the qemu payload is kept for verify, compressed as it came", Files.isRegularFile(payload.resolve("root.img.gz")));
        String[] stat = HostCommand.run("stat", "-c", "%b %B", root.resolve("root.img").toString()).stdout().strip().split(" ");
        long allocated = Long.parseLong(stat[0]) * Long.parseLong(stat[1]);
        assertTrue("the root image is unpacked sparse: " + allocated + " bytes allocated of " + Files.size(root.resolve("root.img")),
                allocated < Files.size(root.resolve("root.img")));
        assertFalse("lite's root archive is checked, not kept", Files.exists(payload.resolve("root.tar.gz")));
        String verified = shell("qvm:template verify " + DEBIAN);
        assertFalse(verified, verified.contains("missing"));

        admin().create(new QubeSpec("deb", QubeClass.AppVM, Label.BLUE, Map.of("template", DEBIAN, "memory", "400")));
        admin().start("deb");
        String version = shell("qvm:run deb cat /etc/debian_version");
        assertTrue("Debian 12 in the AppVM: " + version, version.strip().startsWith("12."));
        assertTrue("the roles' programs are the root's", runOk("deb", "sh", "-c", "command -v nft ip").contains("/usr/sbin/nft"));
        assertTrue(runOk("deb", "nft", "--version").startsWith("nftables"));
        assertTrue("the qube tools are in the root", runOk("deb", "sh", "-c", "command -v qrexec-client-vm").contains("qrexec-client-vm"));
        assertTrue("the template's /home/user became the private volume's", runOk("deb", "ls", "-a", "/home/user").contains(".bashrc"));
        runOk("deb", "sh", "-c", "echo gone > /etc/it-root-note && echo kept > /home/it-home-note && sync");
        Path overlay = dataDir().resolve("qemu/domains/deb/root.qcow2");
        assertTrue("deb's own overlay " + overlay, Files.isRegularFile(overlay));
        admin().shutdown("deb", false, true, QUBE_TIMEOUT);
        assertFalse("the overlay goes at stop", Files.exists(overlay));

        // the TemplateVM boots its own image, writable; what it changes is what its AppVMs start from
        admin().start(DEBIAN);
        assertFalse("the template runs on its image, not an overlay", Files.exists(dataDir().resolve("qemu/domains/" + DEBIAN + "/root.qcow2")));
        runOk(DEBIAN, "sh", "-c", "echo from the template > /etc/it-template-note && sync");
        admin().shutdown(DEBIAN, false, true, QUBE_TIMEOUT);

        admin().start("deb");
        assertNotEquals("what deb wrote to / went with its overlay", 0, run("deb", "test", "-e", "/etc/it-root-note").exitStatus());
        assertEquals("kept\n", runOk("deb", "cat", "/home/it-home-note"));
        assertEquals("from the template\n", runOk("deb", "cat", "/etc/it-template-note"));
    }

    @Test
    public void aTemplateWhoseRootIsOnlyALiteTreeIsRefusedByName() throws Exception {
        admin().create(new QubeSpec("lite-tpl", QubeClass.TemplateVM, Label.BLACK, Map.of()));
        // what a template installed while backend=lite leaves: a root tree, no image
        Files.createDirectories(dataDir().resolve("qubes/lite-tpl/root/tree/etc"));
        admin().create(new QubeSpec("app", QubeClass.AppVM, Label.BLUE, Map.of("template", "lite-tpl")));
        try {
            admin().start("app");
            fail("app started on a template without a root image");
        } catch (AdminException e) {
            assertTrue(e.getMessage(), e.getMessage().contains("lite-tpl has no root.img"));
            assertTrue(e.getMessage(), e.getMessage().contains("root-image payload"));
        }
        assertFalse("nothing of app runs", Files.exists(dataDir().resolve("qemu/domains/app/qemu.pid")));
    }
}
