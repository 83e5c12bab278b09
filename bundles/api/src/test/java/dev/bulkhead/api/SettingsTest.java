package dev.bulkhead.api;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import java.util.Map;

import org.junit.jupiter.api.Test;

class SettingsTest {
    @interface Example {
        String uplink_mode() default "none";

        String uplink_host__interface() default "";

        int timeoutSeconds() default 30;

        boolean enabled() default false;

        String[] tools() default { "/a" };

        String required();
    }

    @Test
    void namesMapAsInDeclarativeServicesAndMissingOnesTakeTheirDefaults() {
        Example e = Settings.of(Example.class, Map.of("uplink.mode", "veth", "uplink.host_interface", "up0", "required", "x"));

        assertEquals("veth", e.uplink_mode());
        assertEquals("up0", e.uplink_host__interface());
        assertEquals(30, e.timeoutSeconds());
        assertEquals(false, e.enabled());
        assertArrayEquals(new String[] { "/a" }, e.tools());
        assertEquals("x", e.required());
    }

    @Test
    void valuesConvertFromTextNumbersAndCollections() {
        Example e = Settings.of(Example.class, Map.of("timeoutSeconds", "7", "enabled", "true", "tools", List.of("/b", "/c"),
                "required", new String[] { "first", "second" }));

        assertEquals(7, e.timeoutSeconds());
        assertEquals(true, e.enabled());
        assertArrayEquals(new String[] { "/b", "/c" }, e.tools());
        assertEquals("first", e.required());
        assertEquals(9, Settings.of(Example.class, Map.of("timeoutSeconds", 9L, "required", "")).timeoutSeconds());
    }

    @Test
    void aBadValueOrAMissingRequiredOneIsRefusedAtOnceNamingTheSetting() {
        IllegalArgumentException bad = assertThrows(IllegalArgumentException.class,
                () -> Settings.of(Example.class, Map.of("timeoutSeconds", "soon", "required", "")));
        assertEquals("setting 'timeoutSeconds': 'soon' is not a valid int", bad.getMessage());

        IllegalArgumentException missing = assertThrows(IllegalArgumentException.class,
                () -> Settings.of(Example.class, Map.of()));
        assertTrue(missing.getMessage().contains("'required'"), missing.getMessage());
    }

    @Test
    void specialNamesMapToo() {
        assertEquals("a-b", Settings.key("a$_$b"));
        assertEquals("a$b", Settings.key("a$$b"));
        assertEquals("ab", Settings.key("a$b"));
    }
}
