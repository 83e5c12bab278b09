package dev.bulkhead.role.netvm.internal;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.regex.Pattern;

import dev.bulkhead.api.InvalidValueException;
import dev.bulkhead.api.hypervisor.UplinkSpec;

/** The NetVM's settings, checked: a bad value is refused naming the setting, and nothing falls back. */
record Uplink(UplinkSpec spec, String address, String gateway, List<String> dns) {
    /** The uplink's name inside the NetVM. */
    static final String INTERFACE = "uplink0";
    private static final Pattern IPV4 = Pattern.compile(
            "((25[0-5]|2[0-4][0-9]|1[0-9][0-9]|[1-9]?[0-9])\\.){3}(25[0-5]|2[0-4][0-9]|1[0-9][0-9]|[1-9]?[0-9])");
    private static final Pattern INTERFACE_NAME = Pattern.compile("[a-zA-Z0-9_.-]{1,15}");

    /** The settings as given; {@code spec} is null when the uplink is off. */
    static Uplink of(NetvmConfig config) {
        List<String> dns = new ArrayList<>();
        for (String server : config.dns().split(",")) {
            if (!server.isBlank()) {
                dns.add(ipv4("dns", server.strip()));
            }
        }
        String mode = config.uplink_mode().strip().toLowerCase(Locale.ROOT);
        if (mode.equals("none")) {
            return new Uplink(null, null, null, List.copyOf(dns));
        }
        UplinkSpec.Mode m;
        try {
            m = UplinkSpec.Mode.valueOf(mode.toUpperCase(Locale.ROOT));
        } catch (IllegalArgumentException e) {
            throw new InvalidValueException("uplink.mode", config.uplink_mode(), "none, veth, move or macvlan");
        }
        String hostInterface = config.uplink_host__interface().strip();
        if (!INTERFACE_NAME.matcher(hostInterface).matches()) {
            throw new InvalidValueException("uplink.host_interface", hostInterface, "an interface name of 1 to 15 characters");
        }
        String namespace = config.uplink_host__namespace().strip();
        String address = config.uplink_address().strip();
        int slash = address.indexOf('/');
        if (slash < 0 || !address.substring(slash + 1).matches("[0-9]{1,2}") || Integer.parseInt(address.substring(slash + 1)) > 32) {
            throw new InvalidValueException("uplink.address", address, "an IPv4 address with its prefix, e.g. 198.51.100.2/24");
        }
        ipv4("uplink.address", address.substring(0, slash));
        return new Uplink(new UplinkSpec(m, hostInterface, namespace.isEmpty() ? null : namespace, INTERFACE), address,
                ipv4("uplink.gateway", config.uplink_gateway().strip()), List.copyOf(dns));
    }

    private static String ipv4(String setting, String value) {
        if (!IPV4.matcher(value).matches()) {
            throw new InvalidValueException(setting, value, "an IPv4 address in dotted form");
        }
        return value;
    }

    boolean enabled() {
        return spec != null;
    }
}
