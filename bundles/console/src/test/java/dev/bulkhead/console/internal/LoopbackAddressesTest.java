package dev.bulkhead.console.internal;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;

import org.junit.jupiter.api.Test;

class LoopbackAddressesTest {
    @Test
    void literalLoopbackAddressesAreAccepted() {
        for (String a : List.of("127.0.0.1", "127.1.2.3", "::1", "[::1]", "0:0:0:0:0:0:0:1", " 127.0.0.1 ")) {
            assertTrue(LoopbackAddresses.isLoopback(a), a);
            assertTrue(LoopbackAddresses.problem(a).isEmpty(), a);
        }
    }

    @Test
    void everythingElseIsRefusedNamingTheValue() {
        for (String a : List.of("0.0.0.0", "::", "192.0.2.1", "localhost", "example.org", "127.0.0.256", "127.1", "2130706433",
                "::ffff:8.8.8.8", "fe80::1")) {
            assertFalse(LoopbackAddresses.isLoopback(a), a);
            assertTrue(LoopbackAddresses.problem(a).orElseThrow().contains("'" + a + "'"), a);
        }
        assertTrue(LoopbackAddresses.problem("").orElseThrow().contains("every address"));
        assertTrue(LoopbackAddresses.problem(null).isPresent());
    }

    @Test
    void advertisedEndpointsAreJudgedByTheirHost() {
        assertTrue(LoopbackAddresses.isLoopbackEndpoint("http://127.0.0.1:8137/"));
        assertTrue(LoopbackAddresses.isLoopbackEndpoint("http://::1:8137/"));
        assertTrue(LoopbackAddresses.isLoopbackEndpoint("http://[::1]:8137/"));
        assertTrue(LoopbackAddresses.isLoopbackEndpoint("http://::1/"));
        assertFalse(LoopbackAddresses.isLoopbackEndpoint("http://192.0.2.1:8137/"));
        assertFalse(LoopbackAddresses.isLoopbackEndpoint("http://fe80::1:8137/"));
        assertFalse(LoopbackAddresses.isLoopbackEndpoint("https://0.0.0.0:8443/"));
        assertEquals(List.of("http://192.0.2.1:8080/"),
                LoopbackGuard.endpointsOffLoopback(new String[] { "http://127.0.0.1:8080/", "http://192.0.2.1:8080/" }));
        assertEquals(List.of(), LoopbackGuard.endpointsOffLoopback(null));
    }
}
