package dev.bulkhead.role.netvm.internal;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.lang.reflect.Proxy;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import org.junit.jupiter.api.Test;

import dev.bulkhead.api.InvalidValueException;
import dev.bulkhead.api.hypervisor.UplinkSpec;

class UplinkTest {
    /** The settings as ConfigAdmin would give them: {@code key=value} with the keys of the PID, the rest default. */
    static NetvmConfig config(String... settings) {
        Map<String, String> values = new HashMap<>();
        for (String s : settings) {
            values.put(s.substring(0, s.indexOf('=')), s.substring(s.indexOf('=') + 1));
        }
        return (NetvmConfig) Proxy.newProxyInstance(NetvmConfig.class.getClassLoader(), new Class<?>[] { NetvmConfig.class },
                (proxy, method, args) -> {
                    if (method.getName().equals("annotationType")) {
                        return NetvmConfig.class;
                    }
                    // the DS mapping of method names to keys: "__" is "_", "_" is "."
                    String key = method.getName().replace("__", "\0").replace('_', '.').replace('\0', '_');
                    return values.getOrDefault(key, (String) method.getDefaultValue());
                });
    }

    static final String[] VETH = { "uplink.mode=veth", "uplink.host_interface=bhup0", "uplink.host_namespace=outside",
            "uplink.address=198.51.100.2/24", "uplink.gateway=198.51.100.1", "dns=203.0.113.53, 203.0.113.54" };

    static String[] veth(String... changes) {
        Map<String, String> values = new LinkedHashMap<>();
        for (String s : VETH) {
            values.put(s.substring(0, s.indexOf('=')), s);
        }
        for (String s : changes) {
            values.put(s.substring(0, s.indexOf('=')), s);
        }
        return values.values().toArray(String[]::new);
    }

    @Test
    void offByDefault() {
        Uplink none = Uplink.of(config());
        assertFalse(none.enabled());
        assertEquals(List.of(), none.dns());
    }

    @Test
    void aCompleteVethUplink() {
        Uplink uplink = Uplink.of(config(VETH));
        assertEquals(new UplinkSpec(UplinkSpec.Mode.VETH, "bhup0", "outside", "uplink0"), uplink.spec());
        assertEquals(List.of("203.0.113.53", "203.0.113.54"), uplink.dns());
        assertEquals("link set uplink0 addrgenmode none\naddress flush dev uplink0\naddress replace 198.51.100.2/24 dev uplink0\n"
                + "link set uplink0 up\nroute replace default via 198.51.100.1 dev uplink0\n", uplink.ipCommands());
        Uplink moved = Uplink.of(config("uplink.mode=MOVE", "uplink.host_interface=eth1", "uplink.address=192.0.2.10/30",
                "uplink.gateway=192.0.2.9"));
        assertEquals(new UplinkSpec(UplinkSpec.Mode.MOVE, "eth1", null, "uplink0"), moved.spec());
        assertEquals(List.of(), moved.dns());
    }

    @Test
    void aWrongSettingIsNamedWithWhatItAccepts() {
        assertRefused("uplink.mode", config(veth("uplink.mode=bridge")));
        assertRefused("uplink.host_interface", config(veth("uplink.host_interface=")));
        assertRefused("uplink.host_interface", config(veth("uplink.host_interface=a-very-long-interface")));
        assertRefused("uplink.host_namespace", config(veth("uplink.mode=macvlan")));
        assertRefused("uplink.address", config(veth("uplink.address=198.51.100.2")));
        assertRefused("uplink.address", config(veth("uplink.address=198.51.100.300/24")));
        assertRefused("uplink.address", config(veth("uplink.address=198.51.100.2/33")));
        assertRefused("uplink.address", config(veth("uplink.address=198.51.100.2/32")));
        assertRefused("uplink.gateway", config(veth("uplink.gateway=")));
        assertRefused("uplink.gateway", config(veth("uplink.gateway=192.0.2.1")));
        assertRefused("uplink.gateway", config(veth("uplink.gateway=198.51.100.2")));
        assertRefused("dns", config(veth("dns=203.0.113.53, resolver.example")));
        assertRefused("dns", config("dns=::1"));
    }

    private static void assertRefused(String setting, NetvmConfig config) {
        InvalidValueException e = assertThrows(InvalidValueException.class, () -> Uplink.of(config));
        assertEquals(setting, e.subject(), e.getMessage());
        assertTrue(e.getMessage().startsWith("invalid " + setting + " '"), e.getMessage());
    }
}
