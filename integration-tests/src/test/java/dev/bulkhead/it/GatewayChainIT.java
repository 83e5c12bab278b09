package dev.bulkhead.it;

import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertTrue;

import java.util.List;
import java.util.Map;

import org.junit.Before;
import org.junit.Test;

import dev.bulkhead.api.Label;
import dev.bulkhead.api.QubeClass;
import dev.bulkhead.api.QubeSpec;

/**
 * Gateways behind gateways: Tor through a VPN tunnel, and a VPN that would have to go through Tor,
 * which cannot carry WireGuard's UDP, so it fails closed.
 */
public class GatewayChainIT extends GatewayTestSupport {
    private String vpnKey;
    private String serverPublicKey;

    @Before
    public void buildTheNetwork() throws Exception {
        buildUpstream();
        configure("dev.bulkhead.role.tor", Map.of("bridges", OutsideNetwork.BRIDGE + ":" + OutsideNetwork.BRIDGE_PORT),
                "(bridges=" + OutsideNetwork.BRIDGE + ":" + OutsideNetwork.BRIDGE_PORT + ")");
        vpnKey = host("wg", "genkey").strip();
        serverPublicKey = outside.startWireGuardServer(publicKey(vpnKey));
    }

    @Test
    public void torBehindAVpnReachesItsBridgeOnlyThroughTheTunnel() throws Exception {
        createGateway("sys-vpn", "vpn", "sys-firewall");
        shell("qvm:vpn import sys-vpn " + wgQuick("sys-vpn.conf", vpnKey, serverPublicKey));
        createGateway("sys-tor", "tor", "sys-vpn");
        admin().create(new QubeSpec("anon", QubeClass.AppVM, Label.BLACK, Map.of("netvm", "sys-tor")));
        startChain("anon");

        awaitTrue("tor to try its bridge through the tunnel", QUBE_TIMEOUT, () -> outside.torPacketsFromTunnel() > 0,
                () -> outside.torPacketsFromTunnel() + " from the tunnel, " + outside.packetsByKind() + " from the uplink");
        runOk("anon", "sh", "-c", "timeout 20 wget -q -O /dev/null http://" + OutsideNetwork.WEB + ":80/ >/dev/null 2>&1 &");
        String client = addressOf("anon");
        awaitTrue("anon's connection on tor's TransPort", QUBE_TIMEOUT, () -> transPortConnections("sys-tor").contains(client + ":"),
                () -> transPortConnections("sys-tor"));
        assertNothingLeaves("anon", List.of("tor", "dns", "tcp", "udp", "icmp"));
        assertEquals("tor reached its bridge around the tunnel", 0L, (long) outside.packetsByKind().get("tor"));
    }

    @Test
    public void aVpnBehindTorGetsNoTunnelAndNothingOfItsClientsLeaves() throws Exception {
        createGateway("sys-tor", "tor", "sys-firewall");
        createGateway("sys-vpn", "vpn", "sys-tor");
        shell("qvm:vpn import sys-vpn " + wgQuick("sys-vpn.conf", vpnKey, serverPublicKey));
        admin().create(new QubeSpec("work", QubeClass.AppVM, Label.BLUE, Map.of("netvm", "sys-vpn")));
        startChain("work");

        assertNothingLeaves("work", List.of("wireguard", "dns", "tcp", "udp", "icmp"));
        String status = shell("qvm:vpn status sys-vpn");
        assertTrue("WireGuard's UDP does not pass Tor: " + status, status.contains("latest handshake never"));
        assertEquals("no WireGuard packet got past sys-tor", 0L, (long) outside.packetsByKind().get("wireguard"));
    }
}
