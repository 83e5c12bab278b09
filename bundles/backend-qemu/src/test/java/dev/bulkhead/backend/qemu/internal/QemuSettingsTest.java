package dev.bulkhead.backend.qemu.internal;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;

import org.junit.jupiter.api.Test;

import dev.bulkhead.api.Settings;

class QemuSettingsTest {
    private static final Duration SECOND = Duration.ofSeconds(1);
    private static final Path IMAGE = Path.of("/images/qemu");

    @Test
    void refusesSettingsThatCannotWorkNamingThem() {
        assertThrows(IllegalArgumentException.class, () -> new QemuSettings(" ", IMAGE, QemuSettings.Accelerator.AUTO, SECOND, SECOND, SECOND));
        assertThrows(IllegalArgumentException.class,
                () -> new QemuSettings("qemu", Path.of("images"), QemuSettings.Accelerator.AUTO, SECOND, SECOND, SECOND));
        assertThrows(IllegalArgumentException.class,
                () -> new QemuSettings("qemu", IMAGE, QemuSettings.Accelerator.AUTO, Duration.ZERO, SECOND, SECOND));
        assertThrows(IllegalArgumentException.class,
                () -> new QemuSettings("qemu", IMAGE, QemuSettings.Accelerator.AUTO, SECOND, Duration.ZERO, SECOND));
        assertThrows(IllegalArgumentException.class,
                () -> new QemuSettings("qemu", IMAGE, QemuSettings.Accelerator.AUTO, SECOND, SECOND, Duration.ofSeconds(-1)));
        IllegalArgumentException accel = assertThrows(IllegalArgumentException.class,
                () -> QemuSettings.of(Settings.of(QemuBackend.Config.class, Map.of("accelerator", "hvf")), "/opt/bulkhead"));
        assertTrue(accel.getMessage().contains("'hvf'") && accel.getMessage().contains("auto, kvm or tcg"), accel.getMessage());
    }

    @Test
    void theImageIsUnderTheInstallationUnlessConfigured() {
        QemuSettings defaults = QemuSettings.of(Settings.of(QemuBackend.Config.class, Map.of()), "/opt/bulkhead");
        assertEquals(Path.of("/opt/bulkhead/images/qemu/vmlinuz"), defaults.kernel());
        assertEquals(QemuSettings.Accelerator.AUTO, defaults.accelerator());
        QemuSettings configured = QemuSettings.of(Settings.of(QemuBackend.Config.class,
                Map.of("imageDirectory", "/srv/image", "accelerator", "TCG")), null);
        assertEquals(Path.of("/srv/image/initrd.img"), configured.initramfs());
        assertEquals(QemuSettings.Accelerator.TCG, configured.accelerator());
        QemuSettings nowhere = QemuSettings.of(Settings.of(QemuBackend.Config.class, Map.of()), null);
        assertFalse(nowhere.imagePresent());
        assertTrue(nowhere.imageProblem().contains("configure imageDirectory"), nowhere.imageProblem());
    }
}
