package dev.bulkhead.api.firewall;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Instant;

import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.ValueSource;
import org.junit.jupiter.api.Test;

import dev.bulkhead.api.InvalidValueException;

class FirewallRuleTest {
    static final Instant NOW = Instant.ofEpochSecond(1_800_000_000L);

    @Test
    void parsesEveryFieldAndPrintsItBack() {
        FirewallRule r = FirewallRule.parse("action=accept proto=tcp dsthost=93.184.216.34 dstports=443 expire=+60 comment=the web, mostly", NOW);
        assertEquals(FirewallRule.Action.ACCEPT, r.action());
        assertEquals(FirewallRule.Proto.TCP, r.proto());
        assertEquals("93.184.216.34/32", r.dsthost());
        assertEquals(new FirewallRule.PortRange(443, 443), r.dstports());
        assertEquals(NOW.plusSeconds(60), r.expire());
        assertEquals("the web, mostly", r.comment());
        assertEquals("action=accept proto=tcp dsthost=93.184.216.34/32 dstports=443 expire=1800000060 comment=the web, mostly",
                r.toString());
        assertEquals(r, FirewallRule.parse(r.toString(), NOW));
    }

    @ParameterizedTest
    @CsvSource({
            "dsthost=10.1.2.3/8, 10.0.0.0/8",
            "dsthost=2001:db8::1/32, 2001:db8:0:0:0:0:0:0/32",
            "dsthost=Example.COM, example.com",
            "dsthost=0.0.0.0/0, 0.0.0.0/0" })
    void hostsAreCanonical(String field, String expected) {
        assertEquals(expected, FirewallRule.parse("action=drop " + field, NOW).dsthost());
    }

    @Test
    void icmpAndDnsAndRanges() {
        FirewallRule icmp = FirewallRule.parse("action=drop proto=icmp icmptype=8", NOW);
        assertEquals(8, icmp.icmptype());
        FirewallRule dns = FirewallRule.parse("action=accept specialtarget=dns", NOW);
        assertEquals(FirewallRule.SpecialTarget.DNS, dns.specialtarget());
        assertNull(dns.proto());
        assertEquals(new FirewallRule.PortRange(1000, 2000), FirewallRule.parse("action=accept proto=udp dstports=1000-2000", NOW).dstports());
        assertTrue(FirewallRule.parse("action=accept expire=1799999999", NOW).isExpired(NOW));
    }

    @ParameterizedTest
    @ValueSource(strings = {
            "", "proto=tcp", "action=allow", "action=accept action=drop", "action=accept colour=red",
            "action=accept proto=sctp", "action=accept dstports=80", "action=accept proto=icmp dstports=80",
            "action=accept proto=tcp dstports=0", "action=accept proto=tcp dstports=70000",
            "action=accept proto=tcp dstports=90-80", "action=accept proto=tcp dstports=8a",
            "action=accept icmptype=3", "action=accept proto=icmp icmptype=256", "action=accept proto=icmp icmptype=-1",
            "action=accept dsthost=300.1.1.1", "action=accept dsthost=1.2.3.4/33", "action=accept dsthost=::1/129",
            "action=accept dsthost=bad_host", "action=accept dsthost=a..b", "action=accept dsthost=-a.com",
            "action=accept dsthost=host.example/24", "action=accept specialtarget=ntp",
            "action=accept specialtarget=dns dsthost=1.1.1.1", "action=accept expire=soon", "action=accept expire=+x",
            "action=accept comment=", "action=accept proto", "accept" })
    void invalidRulesAreRefusedNamingTheProblem(String text) {
        InvalidValueException e = assertThrows(InvalidValueException.class, () -> FirewallRule.parse(text, NOW));
        assertTrue(e.getMessage().startsWith("invalid "), e.getMessage());
    }

    @Test
    void theMessageNamesTheBadKey() {
        InvalidValueException e = assertThrows(InvalidValueException.class, () -> FirewallRule.parse("action=accept colour=red", NOW));
        assertTrue(e.getMessage().contains("'colour'"), e.getMessage());
        e = assertThrows(InvalidValueException.class, () -> FirewallRule.parse("action=accept proto=tcp dstports=99999", NOW));
        assertTrue(e.getMessage().contains("'99999'"), e.getMessage());
    }
}
