package dev.bulkhead.backend.qemu.internal;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import dev.bulkhead.api.InvalidStateException;
import dev.bulkhead.api.PowerState;
import dev.bulkhead.api.QubeClass;
import dev.bulkhead.api.host.ProcessHostCommands;
import dev.bulkhead.api.hypervisor.DomainSpec;
import dev.bulkhead.api.hypervisor.VolumeSpec;
import dev.bulkhead.testing.Await;
import dev.bulkhead.testing.SystemTest;

/**
 * A domain with virt_mode=hvm on the real QEMU under TCG: the ISO the build made (GRUB as its payload, not the guest
 * image's Linux) is installed into the root's storage and booted by SeaBIOS; its banner reaches the console log, and
 * what needs an agent is refused. A shutdown with no agent is ACPI's, then a kill when the grace is over.
 */
@SystemTest
class HvmBootSystemTest {
    static final String BANNER = "BULKHEAD-HVM-TEST: GRUB pc payload, not Linux";

    @TempDir
    Path temp;
    private QemuBackend backend;

    @BeforeAll
    static void requireIso() {
        assertTrue(Files.isRegularFile(iso()), "the test ISO is missing at " + iso() + ": the build makes it (mvn generate-test-resources)");
    }

    static Path iso() {
        return Path.of(System.getProperty("bulkhead.qemu.hvm-test-iso", "target/hvm-test.iso")).toAbsolutePath();
    }

    @AfterEach
    void destroy() {
        if (backend != null) {
            backend.destroy("other");
        }
    }

    @Test
    void theFirmwareBootsTheInstalledIsoAndItsBannerReachesTheConsoleLog() {
        backend = new QemuBackend(temp.resolve("data"), QemuBackendSystemTest.tcgSettings(), HostPaths.system(), new ProcessHostCommands());
        VolumeSpec root = VolumeSpec.persistent(VolumeSpec.ROOT, temp.resolve("qubes/other/root"), 64L << 20, 0);
        assertFalse(backend.hasBootImage(root));
        assertEquals("ISO 9660 image", backend.installBootImage(root, iso()));
        assertTrue(backend.hasBootImage(root));
        assertTrue(Files.isRegularFile(root.source().resolve(BootImageStore.ISO)), "the ISO is a copy in the root's storage");

        backend.start(new DomainSpec("other", 9, QubeClass.StandaloneVM, 128, 128, 1, "", false, List.of(root), DomainSpec.HVM));
        assertEquals(PowerState.Running, backend.state("other"));
        Await.until("GRUB's banner on the serial console", Duration.ofSeconds(60), () -> backend.consoleLog("other").contains(BANNER));

        InvalidStateException run = assertThrows(InvalidStateException.class,
                () -> backend.exec("other", List.of("true"), new byte[0], Duration.ofSeconds(5)));
        assertTrue(run.getMessage().contains("no Bulkhead agent"), run.getMessage());
        InvalidStateException channel = assertThrows(InvalidStateException.class, () -> backend.openChannel("other", "test.chan"));
        assertTrue(channel.getMessage().contains("no Bulkhead agent"), channel.getMessage());

        // GRUB ignores ACPI: the shutdown ends with a kill when its grace is over
        backend.shutdown("other", Duration.ofSeconds(2));
        assertEquals(PowerState.Halted, backend.state("other"));
    }
}
