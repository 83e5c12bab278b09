package dev.bulkhead.role.vpn.internal;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;

import org.junit.jupiter.api.Test;

import dev.bulkhead.api.InvalidValueException;
import dev.bulkhead.testing.ScratchNetwork;

class WgQuickConfigTest {
    /** A key pair as wg genkey and wg pubkey made it. */
    static final String PRIVATE = "cN3EbEZ8jZvbT3AmfZZBl0OvyUy4IHRXTf+6+QG2m2o=";
    static final String PUBLIC = "Im1peHeqbiQxZdfCgkvrK2v6CJ3LDC8HEonLxOh+NhI=";
    static final String SERVER = "EEYjh5SAVA391afVt4ASjPYt83u0sMdJYD09iY2OP3Q=";
    static final String PSK = "MG786j34vQSbAmumvX5DzAYy7DlobXAHOP6muve/4lw=";

    /** A provider's file, as they come: comments, odd spacing, IPv6 next to IPv4, keys in any case. */
    static final String FILE = """
            # device: work laptop
            [Interface]
            PrivateKey = %s
            Address = 10.64.0.2/32,fc00:bbbb::2/128
            DNS = 10.64.0.1, 2001:db8::53, corp.example
            mtu=1380

            [Peer]   # the server
            PublicKey = %s
            PresharedKey = %s
            AllowedIPs = 0.0.0.0/0, ::/0
            Endpoint = 198.51.100.7:51820
            PersistentKeepalive = 25
            """.formatted(PRIVATE, SERVER, PSK);

    @Test
    void aProvidersFileIsReadWhole() {
        WgQuickConfig c = WgQuickConfig.parse(FILE);
        assertEquals(List.of("10.64.0.2/32"), c.ipv4Addresses());
        assertEquals(List.of("10.64.0.1"), c.ipv4Dns());
        assertEquals(List.of("0.0.0.0/0"), c.ipv4AllowedIps());
        assertEquals(1380, c.mtu());
        assertEquals(1, c.peers().size());
        assertEquals(new WgQuickConfig.Peer(SERVER, PSK, List.of("0.0.0.0/0", "::/0"), "198.51.100.7:51820", 25), c.peers().get(0));
        assertEquals(PUBLIC, c.publicKey());
    }

    @Test
    void whatIsStoredReadsBackTheSame() {
        WgQuickConfig c = WgQuickConfig.parse(FILE);
        String stored = c.toWgQuick();
        assertEquals(stored, WgQuickConfig.parse(stored).toWgQuick());
        assertTrue(stored.contains("PrivateKey = " + PRIVATE), stored);
        assertEquals(1420, WgQuickConfig.parse(FILE.replace("mtu=1380\n", "")).mtu());
    }

    @Test
    void wgGetsTheKeysThePeersAndTheMarkButNoWgQuickKeys() {
        String setconf = WgQuickConfig.parse(FILE).toWgSetconf(51820);
        List<String> lines = setconf.lines().toList();
        assertTrue(lines.contains("PrivateKey = " + PRIVATE), setconf);
        assertTrue(lines.contains("FwMark = 51820"), setconf);
        assertTrue(lines.contains("PublicKey = " + SERVER), setconf);
        assertTrue(lines.contains("PresharedKey = " + PSK), setconf);
        assertTrue(lines.contains("Endpoint = 198.51.100.7:51820"), setconf);
        assertFalse(setconf.contains("Address") || setconf.contains("DNS") || setconf.contains("MTU"), setconf);
    }

    @Test
    void noKeyIsEverInItsTextForm() {
        String text = WgQuickConfig.parse(FILE).toString();
        assertFalse(text.contains(PRIVATE) || text.contains(PSK), text);
    }

    /** The twin of the public key: wg itself derives the same one from the private key. */
    @Test
    void thePublicKeyIsWhatWgDerives() {
        String key = ScratchNetwork.check(ScratchNetwork.run(null, "wg", "genkey")).stdout().strip();
        String byWg = ScratchNetwork.check(ScratchNetwork.run(key + "\n", "wg", "pubkey")).stdout().strip();
        assertEquals(byWg, WgQuickConfig.parse(FILE.replace(PRIVATE, key)).publicKey());
    }

    private static InvalidValueException refused(String file) {
        return assertThrows(InvalidValueException.class, () -> WgQuickConfig.parse(file));
    }

