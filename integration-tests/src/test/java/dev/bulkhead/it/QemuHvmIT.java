package dev.bulkhead.it;

import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertFalse;
import static org.junit.Assert.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;

import javax.inject.Inject;

import org.junit.After;
import org.junit.Test;
import org.osgi.service.cm.ConfigurationAdmin;

import dev.bulkhead.api.PowerState;
import dev.bulkhead.api.QubeAddress;
import dev.bulkhead.api.QubeClass;

/**
 * Another operating system in a qube (virt_mode=hvm), as a user makes one: {@code qvm:create --class StandaloneVM
 * --property virt_mode=hvm --install-from FILE} with the ISO the build made from Debian's GRUB packages (GRUB is its
 * payload, not the guest image's Linux). On lite it is refused and nothing is left; on qemu (TCG) it boots through
 * SeaBIOS with a netvm, its banner reaches {@code qvm:log}, its link to the netvm keeps it to its own address in the
 * host's kernel, {@code qvm:run} says it has no agent, and {@code qvm:kill} ends it.
 */
public class QemuHvmIT extends BulkheadTestSupport {
    private static final String BANNER = "BULKHEAD-HVM-TEST: GRUB pc payload, not Linux";

    @Inject
    private ConfigurationAdmin configAdmin;

    @Override
    protected List<String> bundles() {
        return QemuBackendIT.withQemu(BUNDLES);
    }

    static Path testIso() {
        return workspace().resolve("bundles/backend-qemu/target/hvm-test.iso");
    }

    /** The qubes go while the core still runs them on qemu; then the core is back on its default. */
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
    public void anIsoOfAnotherSystemBootsOnQemuWithANetvmAndIsRefusedOnLite() throws Exception {
        assertTrue("the test ISO is missing at " + testIso() + ": the build of bundles/backend-qemu makes it", Files.isRegularFile(testIso()));
        String create = "qvm:create --class StandaloneVM --label red --property virt_mode=hvm --property netvm=sys-net --install-from "
                + testIso() + " other";
        shell("qvm:create --label red --property provides_network=True sys-net");

        // lite cannot: the refusal names why, and the qube is not left half made
        assertEquals("lite", admin().backendName());
        Outcome lite = shellOutcome(create);
        assertTrue(lite.err(), lite.refused() && lite.err().contains("backend lite cannot boot an operating system of the qube's own"));
        assertFalse(describeQubes(), admin().list().stream().anyMatch(q -> q.name().equals("other")));

        QemuBackendIT.moveCoreToQemu(this, configAdmin);
        shell(create);
        assertEquals("hvm", shell("qvm:prefs other virt_mode").strip());
        Path root = dataDir().resolve("qubes/other/root");
        assertTrue("the ISO is copied into the qube's storage", Files.isRegularFile(root.resolve("boot.iso")));
        assertEquals(Files.size(testIso()), Files.size(root.resolve("boot.iso")));

        shell("qvm:start other");
        assertEquals(PowerState.Running, admin().get("other").state());
        assertEquals("its netvm started first", PowerState.Running, admin().get("sys-net").state());
        awaitTrue("GRUB's banner in qvm:log", Duration.ofSeconds(90), () -> log("other").contains(BANNER), () -> log("other"));

        // linked as any qemu qube: the host's kernel lets only its own address out of its card
        String address = QubeAddress.of(Integer.parseInt(shell("qvm:prefs other qid").strip()), QubeClass.StandaloneVM);
        String netns = host("ip", "netns", "list").lines().map(l -> l.split(" ")[0]).filter(n -> n.startsWith("bq-") && n.endsWith("-other"))
                .findFirst().orElseThrow(() -> new AssertionError("no namespace of other's QEMU"));
        String table = host("ip", "netns", "exec", netns, "nft", "list", "table", "netdev", "bq_client");
        assertTrue(table, table.contains("ip saddr " + address + " fwd to \"eth0\""));

        Outcome run = shellOutcome("qvm:run other true");
        assertTrue(run.err(), run.refused() && run.err().contains("no Bulkhead agent"));

        shell("qvm:kill other");
        assertEquals(PowerState.Halted, admin().get("other").state());
    }

    private String log(String qube) {
        try {
            return shell("qvm:log " + qube);
        } catch (Exception e) {
            return e.toString();
        }
    }
}
