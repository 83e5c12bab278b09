package dev.bulkhead.role.vpn.internal;

import java.util.ArrayList;
import java.util.List;

/**
 * What the role runs inside a VPN-VM (as root, with the qube's busybox; iproute2 by path, as a
 * busybox shell would otherwise run its own smaller ip applet). The private key travels on standard
 * input only.
 */
final class VpnScripts {
    static final String IP = "/sbin/ip";
    static final String WG = "/usr/bin/wg";
    static final String WIREGUARD_GO = "/usr/bin/wireguard-go";
    /** Exit status of {@link #tunnelUp} when the qube has no WireGuard, and of {@link #status} when there is no tunnel. */
    static final int MISSING = 3;

    private VpnScripts() {
    }

    /**
     * {@code ip -batch} lines that route the clients through the tunnel: everything without the
     * tunnel's mark looks in the tunnel's table, where, when the tunnel is down, an unreachable
     * route answers; the main table still serves the links to the clients and to the netvm.
     */
    static String routing() {
        return String.join("\n", "rule add pref 10 table main suppress_prefixlength 0",
                "rule add pref 11 not fwmark " + VpnLayout.TABLE + " table " + VpnLayout.TABLE,
                "route replace unreachable default metric 4096 table " + VpnLayout.TABLE) + "\n";
    }

    /**
     * Runs the {@link #routing} lines read from standard input after taking away the rules an
     * earlier run left, so that a qube that already has them (one taken over after a restart of
     * the platform) ends with each rule once.
     */
    static List<String> route() {
        return List.of("/bin/sh", "-c", """
                while %1$s rule del pref 10 2>/dev/null; do :; done
                while %1$s rule del pref 11 2>/dev/null; do :; done
                exec %1$s -batch -
                """.formatted(IP));
    }

    /**
     * Replaces the tunnel interface with a new one, the kernel's WireGuard if it has one and
     * wireguard-go otherwise, and gives it the keys and peers read from standard input. Prints which
     * WireGuard it is.
     */
    static List<String> tunnelUp(VpnLayout layout) {
        String script = """
                if [ ! -x %3$s ]; then
                    echo "there is no wg in this qube: %3$s is missing" >&2
                    exit %5$d
                fi
                %1$s link del %2$s 2>/dev/null
                if %1$s link add %2$s type wireguard 2>/dev/null; then
                    echo kernel
                elif [ -x %4$s ]; then
                    %4$s %2$s < /dev/null > /dev/null 2>&1 || { echo "wireguard-go could not make %2$s" >&2; exit 4; }
                    echo wireguard-go
                else
                    echo "no WireGuard in this qube: the kernel has none and %4$s is missing" >&2
                    exit %5$d
                fi
                if ! %3$s setconf %2$s /dev/stdin; then
                    %1$s link del %2$s
                    exit 4
                fi
                """.formatted(IP, layout.tunnel(), WG, WIREGUARD_GO, MISSING);
        return List.of("/bin/sh", "-c", script);
    }

    /** {@code ip -batch} lines that address the tunnel, bring it up and route the peers' IPv4 through it. */
    static String tunnelAddresses(VpnLayout layout, WgQuickConfig config) {
        List<String> lines = new ArrayList<>();
        for (String address : config.ipv4Addresses()) {
            lines.add("address add " + address + " dev " + layout.tunnel());
        }
        lines.add("link set " + layout.tunnel() + " mtu " + config.mtu() + " up");
        for (String network : config.ipv4AllowedIps()) {
            lines.add("route add " + network + " dev " + layout.tunnel() + " table " + VpnLayout.TABLE);
        }
        return String.join("\n", lines) + "\n";
    }

    /** The tunnel as {@link VpnStatus#parse} reads it; no secret is printed. */
    static List<String> status(VpnLayout layout) {
        String script = """
                %1$s link show %2$s > /dev/null 2>&1 || exit %4$d
                if %1$s -d link show %2$s | grep -q wireguard; then echo "kind kernel"; else echo "kind wireguard-go"; fi
                if %1$s link show %2$s | grep -q '[<,]UP[,>]'; then echo "up yes"; else echo "up no"; fi
                echo "now $(date +%%s)"
                %3$s show %2$s public-key | sed 's/^/pub /'
                %3$s show %2$s endpoints | sed 's/^/endpoint /'
                %3$s show %2$s latest-handshakes | sed 's/^/handshake /'
                %3$s show %2$s transfer | sed 's/^/transfer /'
                """.formatted(IP, layout.tunnel(), WG, MISSING);
        return List.of("/bin/sh", "-c", script);
    }
}