    @Test
    void aWrongLineIsNamedWithWhatWouldDo() {
        record Case(String from, String to, int line, String says) {
        }
        for (Case c : List.of(
                new Case("Address = 10.64.0.2/32,fc00:bbbb::2/128", "Address = 10.64.0.300/32", 4, "e.g. 10.64.0.2/32"),
                new Case("Endpoint = 198.51.100.7:51820", "Endpoint = vpn.example:51820", 12, "resolves no names"),
                new Case("Endpoint = 198.51.100.7:51820", "Endpoint = [2001:db8::1]:51820", 12, "over IPv4"),
                new Case("Endpoint = 198.51.100.7:51820", "Endpoint = 198.51.100.7:0", 12, "UDP port from 1 to 65535"),
                new Case("mtu=1380", "MTU = 100", 6, "576 to 9000"),
                new Case("mtu=1380", "PostUp = iptables -A FORWARD -j ACCEPT", 6, "runs no commands"),
                new Case("mtu=1380", "Table = off", 6, "table and mark of its own"),
                new Case("mtu=1380", "FwMark = 0x1234", 6, "table and mark of its own"),
                new Case("mtu=1380", "Colour = red", 6, "an [Interface] key"),
                new Case("PersistentKeepalive = 25", "PersistentKeepalive = soon", 13, "off or a number"),
                new Case("PersistentKeepalive = 25", "Address = 10.0.0.1/32", 13, "a [Peer] key"),
                new Case("DNS = 10.64.0.1, 2001:db8::53, corp.example", "DNS = 10.64.0.1.5", 5, "DNS servers by IPv4 address"),
                new Case("[Peer]   # the server", "[Server]", 8, "[Interface] or [Peer]"),
                new Case("mtu=1380", "MTU", 6, "Key = Value"),
                new Case("mtu=1380", "MTU = ", 6, "a value after '='"),
                new Case("PublicKey = " + SERVER, "PublicKey = " + SERVER.substring(1), 9, "44 characters of base64"),
                new Case("Endpoint = 198.51.100.7:51820", "Endpoint = 198.51.100.7:51820\nEndpoint = 198.51.100.8:51820", 13, "once per section"))) {
            String file = FILE.replace(c.from(), c.to());
            InvalidValueException e = refused(file);
            assertEquals("wg-quick line " + c.line(), e.subject(), c + ": " + e.getMessage());
            assertTrue(e.getMessage().contains(c.says()), c + ": " + e.getMessage());
        }
    }

    @Test
    void aLineWithAKeyIsNamedWithoutTheKey() {
        String badPrivate = PRIVATE.substring(0, 40) + "ab=";
        InvalidValueException e = refused(FILE.replace(PRIVATE, badPrivate));
        assertEquals("wg-quick line 3", e.subject());
        assertEquals("PrivateKey = (hidden)", e.value());
        assertFalse(e.getMessage().contains(badPrivate.substring(0, 20)), e.getMessage());

        InvalidValueException psk = refused(FILE.replace(PSK, "not a key"));
        assertEquals("PresharedKey = (hidden)", psk.value());
        InvalidValueException twice = refused(FILE.replace("PrivateKey = " + PRIVATE, "PrivateKey = " + PRIVATE + "\nPrivateKey = " + PRIVATE));
        assertFalse(twice.getMessage().contains(PRIVATE), twice.getMessage());
    }

    @Test
    void whatAVpnVmNeedsMustBeThere() {
        assertTrue(refused("").getMessage().contains("an [Interface] section"));
        assertTrue(refused(FILE.replace("PrivateKey = " + PRIVATE + "\n", "")).getMessage().contains("needs a PrivateKey"));
        assertTrue(refused(FILE.replace("Address = 10.64.0.2/32,fc00:bbbb::2/128", "Address = fc00:bbbb::2/128")).getMessage()
                .contains("an IPv4 Address"));
        assertTrue(refused(FILE.substring(0, FILE.indexOf("[Peer]"))).getMessage().contains("a [Peer] section"));
        assertTrue(refused(FILE.replace("Endpoint = 198.51.100.7:51820\n", "")).getMessage().contains("with an Endpoint"));
        assertTrue(refused(FILE.replace("AllowedIPs = 0.0.0.0/0, ::/0", "AllowedIPs = ::/0")).getMessage().contains("route IPv4"));
        InvalidValueException noKey = refused(FILE.replace("PublicKey = " + SERVER + "\n", ""));
        assertEquals("wg-quick line 8", noKey.subject());
        assertTrue(refused("PrivateKey = x\n" + FILE).getMessage().contains("inside an [Interface] or [Peer] section"));
        assertTrue(refused(FILE + "[Interface]\n").getMessage().contains("one [Interface] only"));
    }
}
