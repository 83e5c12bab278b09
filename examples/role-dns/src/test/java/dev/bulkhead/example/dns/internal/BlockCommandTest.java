package dev.bulkhead.example.dns.internal;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.lang.reflect.Proxy;
import java.nio.charset.StandardCharsets;
import java.util.Dictionary;
import java.util.HashMap;
import java.util.Hashtable;
import java.util.List;
import java.util.Map;

import org.junit.jupiter.api.Test;
import org.osgi.service.cm.Configuration;
import org.osgi.service.cm.ConfigurationAdmin;

import dev.bulkhead.api.AdminException;

/** Against a ConfigAdmin that holds one configuration in memory; its twin is the integration test's use of the real one. */
class BlockCommandTest {
    private Dictionary<String, Object> stored;
    private int updates;
    private final BlockCommand command = new BlockCommand(configAdmin());

    private ConfigurationAdmin configAdmin() {
        Configuration config = (Configuration) Proxy.newProxyInstance(getClass().getClassLoader(), new Class<?>[] { Configuration.class },
                (proxy, method, args) -> switch (method.getName()) {
                    case "getProperties" -> stored == null ? null : new Hashtable<>(toMap(stored));
                    case "update" -> {
                        @SuppressWarnings("unchecked")
                        Dictionary<String, Object> props = (Dictionary<String, Object>) args[0];
                        stored = new Hashtable<>(toMap(props));
                        updates++;
                        yield null;
                    }
                    default -> throw new UnsupportedOperationException(method.getName());
                });
        return (ConfigurationAdmin) Proxy.newProxyInstance(getClass().getClassLoader(), new Class<?>[] { ConfigurationAdmin.class },
                (proxy, method, args) -> {
                    if (method.getName().equals("getConfiguration") && args.length == 2 && DnsFilterConfig.PID.equals(args[0])
                            && "?".equals(args[1])) {
                        return config;
                    }
                    throw new UnsupportedOperationException(method.getName() + List.of(args));
                });
    }

    private static Map<String, Object> toMap(Dictionary<String, Object> d) {
        Map<String, Object> m = new HashMap<>();
        for (var keys = d.keys(); keys.hasMoreElements();) {
            String k = keys.nextElement();
            m.put(k, d.get(k));
        }
        return m;
    }

    private String block(String... args) throws Exception {
        PrintStream before = System.out;
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        System.setOut(new PrintStream(out, true, StandardCharsets.UTF_8));
        try {
            command.block(args);
        } finally {
            System.setOut(before);
        }
        return out.toString(StandardCharsets.UTF_8);
    }

    @Test
    void namesAreAddedRemovedAndListed() throws Exception {
        assertEquals("", block());
        block("add", "Ads.test", "tracker.test");
        assertEquals("ads.test,tracker.test", stored.get("block"));
        block("add", "ads.test", "more.test");
        block("del", "tracker.test");
        assertEquals("ads.test\nmore.test\n", block("list"));
        block("set", "only.test");
        assertEquals("only.test\n", block());
        block("set");
        assertEquals("", stored.get("block"));
    }

    @Test
    void aBadNameIsRefusedByNameAndNothingChanges() throws Exception {
        block("add", "ads.test");
        int saved = updates;
        for (String[] bad : List.of(new String[] { "add", "fine.test", "*.tracker.test" }, new String[] { "set", "a.test", "b test" },
                new String[] { "del", "other.test" }, new String[] { "del", "bad/name" })) {
            AdminException e = assertThrows(AdminException.class, () -> block(bad));
            assertTrue(e.getMessage().contains("'" + bad[bad.length - 1] + "'"), e.getMessage());
        }
        for (String[] bad : List.of(new String[] { "add" }, new String[] { "remove", "a.test" }, new String[] { "list", "a.test" })) {
            assertThrows(AdminException.class, () -> block(bad));
        }
        assertEquals(saved, updates);
        assertEquals("ads.test", stored.get("block"));
    }

    @Test
    void aWrongConfiguredListCanOnlyBeReplacedWhole() throws Exception {
        stored = new Hashtable<>(Map.of("block", "ads.test,bad name"));
        AdminException e = assertThrows(AdminException.class, () -> block("add", "more.test"));
        assertTrue(e.getMessage().contains("'bad name'") && e.getMessage().contains("dns:block set"), e.getMessage());
        block("set", "ads.test");
        assertEquals("ads.test", stored.get("block"));
    }
}
