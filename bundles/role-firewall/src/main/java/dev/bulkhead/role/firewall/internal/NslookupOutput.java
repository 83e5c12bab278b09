package dev.bulkhead.role.firewall.internal;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.regex.Pattern;

/**
 * Reads answer addresses from {@code nslookup} output (busybox's and bind's: the server's own
 * {@code Address} lines come before the first {@code Name:}), and from the output of several
 * lookups, each after a line {@code ### NAME}.
 */
final class NslookupOutput {
    static final String SECTION = "### ";
    /** What may go into the filter as an address: the forms nslookup prints, nothing else. */
    private static final Pattern IPV4 = Pattern.compile(
            "((25[0-5]|2[0-4][0-9]|1[0-9][0-9]|[1-9]?[0-9])\\.){3}(25[0-5]|2[0-4][0-9]|1[0-9][0-9]|[1-9]?[0-9])");
    private static final Pattern IPV6 = Pattern.compile("[0-9a-fA-F]{0,4}(:[0-9a-fA-F]{0,4}){2,7}");

    private NslookupOutput() {
    }

    /** Addresses per name, for output made of sections; a name without a section is absent. */
    static Map<String, List<String>> sections(String output) {
        Map<String, List<String>> byName = new LinkedHashMap<>();
        String name = null;
        StringBuilder section = new StringBuilder();
        for (String line : output.lines().toList()) {
            if (line.startsWith(SECTION)) {
                if (name != null) {
                    byName.put(name, addresses(section.toString()));
                }
                name = line.substring(SECTION.length()).strip();
                section.setLength(0);
            } else {
                section.append(line).append('\n');
            }
        }
        if (name != null) {
            byName.put(name, addresses(section.toString()));
        }
        return byName;
    }

    static List<String> addresses(String output) {
        List<String> addresses = new ArrayList<>();
        boolean answer = false;
        for (String line : output.lines().map(String::strip).toList()) {
            if (line.startsWith("Name:")) {
                answer = true;
            } else if (answer && line.startsWith("Address")) {
                String value = line.substring(line.indexOf(':') + 1).strip().split("\\s+")[0];
                if ((IPV4.matcher(value).matches() || IPV6.matcher(value).matches()) && !addresses.contains(value)) {
                    addresses.add(value);
                }
            }
        }
        return addresses;
    }
}
