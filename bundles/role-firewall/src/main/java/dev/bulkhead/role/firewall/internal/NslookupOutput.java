package dev.bulkhead.role.firewall.internal;

import java.util.ArrayList;
import java.util.List;

/** Reads the answer addresses from busybox {@code nslookup} output (the server's own lines come before {@code Name:}). */
final class NslookupOutput {
    private NslookupOutput() {
    }

    static List<String> addresses(String output) {
        List<String> addresses = new ArrayList<>();
        boolean answer = false;
        for (String line : output.lines().map(String::strip).toList()) {
            if (line.startsWith("Name:")) {
                answer = true;
            } else if (answer && line.startsWith("Address")) {
                String value = line.substring(line.indexOf(':') + 1).strip().split("\\s+")[0];
                if (value.matches("[0-9a-fA-F:.]+") && !addresses.contains(value)) {
                    addresses.add(value);
                }
            }
        }
        return addresses;
    }
}
