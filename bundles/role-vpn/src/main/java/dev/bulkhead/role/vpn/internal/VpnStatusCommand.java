package dev.bulkhead.role.vpn.internal;

import java.io.PrintStream;
import java.util.List;
import java.util.Optional;


import dev.bulkhead.api.InvalidValueException;
import dev.bulkhead.api.QubeAdmin;

/** {@code qvm:vpn status NAME}: a running VPN-VM's tunnel, its peers and their latest handshakes. */
final class VpnStatusCommand {
    static final String USAGE = "qvm:vpn status NAME";
    private final QubeAdmin admin;
    private final VpnQubes qubes;
    private final VpnStore store;

    VpnStatusCommand(QubeAdmin admin, VpnQubes qubes, VpnStore store) {
        this.admin = admin;
        this.qubes = qubes;
        this.store = store;
    }

    /** @param operands what follows {@code status} */
    void run(List<String> operands) {
        if (operands.size() != 1) {
            throw new InvalidValueException("arguments", String.join(" ", operands), "one qube name: " + USAGE);
        }
        String name = operands.get(0);
        VpnShell.vpnQube(admin, name);
        Optional<WgQuickConfig> config = store.read(name);
        VpnStatus status = VpnControl.query(VpnShell.of(admin, qubes, name), qubes.layout());
        print(name, config.orElse(null), status, System.out);
    }

    static void print(String name, WgQuickConfig config, VpnStatus status, PrintStream out) {
        if (config == null) {
            out.println(name + ": no WireGuard configuration imported (qvm:vpn import " + name + " FILE); clients get nothing through");
        }
        if (!status.present()) {
            out.println(name + ": tunnel down: " + status.problem());
            return;
        }
        out.println(name + ": tunnel " + (status.tunnelUp() ? "up" : "down") + " (" + status.kind() + ", interface "
                + (status.up() ? "up" : "down") + ")");
        out.println("public key  " + status.publicKey());
        if (config != null) {
            out.println("address     " + String.join(", ", config.ipv4Addresses()));
            out.println("DNS         " + (config.ipv4Dns().isEmpty() ? "none: clients' DNS is dropped"
                    : String.join(", ", config.ipv4Dns()) + ", through the tunnel, the only DNS its clients reach"));
        }
        for (VpnStatus.PeerStatus p : status.peers()) {
            String handshake = p.latestHandshake() == 0 ? "never"
                    : (status.now() - p.latestHandshake()) + " s ago";
            out.println("peer        " + p.publicKey() + "  endpoint " + (p.endpoint().isEmpty() ? "-" : p.endpoint())
                    + "  latest handshake " + handshake + "  received " + p.received() + " B  sent " + p.sent() + " B");
        }
    }
}
