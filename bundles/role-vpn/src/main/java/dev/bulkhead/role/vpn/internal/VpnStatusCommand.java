package dev.bulkhead.role.vpn.internal;

import java.io.PrintStream;
import java.util.Arrays;
import java.util.List;
import java.util.Optional;

import org.apache.felix.service.command.Descriptor;
import org.osgi.service.component.annotations.Activate;
import org.osgi.service.component.annotations.Component;
import org.osgi.service.component.annotations.Reference;

import dev.bulkhead.api.InvalidValueException;
import dev.bulkhead.api.QubeAdmin;

/**
 * {@code qvm:vpn-status NAME}: a running VPN-VM's tunnel, its peers and their latest handshakes.
 * Gogo finds no method for a name with a hyphen, so the command is this object's {@code _main},
 * which Gogo gives the command's name first.
 */
@Component(service = VpnStatusCommand.class, property = { "osgi.command.scope=qvm", "osgi.command.function=vpn-status" })
public final class VpnStatusCommand {
    static final String USAGE = "qvm:vpn-status NAME";
    private final QubeAdmin admin;
    private final VpnQubes qubes;
    private final VpnStore store;

    @Activate
    public VpnStatusCommand(@Reference QubeAdmin admin, @Reference VpnQubes qubes, @Reference VpnStore store) {
        this.admin = admin;
        this.qubes = qubes;
        this.store = store;
    }

    @Descriptor("Show a running VPN-VM's WireGuard tunnel and its handshakes. Usage: " + USAGE)
    public void _main(@Descriptor("NAME") String... args) {
        List<String> operands = Arrays.asList(args).subList(1, args.length);
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
            out.println(name + ": no WireGuard configuration imported (qvm:vpn-import " + name + " FILE); clients get nothing through");
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
