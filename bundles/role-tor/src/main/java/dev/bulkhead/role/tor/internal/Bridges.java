package dev.bulkhead.role.tor.internal;

import java.util.ArrayList;
import java.util.List;
import java.util.regex.Pattern;

import dev.bulkhead.api.InvalidValueException;

/** The {@code bridges} setting, checked: each entry a plain Tor bridge that tor can be given as a {@code Bridge} line. */
final class Bridges {
    private static final Pattern IPV4 = Pattern.compile(
            "((25[0-5]|2[0-4][0-9]|1[0-9][0-9]|[1-9]?[0-9])\\.){3}(25[0-5]|2[0-4][0-9]|1[0-9][0-9]|[1-9]?[0-9])");
    private static final Pattern FINGERPRINT = Pattern.compile("[0-9A-Fa-f]{40}");
    static final String ACCEPTED = "bridges as IPv4:PORT with an optional 40-hex-digit fingerprint, comma separated,"
            + " e.g. 203.0.113.30:443 0123456789ABCDEF0123456789ABCDEF01234567";

    private Bridges() {
    }

    /**
     * The bridge lines of the setting, in order.
     *
     * @throws InvalidValueException naming the first entry that is not a bridge
     */
    static List<String> parse(String setting) {
        List<String> bridges = new ArrayList<>();
        for (String entry : setting.split(",")) {
            String bridge = entry.strip();
            if (bridge.isEmpty()) {
                continue;
            }
            String[] parts = bridge.split("\\s+");
            if (parts.length > 2 || !address(parts[0]) || parts.length == 2 && !FINGERPRINT.matcher(parts[1]).matches()) {
                throw new InvalidValueException("bridges", bridge, ACCEPTED);
            }
            bridges.add(String.join(" ", parts));
        }
        return List.copyOf(bridges);
    }

    private static boolean address(String hostPort) {
        int colon = hostPort.lastIndexOf(':');
        if (colon < 0 || !IPV4.matcher(hostPort.substring(0, colon)).matches()) {
            return false;
        }
        String port = hostPort.substring(colon + 1);
        return port.matches("[1-9][0-9]{0,4}") && Integer.parseInt(port) <= 65535;
    }
}
