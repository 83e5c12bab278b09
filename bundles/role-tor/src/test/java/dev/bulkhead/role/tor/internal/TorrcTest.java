package dev.bulkhead.role.tor.internal;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;

import org.junit.jupiter.api.Test;

class TorrcTest {
    @Test
    void clientsGetTheTransAndDnsPortsIsolatedByAddressAndOnionNamesAreMapped() {
        String torrc = Torrc.render(TorLayout.QUBE, List.of(), "16:AB");
        List<String> lines = torrc.lines().toList();
        assertTrue(lines.contains("TransPort 0.0.0.0:9040 IsolateClientAddr"), torrc);
        assertTrue(lines.contains("DNSPort 0.0.0.0:5353 IsolateClientAddr"), torrc);
        assertTrue(lines.contains("SocksPort 0"), torrc);
        assertTrue(lines.contains("AutomapHostsOnResolve 1"), torrc);
        assertTrue(lines.contains("VirtualAddrNetworkIPv4 10.192.0.0/10"), torrc);
        assertTrue(lines.contains("DataDirectory /rw/tor/data"), torrc);
        assertFalse(torrc.contains("UseBridges"), torrc);
    }

    @Test
    void theControlPortIsOnLoopbackWithThePasswordOnly() {
        String torrc = Torrc.render(TorLayout.QUBE, List.of(), "16:AB");
        List<String> lines = torrc.lines().toList();
        assertTrue(lines.contains("ControlPort 127.0.0.1:9051"), torrc);
        assertTrue(lines.contains("HashedControlPassword 16:AB"), torrc);
        assertTrue(lines.contains("CookieAuthentication 0"), torrc);
    }

    @Test
    void bridgesAreUsedWhenConfigured() {
        String torrc = Torrc.render(TorLayout.QUBE, List.of("203.0.113.30:443", "198.51.100.7:9001 0123456789ABCDEF0123456789ABCDEF01234567"),
                "16:AB");
        List<String> lines = torrc.lines().toList();
        assertTrue(lines.contains("UseBridges 1"), torrc);
        assertTrue(lines.contains("Bridge 203.0.113.30:443"), torrc);
        assertTrue(lines.contains("Bridge 198.51.100.7:9001 0123456789ABCDEF0123456789ABCDEF01234567"), torrc);
    }
}
