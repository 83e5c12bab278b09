package dev.bulkhead.setup.internal;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import dev.bulkhead.api.Label;
import dev.bulkhead.api.QubeProperty;
import dev.bulkhead.api.role.QubeRole;

/**
 * The layout Qubes' initial setup makes, declared once: each default qube with its label, the properties
 * and features it gets, and the global defaults that name them. What a setting declines is left out.
 */
final class DefaultQubes {
    static final String SYS_NET = "sys-net";
    static final String SYS_FIREWALL = "sys-firewall";
    static final String DEFAULT_DVM = "default-dvm";
    static final String DEFAULT_NETVM = "default_netvm";
    static final String DEFAULT_DISPVM = "default_dispvm";
    static final String DEFAULT_TEMPLATE = "default_template";

    /** One qube to make: an AppVM of the default template. */
    record Qube(String name, Label label, Map<String, String> properties, Map<String, String> features) {
        /** For people: {@code sys-net (red, role netvm, autostart)}. */
        String describe() {
            List<String> parts = new ArrayList<>(List.of(label.id()));
            String role = features.get(QubeRole.ROLE_FEATURE);
            if (role != null) {
                parts.add("role " + role);
            }
            properties.forEach((k, v) -> parts.add(switch (k) {
                case "netvm" -> v.isEmpty() ? "no network" : "netvm " + v;
                case "autostart", "template_for_dispvms", "provides_network" -> k;
                default -> k + "=" + v;
            }));
            return name + " (" + String.join(", ", parts) + ")";
        }
    }

    /** A global property to set once the qubes it names are made. */
    record Global(String name, String value) {
    }

    private DefaultQubes() {
    }

    /** The qubes the settings keep, in the order they are made: every netvm before its clients. */
    static List<Qube> qubes(SetupConfig c) {
        List<Qube> qubes = new ArrayList<>();
        if (c.sys_net()) {
            qubes.add(new Qube(SYS_NET, Label.RED, properties(QubeProperty.PROVIDES_NETWORK, "True", QubeProperty.AUTOSTART, "True"),
                    Map.of(QubeRole.ROLE_FEATURE, "netvm")));
        }
        if (c.sys_firewall()) {
            qubes.add(new Qube(SYS_FIREWALL, Label.GREEN, properties(QubeProperty.PROVIDES_NETWORK, "True", QubeProperty.NETVM,
                    c.sys_net() ? SYS_NET : "", QubeProperty.AUTOSTART, "True"), Map.of(QubeRole.ROLE_FEATURE, "firewall")));
        }
        if (c.default_dvm()) {
            qubes.add(new Qube(DEFAULT_DVM, Label.RED, properties(QubeProperty.TEMPLATE_FOR_DISPVMS, "True"), Map.of()));
        }
        if (c.work()) {
            qubes.add(new Qube("work", Label.BLUE, Map.of(), Map.of()));
        }
        if (c.personal()) {
            qubes.add(new Qube("personal", Label.YELLOW, Map.of(), Map.of()));
        }
        if (c.untrusted()) {
            qubes.add(new Qube("untrusted", Label.RED, Map.of(), Map.of()));
        }
        if (c.vault()) {
            qubes.add(new Qube("vault", Label.BLACK, properties(QubeProperty.NETVM, ""), Map.of()));
        }
        return List.copyOf(qubes);
    }

    /** The global defaults that name the qubes kept: the netvm of every qube that has none of its own, the disposable template. */
    static List<Global> globals(SetupConfig c) {
        List<Global> globals = new ArrayList<>();
        if (c.sys_firewall() || c.sys_net()) {
            globals.add(new Global(DEFAULT_NETVM, c.sys_firewall() ? SYS_FIREWALL : SYS_NET));
        }
        if (c.default_dvm()) {
            globals.add(new Global(DEFAULT_DISPVM, DEFAULT_DVM));
        }
        return List.copyOf(globals);
    }

    private static Map<String, String> properties(Object... propertyAndValue) {
        Map<String, String> properties = new LinkedHashMap<>();
        for (int i = 0; i < propertyAndValue.length; i += 2) {
            properties.put(((QubeProperty) propertyAndValue[i]).id(), (String) propertyAndValue[i + 1]);
        }
        return properties;
    }
}
