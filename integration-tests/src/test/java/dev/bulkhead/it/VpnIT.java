package dev.bulkhead.it;

import static org.junit.Assert.assertArrayEquals;
import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertFalse;
import static org.junit.Assert.assertTrue;
import static org.junit.Assert.fail;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.List;
import java.util.Map;

import org.junit.Before;
import org.junit.Test;

import dev.bulkhead.api.AdminException;
import dev.bulkhead.api.Label;
import dev.bulkhead.api.QubeClass;
import dev.bulkhead.api.QubeSpec;

/**
 * The VPN-VM in the chain work → sys-vpn → sys-firewall → sys-net → the outside, with a real
 * WireGuard server in the outside. Behind the server are a web and a DNS server nothing else
 * reaches; the outside counts every packet from sys-net by kind.
 */
public class VpnIT extends GatewayTestSupport {
    static final String VPN_BUNDLE = "dev.bulkhead.role.vpn";
    /** Every kind but WireGuard: what the tunnel must carry, or nothing must carry. */
    static final List<String> AROUND_THE_TUNNEL = List.of("tor", "dns", "tcp", "udp", "icmp");

    private String clientKey;
    private String serverPublicKey;

    @Before
    public void buildTheNetwork() throws Exception {
        buildUpstream();
        clientKey = host("wg", "genkey").strip();
        serverPublicKey = outside.startWireGuardServer(publicKey(clientKey));
        createGateway("sys-vpn", "vpn", "sys-firewall");
        admin().create(new QubeSpec("work", QubeClass.AppVM, Label.BLUE, Map.of("netvm", "sys-vpn")));
        String imported = shell("qvm:vpn import sys-vpn " + wgQuick("good.conf", clientKey));
        assertTrue(imported, imported.contains("it applies when sys-vpn starts"));
        startChain("work");
    }

    private String wgQuick(String fileName, String privateKey) throws IOException {
        return wgQuick(fileName, privateKey, serverPublicKey).toString();
    }

    private Path stored() {
        return dataDir().resolve("vpn").resolve("sys-vpn.conf");
    }

    @Test
    public void anAppVmReachesWhatOnlyTheTunnelReachesAndTheUplinkCarriesOnlyWireGuard() throws Exception {
        Map<String, Long> before = outside.packetsByKind();
        assertEquals(OutsideNetwork.TUNNEL_PAGE, fetch("work", OutsideNetwork.TUNNEL_SERVER).stdoutText());
        assertEquals(OutsideNetwork.PAGE, fetch("work", OutsideNetwork.WEB).stdoutText());
        Map<String, Long> after = outside.packetsByKind();
        assertTrue(after.toString(), after.get("wireguard") > before.get("wireguard"));
        for (String kind : AROUND_THE_TUNNEL) {
            assertEquals(kind + " went around the tunnel: " + after, before.get(kind), after.get(kind));
        }
        assertFalse("sys-firewall alone does not reach the tunnel's server", fetch("sys-firewall", OutsideNetwork.TUNNEL_SERVER)
                .stdoutText().equals(OutsideNetwork.TUNNEL_PAGE));

        String status = shell("qvm:vpn status sys-vpn");
        assertTrue(status, status.startsWith("sys-vpn: tunnel up (wireguard-go, interface up)"));
        assertTrue(status, status.matches("(?s).*latest handshake [0-9]+ s ago.*"));
        assertFalse("the private key is never shown", status.contains(clientKey));
        awaitTrue("sys-vpn's feature to say the tunnel is up", QUBE_TIMEOUT,
                () -> "up".equals(admin().get("sys-vpn").features().get("vpn.tunnel")), () -> admin().get("sys-vpn").features().toString());
    }

    @Test
    public void theKeyIsStoredForRootAloneAndDnsGoesOnlyThroughTheTunnel() throws IOException {
        assertEquals("rw-------", PosixFilePermissions.toString(Files.getPosixFilePermissions(stored())));
        assertEquals("rwx------", PosixFilePermissions.toString(Files.getPosixFilePermissions(stored().getParent())));

        long dnsBefore = outside.packetsByKind().get("dns");
        String answer = run("work", "nslookup", OutsideNetwork.WEB_NAME).stdoutText();
        assertTrue("answered by the tunnel's DNS, which says " + OutsideNetwork.TUNNEL_SERVER + ": " + answer,
                answer.contains("Address: " + OutsideNetwork.TUNNEL_SERVER));
        assertEquals("DNS reached the uplink", dnsBefore, (long) outside.packetsByKind().get("dns"));
    }

    @Test
    public void withTheTunnelInterfaceDownNothingOfTheAppVmLeaves() {
        assertEquals(OutsideNetwork.PAGE, fetch("work", OutsideNetwork.WEB).stdoutText());
        host("ip", "-n", netnsOfRunning("sys-vpn"), "link", "set", "wg0", "down");
        assertNothingLeaves("work", AROUND_THE_TUNNEL);
    }

