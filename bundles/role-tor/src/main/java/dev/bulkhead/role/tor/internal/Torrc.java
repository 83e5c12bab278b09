package dev.bulkhead.role.tor.internal;

import java.util.List;

/**
 * The TorVM's torrc. Clients reach tor only through the TransPort and the DNSPort, each client's
 * streams on circuits of their own (IsolateClientAddr: clients are told apart by their address);
 * names ending in .onion resolve to addresses of a virtual range that the TransPort maps back. The
 * ControlPort listens on loopback only and wants the password only root in the TorVM can read.
 */
final class Torrc {
    static final String VIRTUAL_NETWORK = "10.192.0.0/10";

    private Torrc() {
    }

    static String render(TorLayout layout, List<String> bridges, String hashedPassword) {
        StringBuilder torrc = new StringBuilder();
        torrc.append("# Written by the TorVM role at every start of the qube; changes here do not last.\n");
        torrc.append("DataDirectory ").append(layout.torDataDirectory()).append('\n');
        torrc.append("SocksPort 0\n");
        torrc.append("TransPort 0.0.0.0:").append(TorLayout.TRANS_PORT).append(" IsolateClientAddr\n");
        torrc.append("DNSPort 0.0.0.0:").append(TorLayout.DNS_PORT).append(" IsolateClientAddr\n");
        torrc.append("AutomapHostsOnResolve 1\n");
        torrc.append("AutomapHostsSuffixes .onion\n");
        torrc.append("VirtualAddrNetworkIPv4 ").append(VIRTUAL_NETWORK).append('\n');
        torrc.append("ControlPort 127.0.0.1:").append(TorLayout.CONTROL_PORT).append('\n');
        torrc.append("CookieAuthentication 0\n");
        torrc.append("HashedControlPassword ").append(hashedPassword).append('\n');
        torrc.append("ClientOnly 1\n");
        torrc.append("Log notice stdout\n");
        if (!bridges.isEmpty()) {
            torrc.append("UseBridges 1\n");
            bridges.forEach(b -> torrc.append("Bridge ").append(b).append('\n'));
        }
        return torrc.toString();
    }
}
