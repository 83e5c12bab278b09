package dev.bulkhead.role.vpn.internal;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.util.List;

import org.junit.jupiter.api.Test;

class VpnStatusTest {
    private static final String PEER = WgQuickConfigTest.SERVER;

    private static String output(String up, long now, long handshake) {
        return String.join("\n", "kind wireguard-go", "up " + up, "now " + now, "pub " + WgQuickConfigTest.PUBLIC,
                "endpoint " + PEER + "\t198.51.100.7:51820", "handshake " + PEER + "\t" + handshake,
                "transfer " + PEER + "\t1024\t2048") + "\n";
    }

    @Test
    void aTunnelWithARecentHandshakeIsUp() {
        VpnStatus s = VpnStatus.parse(output("yes", 1_000_000, 1_000_000 - 30));
        assertTrue(s.present());
        assertEquals("wireguard-go", s.kind());
        assertEquals(WgQuickConfigTest.PUBLIC, s.publicKey());
        assertEquals(List.of(new VpnStatus.PeerStatus(PEER, "198.51.100.7:51820", 1_000_000 - 30, 1024, 2048)), s.peers());
        assertTrue(s.tunnelUp());
    }

    @Test
    void noHandshakeAnOldOneOrAnInterfaceDownIsDown() {
        assertFalse(VpnStatus.parse(output("yes", 1_000_000, 0)).tunnelUp());
        assertFalse(VpnStatus.parse(output("yes", 1_000_000, 1_000_000 - 181)).tunnelUp());
        assertFalse(VpnStatus.parse(output("no", 1_000_000, 1_000_000 - 30)).tunnelUp());
        assertFalse(VpnStatus.unavailable("no tunnel").tunnelUp());
        VpnStatus noEndpoint = VpnStatus.parse("up yes\nendpoint " + PEER + "\t(none)\n");
        assertEquals("", noEndpoint.peers().get(0).endpoint());
    }

    @Test
    void theShellShowsHandshakesAndDnsButNoPrivateKey() {
        WgQuickConfig config = WgQuickConfig.parse(WgQuickConfigTest.FILE);
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        VpnStatusCommand.print("sys-vpn", config, VpnStatus.parse(output("yes", 1_000_000, 1_000_000 - 12)),
                new PrintStream(out, true, StandardCharsets.UTF_8));
        String printed = out.toString(StandardCharsets.UTF_8);
        assertTrue(printed.startsWith("sys-vpn: tunnel up (wireguard-go, interface up)"), printed);
        assertTrue(printed.contains("latest handshake 12 s ago"), printed);
        assertTrue(printed.contains("DNS         10.64.0.1, through the tunnel"), printed);
        assertFalse(printed.contains(WgQuickConfigTest.PRIVATE) || printed.contains(WgQuickConfigTest.PSK), printed);

        out.reset();
        VpnStatusCommand.print("sys-vpn", null, VpnStatus.unavailable("no tunnel: there is no interface wg0"),
                new PrintStream(out, true, StandardCharsets.UTF_8));
        assertEquals("sys-vpn: no WireGuard configuration imported (qvm:vpn import sys-vpn FILE); clients get nothing through\n"
                + "sys-vpn: tunnel down: no tunnel: there is no interface wg0\n", out.toString(StandardCharsets.UTF_8));
    }
}