    @Test
    public void withWireGuardKilledNothingOfTheAppVmLeaves() throws Exception {
        assertEquals(OutsideNetwork.PAGE, fetch("work", OutsideNetwork.WEB).stdoutText());
        runOk("sys-vpn", "killall", "wireguard-go");
        awaitTrue("the tunnel to go with its daemon", QUBE_TIMEOUT, () -> status().contains("there is no interface wg0"), this::status);
        assertNothingLeaves("work", AROUND_THE_TUNNEL);
        awaitTrue("sys-vpn's feature to say the tunnel is down", QUBE_TIMEOUT,
                () -> "down".equals(admin().get("sys-vpn").features().get("vpn.tunnel")), () -> admin().get("sys-vpn").features().toString());
    }

    @Test
    public void withAKeyTheServerDoesNotKnowNothingOfTheAppVmLeaves() throws Exception {
        String otherKey = host("wg", "genkey").strip();
        String imported = shell("qvm:vpn import sys-vpn " + wgQuick("other.conf", otherKey));
        assertTrue(imported, imported.contains("its new tunnel is in place"));
        assertFalse(imported.contains(otherKey));
        long tries = outside.packetsByKind().get("wireguard");
        assertNothingLeaves("work", AROUND_THE_TUNNEL);
        assertTrue("sys-vpn did try its server", outside.packetsByKind().get("wireguard") > tries);
        assertTrue(status(), status().contains("latest handshake never"));
    }

    @Test
    public void aWrongFileIsRefusedNamingTheLineAndChangesNothing() throws Exception {
        byte[] before = Files.readAllBytes(stored());
        Path bad = Path.of(wgQuick("bad.conf", clientKey));
        Files.writeString(bad, Files.readString(bad).replace("Endpoint = ", "PostUp = iptables -F\nEndpoint = "));
        try {
            shell("qvm:vpn import sys-vpn " + bad);
            fail("a file with a PostUp hook was imported");
        } catch (Exception e) {
            assertTrue(String.valueOf(e.getCause()), e.getCause() instanceof AdminException);
            assertTrue(e.getMessage(), e.getMessage().startsWith("qvm:vpn: invalid wg-quick line 10 'PostUp = iptables -F'"));
        }
        Path badKey = Path.of(wgQuick("badkey.conf", clientKey.substring(0, 40) + "AA="));
        try {
            shell("qvm:vpn import sys-vpn " + badKey);
            fail("a file with a broken key was imported");
        } catch (Exception e) {
            assertTrue(String.valueOf(e.getCause()), e.getCause() instanceof AdminException);
            assertTrue(e.getMessage(), e.getMessage().startsWith("qvm:vpn: invalid wg-quick line 3 'PrivateKey = (hidden)'"));
            assertFalse(e.getMessage(), e.getMessage().contains(clientKey.substring(0, 40)));
        }
        assertArrayEquals(before, Files.readAllBytes(stored()));
        assertEquals(OutsideNetwork.PAGE, fetch("work", OutsideNetwork.WEB).stdoutText());
    }

    @Test
    public void withTheVpnRoleBundleGoneSysVpnStopsAndNothingLeavesUntilItIsBack() throws Exception {
        awaitTrue("the tunnel state in sys-vpn's features", QUBE_TIMEOUT, () -> admin().get("sys-vpn").features().containsKey("vpn.tunnel"),
                () -> admin().get("sys-vpn").features().toString());
        installedBundle(VPN_BUNDLE).stop();
        try {
            awaitTrue("sys-vpn to stop with its role", QUBE_TIMEOUT, () -> !admin().get("sys-vpn").state().isActive(),
                    () -> admin().get("sys-vpn").state().toString());
            awaitTrue("sys-vpn's tunnel state to go with the role", QUBE_TIMEOUT,
                    () -> !admin().get("sys-vpn").features().containsKey("vpn.tunnel"), () -> admin().get("sys-vpn").features().toString());
            assertNothingLeaves("work", OutsideNetwork.KINDS);
        } finally {
            installedBundle(VPN_BUNDLE).start();
        }
        awaitService("(&(objectClass=dev.bulkhead.api.role.QubeRole)(component.name=*VpnRole))");
        admin().start("sys-vpn");
        assertEquals(OutsideNetwork.PAGE, fetch("work", OutsideNetwork.WEB).stdoutText());
    }

    @Test
    public void removingTheVpnVmTakesItsKeyWithIt() {
        admin().kill("work");
        admin().kill("sys-vpn");
        admin().remove("work");
        admin().remove("sys-vpn");
        awaitTrue("the stored configuration to go", QUBE_TIMEOUT, () -> !Files.exists(stored()), () -> stored() + " is still there");
    }

    private String status() {
        try {
            return shell("qvm:vpn status sys-vpn");
        } catch (Exception e) {
            throw new IllegalStateException(e);
        }
    }
}
