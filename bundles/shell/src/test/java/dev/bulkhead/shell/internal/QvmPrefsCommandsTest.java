package dev.bulkhead.shell.internal;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.util.LinkedHashMap;
import java.util.Map;

import org.junit.jupiter.api.Test;

import dev.bulkhead.api.PropertyValue;

class QvmPrefsCommandsTest {
    private static final Map<String, PropertyValue> PROPERTIES = new LinkedHashMap<>();

    static {
        PROPERTIES.put("label", PropertyValue.set("blue"));
        PROPERTIES.put("netvm", PropertyValue.byDefault("sys-firewall", "global default_netvm"));
        PROPERTIES.put("template", PropertyValue.set(""));
    }

    private static String print(boolean withSource) {
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        QvmPrefsCommands.propertyTable(PROPERTIES, withSource).print(new PrintStream(bytes, true, StandardCharsets.UTF_8));
        return bytes.toString(StandardCharsets.UTF_8);
    }

    @Test
    void aQubesPropertiesShowWhichHoldTheirDefaultAndWhereItComesFrom() {
        assertEquals("""
                label     -  blue
                netvm     D  sys-firewall  (default: global default_netvm)
                template  -  -
                """, print(true));
    }

    @Test
    void globalPropertiesShowWhichHoldTheirDefaultWithoutWhereItComesFrom() {
        assertEquals("""
                label     -  blue
                netvm     D  sys-firewall
                template  -  -
                """, print(false));
    }
}
