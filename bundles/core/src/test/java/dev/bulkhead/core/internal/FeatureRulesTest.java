package dev.bulkhead.core.internal;

import static org.junit.jupiter.api.Assertions.assertDoesNotThrow;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.util.List;

import org.junit.jupiter.api.Test;

import dev.bulkhead.api.InvalidStateException;
import dev.bulkhead.api.InvalidValueException;

/** The declared features on their own: each one's check, and the form of every feature. */
class FeatureRulesTest {
    @Test
    void theFeaturesWithMeaningAreDeclared() {
        assertEquals(List.of("role", "preload-dispvm-max", "preload-dispvm", "gui"), FeatureRules.FEATURES.stream().map(FeatureRules.Feature::key).toList());
    }

    @Test
    void preloadMaxTakesZeroToSixteen() {
        for (String ok : List.of("0", "1", "16")) {
            assertDoesNotThrow(() -> FeatureRules.checkSet("preload-dispvm-max", ok));
        }
        for (String bad : List.of("17", "-1", "x", "", "100", " 3")) {
            InvalidValueException e = assertThrows(InvalidValueException.class, () -> FeatureRules.checkSet("preload-dispvm-max", bad));
            assertEquals("invalid preload-dispvm-max '" + bad + "': a number of disposables from 0 to 16", e.getMessage());
        }
    }

    @Test
    void guiTakesOnlyTheBooleansQubesReads() {
        for (String ok : List.of("1", "0", "True", "False", "true", "false", "")) {
            assertDoesNotThrow(() -> FeatureRules.checkSet("gui", ok));
        }
        for (String bad : List.of("yes", "2", "on", " 1", "TRUE")) {
            InvalidValueException e = assertThrows(InvalidValueException.class, () -> FeatureRules.checkSet("gui", bad));
            assertEquals("invalid gui '" + bad + "': 1, True or true for a display; 0, False, false or empty for none", e.getMessage());
        }
    }

    @Test
    void guiChangesOnlyWhileHalted() {
        assertThrows(InvalidStateException.class, () -> FeatureRules.checkRunning("work", "gui", true));
        assertDoesNotThrow(() -> FeatureRules.checkRunning("work", "gui", false));
    }

    @Test
    void thePreloadedListIsThePlatformsToSetAndRemove() {
        InvalidValueException set = assertThrows(InvalidValueException.class, () -> FeatureRules.checkSet("preload-dispvm", "disp1"));
        assertEquals("invalid feature 'preload-dispvm': the platform keeps it: it lists the preloaded disposables", set.getMessage());
        assertThrows(InvalidValueException.class, () -> FeatureRules.checkRemove("preload-dispvm"));
        assertDoesNotThrow(() -> FeatureRules.checkRemove("preload-dispvm-max"));
    }

    @Test
    void theRoleChangesOnlyWhileHalted() {
        InvalidStateException e = assertThrows(InvalidStateException.class, () -> FeatureRules.checkRunning("sys-net", "role", true));
        assertEquals("the role of 'sys-net' can change only while it is halted", e.getMessage());
        assertDoesNotThrow(() -> FeatureRules.checkRunning("sys-net", "role", false));
        assertDoesNotThrow(() -> FeatureRules.checkRunning("sys-net", "preload-dispvm-max", true));
        assertDoesNotThrow(() -> FeatureRules.checkRunning("sys-net", "colour", true));
    }

    @Test
    void anyFeatureNeedsAKeyAndAPrintableValue() {
        assertDoesNotThrow(() -> FeatureRules.checkSet("vendor.thing:x-1", "any text"));
        assertEquals("invalid feature 'a b': 1 to 64 letters, digits, '_', '.', ':' or '-'",
                assertThrows(InvalidValueException.class, () -> FeatureRules.checkSet("a b", "v")).getMessage());
        assertThrows(InvalidValueException.class, () -> FeatureRules.checkSet(null, "v"));
        assertThrows(InvalidValueException.class, () -> FeatureRules.checkSet("k".repeat(65), "v"));
        assertEquals("invalid feature value 'null': at most 4096 printable characters",
                assertThrows(InvalidValueException.class, () -> FeatureRules.checkSet("k", null)).getMessage());
        assertThrows(InvalidValueException.class, () -> FeatureRules.checkSet("k", "a\nb"));
        assertThrows(InvalidValueException.class, () -> FeatureRules.checkSet("k", "x".repeat(4097)));
    }
}
