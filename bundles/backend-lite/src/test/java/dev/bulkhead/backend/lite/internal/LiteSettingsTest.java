package dev.bulkhead.backend.lite.internal;

import static org.junit.jupiter.api.Assertions.assertThrows;

import java.time.Duration;
import java.util.List;

import org.junit.jupiter.api.Test;

class LiteSettingsTest {
    private static final Duration SECOND = Duration.ofSeconds(1);

    @Test
    void refusesSettingsThatCannotWork() {
        assertThrows(IllegalArgumentException.class, () -> new LiteSettings(" ", "/bin/busybox", SECOND, SECOND, List.of()));
        assertThrows(IllegalArgumentException.class, () -> new LiteSettings("runc", "busybox", SECOND, SECOND, List.of()));
        assertThrows(IllegalArgumentException.class, () -> new LiteSettings("runc", "/bin/busybox", Duration.ZERO, SECOND, List.of()));
        assertThrows(IllegalArgumentException.class,
                () -> new LiteSettings("runc", "/bin/busybox", SECOND, Duration.ofSeconds(-1), List.of()));
    }
}
