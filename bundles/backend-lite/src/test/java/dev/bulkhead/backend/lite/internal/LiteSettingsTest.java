package dev.bulkhead.backend.lite.internal;

import static org.junit.jupiter.api.Assertions.assertThrows;

import java.time.Duration;

import org.junit.jupiter.api.Test;

class LiteSettingsTest {
    private static final Duration SECOND = Duration.ofSeconds(1);

    @Test
    void refusesSettingsThatCannotWork() {
        assertThrows(IllegalArgumentException.class, () -> new LiteSettings(" ", "/bin/busybox", SECOND, SECOND));
        assertThrows(IllegalArgumentException.class, () -> new LiteSettings("runc", "busybox", SECOND, SECOND));
        assertThrows(IllegalArgumentException.class, () -> new LiteSettings("runc", "/bin/busybox", Duration.ZERO, SECOND));
        assertThrows(IllegalArgumentException.class,
                () -> new LiteSettings("runc", "/bin/busybox", SECOND, Duration.ofSeconds(-1)));
    }
}
