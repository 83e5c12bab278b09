package dev.bulkhead.console.internal;

import java.net.InetAddress;
import java.net.UnknownHostException;
import java.util.Optional;
import java.util.regex.Pattern;

/**
 * Which listen addresses the console accepts: literal loopback addresses only. A host name is
 * refused even when it is {@code localhost}, because what it resolves to is decided elsewhere.
 */
final class LoopbackAddresses {
    static final String ACCEPTED = "a loopback address: 127.0.0.1 (or another 127.x.y.z) or ::1";
    private static final Pattern DOTTED_QUAD = Pattern.compile("(25[0-5]|2[0-4][0-9]|1[0-9][0-9]|[1-9]?[0-9])(\\.(25[0-5]|2[0-4][0-9]|1[0-9][0-9]|[1-9]?[0-9])){3}");
    private static final Pattern IPV6 = Pattern.compile("[0-9a-fA-F:.]+");

    private LoopbackAddresses() {
    }

    /** Whether the text is a literal loopback address, IPv4 or IPv6 (brackets allowed). */
    static boolean isLoopback(String host) {
        if (host == null) {
            return false;
        }
        String h = host.strip();
        if (h.startsWith("[") && h.endsWith("]")) {
            h = h.substring(1, h.length() - 1);
        }
        boolean literal = DOTTED_QUAD.matcher(h).matches() || h.contains(":") && IPV6.matcher(h).matches();
        if (!literal) {
            return false;
        }
        try {
            // A literal: parsed without a name lookup.
            return InetAddress.getByName(h).isLoopbackAddress();
        } catch (UnknownHostException e) {
            return false;
        }
    }

    /** Why the address is refused, or empty when it is accepted. */
    static Optional<String> problem(String host) {
        if (host == null || host.isBlank()) {
            return Optional.of("no address given, which means every address of the machine; accepted: " + ACCEPTED);
        }
        return isLoopback(host) ? Optional.empty() : Optional.of("'" + host + "' is not " + ACCEPTED);
    }

    /**
     * Whether an endpoint URL as the HTTP runtime advertises it ({@code http://127.0.0.1:8137/})
     * is on a loopback address. Felix writes an IPv6 address without brackets, and leaves the
     * port out when it is the scheme's default.
     */
    static boolean isLoopbackEndpoint(String endpoint) {
        String rest = endpoint.replaceFirst("^[a-zA-Z][a-zA-Z0-9+.-]*://", "");
        int slash = rest.indexOf('/');
        String authority = slash < 0 ? rest : rest.substring(0, slash);
        if (isLoopback(authority)) {
            return true;
        }
        int colon = authority.lastIndexOf(':');
        return colon > 0 && authority.substring(colon + 1).matches("[0-9]{1,5}") && isLoopback(authority.substring(0, colon));
    }
}
