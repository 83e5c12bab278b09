package dev.bulkhead.role.netvm.internal;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Objects;
import java.util.regex.Pattern;

import dev.bulkhead.api.InvalidValueException;
import dev.bulkhead.api.hypervisor.UplinkSpec;

/**
 * The NetVM's settings, checked: a bad value is refused naming the setting and what it accepts,
 * and nothing falls back to anything else.
 *
 * @param spec the uplink to ask the backend for; {@code null} when {@code uplink.mode=none}
 * @param address the NetVM's address on the uplink, as CIDR
 * @param gateway the default gateway, inside {@code address}'s network
 * @param dns the upstream resolvers, IPv4
 */
record Uplink(UplinkSpec spec, String address, String gateway, List<String> dns) {
    /** The uplink's name inside the NetVM. */
    static final String INTERFACE = "uplink0";
    private static final Pattern IPV4 = Pattern.compile(
            "((25[0-5]|2[0-4][0-9]|1[0-9][0-9]|[1-9]?[0-9])\\.){3}(25[0-5]|2[0-4][0-9]|1[0-9][0-9]|[1-9]?[0-9])");
    private static final Pattern INTERFACE_NAME = Pattern.compile("[a-zA-Z0-9_.-]{1,15}");
    private static final Pattern NAMESPACE_NAME = Pattern.compile("[a-zA-Z0-9_.-]{1,255}");

    /**
     * The settings as configured.
     *
     * @throws InvalidValueException naming the first wrong setting
     */
    static Uplink of(NetvmConfig config) {
        List<String> dns = new ArrayList<>();
        for (String server : config.dns().split(",")) {
            if (!server.isBlank()) {
                dns.add(ipv4("dns", server.strip(), "IPv4 addresses in dotted form, comma separated, e.g. 198.51.100.53"));
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
            throw new InvalidValueException("uplink.host_interface", hostInterface,
                    "an interface name of 1 to 15 letters, digits, '_', '.' or '-'");
        }
        String namespace = config.uplink_host__namespace().strip();
        if (!namespace.isEmpty() && m != UplinkSpec.Mode.VETH) {
            throw new InvalidValueException("uplink.host_namespace", namespace, "empty unless uplink.mode=veth");
        }
        if (!namespace.isEmpty() && !NAMESPACE_NAME.matcher(namespace).matches()) {
            throw new InvalidValueException("uplink.host_namespace", namespace, "a network namespace name, or empty for the host's own");
        }
        String address = config.uplink_address().strip();
        String cidr = "an IPv4 address with its prefix length of 1 to 31, e.g. 198.51.100.2/24";
        int slash = address.indexOf('/');
        if (slash < 0 || !address.substring(slash + 1).matches("[0-9]{1,2}")) {
            throw new InvalidValueException("uplink.address", address, cidr);
        }
        int prefix = Integer.parseInt(address.substring(slash + 1));
        if (prefix < 1 || prefix > 31) {
            throw new InvalidValueException("uplink.address", address, cidr);
        }
        String own = ipv4("uplink.address", address.substring(0, slash), cidr);
        String gateway = ipv4("uplink.gateway", config.uplink_gateway().strip(), "an IPv4 address in dotted form");
        int mask = -1 << (32 - prefix);
        if ((bits(gateway) & mask) != (bits(own) & mask) || gateway.equals(own)) {
            throw new InvalidValueException("uplink.gateway", gateway, "an address inside uplink.address " + address
                    + " other than the NetVM's own");
        }
        return new Uplink(new UplinkSpec(m, hostInterface, namespace.isEmpty() ? null : namespace, INTERFACE), address, gateway,
                List.copyOf(dns));
    }

    private static String ipv4(String setting, String value, String accepted) {
        if (!IPV4.matcher(value).matches()) {
            throw new InvalidValueException(setting, value, accepted);
        }
        return value;
    }

    private static int bits(String ipv4) {
        int bits = 0;
        for (String part : ipv4.split("\\.")) {
            bits = bits << 8 | Integer.parseInt(part);
        }
        return bits;
    }

    boolean enabled() {
        return spec != null;
    }

    /** Whether {@code other} is the same link, addressed the same way (it may differ in DNS). */
    boolean sameLinkAs(Uplink other) {
        return other != null && Objects.equals(spec, other.spec) && Objects.equals(address, other.address)
                && Objects.equals(gateway, other.gateway);
    }

    /** The settings that make this link, for messages. */
    String describe() {
        return "uplink.mode=" + spec.mode().toString().toLowerCase(Locale.ROOT) + " uplink.host_interface=" + spec.hostInterface()
                + (spec.hostNamespace() == null ? "" : " uplink.host_namespace=" + spec.hostNamespace());
    }

    /**
     * {@code ip -batch} lines that address the uplink inside the NetVM and route through it. No
     * IPv6 link-local address: the NetVM routes IPv4 only and sends nothing of its own upstream.
     */
    String ipCommands() {
        return String.join("\n", "link set " + INTERFACE + " addrgenmode none", "address flush dev " + INTERFACE,
                "address replace " + address + " dev " + INTERFACE, "link set " + INTERFACE + " up",
                "route replace default via " + gateway + " dev " + INTERFACE) + "\n";
    }
}
