package dev.bulkhead.role.tor.internal;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;

import org.junit.jupiter.api.Test;

import dev.bulkhead.api.InvalidValueException;

class BridgesTest {
    private static final String FINGERPRINT = "0123456789ABCDEF0123456789abcdef01234567";

    @Test
    void plainBridgesWithOrWithoutFingerprintInOrder() {
        assertEquals(List.of("203.0.113.30:443", "198.51.100.7:9001 " + FINGERPRINT),
                Bridges.parse(" 203.0.113.30:443 , 198.51.100.7:9001   " + FINGERPRINT + ",,"));
        assertEquals(List.of(), Bridges.parse(""));
        assertEquals(List.of(), Bridges.parse(" , "));
    }

    @Test
    void anythingElseIsRefusedNamingTheEntry() {
        for (String bad : List.of("203.0.113.30", "203.0.113.30:0", "203.0.113.30:65536", "203.0.113.300:443", "bridge.test:443",
                "[2001:db8::1]:443", "obfs4 203.0.113.30:443 " + FINGERPRINT, "203.0.113.30:443 0123", "203.0.113.30:443 " + FINGERPRINT + " x")) {
            InvalidValueException e = assertThrows(InvalidValueException.class, () -> Bridges.parse("203.0.113.9:443," + bad), bad);
            assertEquals("bridges", e.subject());
            assertEquals(bad, e.value());
            assertTrue(e.getMessage().contains("IPv4:PORT"), e.getMessage());
        }
    }
}
