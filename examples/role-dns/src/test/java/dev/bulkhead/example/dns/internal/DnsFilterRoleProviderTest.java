package dev.bulkhead.example.dns.internal;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import java.util.Map;
import java.util.ServiceLoader;

import org.junit.jupiter.api.Test;

import dev.bulkhead.api.role.QubeRole;
import dev.bulkhead.api.role.QubeRoleProvider;

class DnsFilterRoleProviderTest {
    /** The bundle's generated META-INF/services entry names the provider, as SPI Fly and a plain-Java embedding read it. */
    @Test
    void theServiceLoaderFindsTheRoleWithItsSettings() {
        List<QubeRoleProvider> found = ServiceLoader.load(QubeRoleProvider.class).stream().map(ServiceLoader.Provider::get)
                .filter(p -> p.id().equals(DnsFilterRole.ID)).toList();
        assertEquals(1, found.size());
        QubeRole role = found.get(0).create(Map.of("block", "ads.test"));
        assertEquals(DnsFilterRole.ID, role.id());
        assertEquals(null, ((DnsFilterRole) role).problem());
        String problem = ((DnsFilterRole) found.get(0).create(Map.of("block", "bad name"))).problem();
        assertTrue(problem != null && problem.contains("'bad name'"), problem);
    }
}
