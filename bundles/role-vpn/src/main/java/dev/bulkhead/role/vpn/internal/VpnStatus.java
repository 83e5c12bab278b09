package dev.bulkhead.role.vpn.internal;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * A VPN-VM's tunnel as {@code wg show} and {@code ip link} describe it. {@code problem} is set, and
 * the rest empty, when there is no tunnel to describe.
 *
 * @param kind      {@code kernel} or {@code wireguard-go}
 * @param up        whether the interface is up
 * @param publicKey the tunnel's own public key
 * @param now       the qube's clock, in seconds since the epoch, when it was read
 * @param problem   why there is no status; {@code null} when there is one
 */
record VpnStatus(String kind, boolean up, String publicKey, long now, List<PeerStatus> peers, String problem) {
    /** WireGuard drops a session this long after its handshake without a new one (REJECT_AFTER_TIME). */
    static final long SESSION_SECONDS = 180;

    /**
     * @param latestHandshake seconds since the epoch, 0 when there has been none
     */
    record PeerStatus(String publicKey, String endpoint, long latestHandshake, long received, long sent) {
    }

    VpnStatus {
        peers = List.copyOf(peers);
    }

    static VpnStatus unavailable(String problem) {
        return new VpnStatus("", false, "", 0, List.of(), problem);
    }

    boolean present() {
        return problem == null;
    }

    /** Up with a session: the interface is up and a peer shook hands recently enough for its session to hold. */
    boolean tunnelUp() {
        return present() && up && peers.stream().anyMatch(p -> p.latestHandshake() > 0 && now - p.latestHandshake() <= SESSION_SECONDS);
    }

    static VpnStatus parse(String output) {
        String kind = "";
        boolean up = false;
        String publicKey = "";
        long now = 0;
        Map<String, String[]> peers = new LinkedHashMap<>();
        for (String line : output.lines().toList()) {
            String[] f = line.strip().split("\\s+");
            switch (f[0]) {
                case "kind" -> kind = f.length > 1 ? f[1] : "";
                case "up" -> up = f.length > 1 && f[1].equals("yes");
                case "now" -> now = number(f, 1);
                case "pub" -> publicKey = f.length > 1 ? f[1] : "";
                case "endpoint" -> peer(peers, f)[0] = f.length > 2 ? f[2] : "";
                case "handshake" -> peer(peers, f)[1] = f.length > 2 ? f[2] : "0";
                case "transfer" -> {
                    peer(peers, f)[2] = f.length > 2 ? f[2] : "0";
                    peer(peers, f)[3] = f.length > 3 ? f[3] : "0";
                }
                default -> {
                    // lines of no interest
                }
            }
        }
        List<PeerStatus> list = new ArrayList<>();
        for (Map.Entry<String, String[]> e : peers.entrySet()) {
            String[] v = e.getValue();
            list.add(new PeerStatus(e.getKey(), v[0] == null || v[0].equals("(none)") ? "" : v[0], count(v[1]), count(v[2]), count(v[3])));
        }
        return new VpnStatus(kind, up, publicKey, now, list, null);
    }

    private static String[] peer(Map<String, String[]> peers, String[] fields) {
        return peers.computeIfAbsent(fields.length > 1 ? fields[1] : "", k -> new String[4]);
    }

    private static long number(String[] fields, int index) {
        return fields.length > index ? count(fields[index]) : 0;
    }

    private static long count(String number) {
        try {
            return number == null ? 0 : Long.parseLong(number);
        } catch (NumberFormatException e) {
            return 0;
        }
    }
}
