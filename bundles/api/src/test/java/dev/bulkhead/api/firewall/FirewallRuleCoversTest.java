package dev.bulkhead.api.firewall;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.time.Instant;
import java.util.List;
import java.util.OptionalInt;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/** When an earlier rule leaves a later one nothing to match (first match wins), and when it is not certain. */
class FirewallRuleCoversTest {
    private static final Instant NOW = FirewallRuleTest.NOW;

    private static FirewallRule rule(String text) {
        return FirewallRule.parse(text, NOW);
    }

    @ParameterizedTest(name = "{0} | {1} -> {2}")
    @CsvSource(delimiter = '|', value = {
            // Qubes' default rule matches everything, whatever the later rule does with it
            "action=accept | action=drop proto=tcp dsthost=192.0.2.1 dstports=443 | true",
            "action=accept | action=accept dsthost=example.com | true",
            "action=accept | action=drop specialtarget=dns | true",
            "action=drop | action=accept proto=icmp icmptype=8 | true",
            // each field of the earlier rule must take in the later one's
            "action=accept proto=tcp | action=drop proto=tcp dstports=22 | true",
            "action=accept proto=tcp | action=drop proto=udp | false",
            "action=accept proto=tcp | action=drop | false",
            "action=accept proto=tcp dstports=1-1024 | action=drop proto=tcp dstports=22-80 | true",
            "action=accept proto=tcp dstports=1-1024 | action=drop proto=tcp dstports=1000-2000 | false",
            "action=accept proto=tcp dstports=443 | action=drop proto=tcp | false",
            "action=accept proto=icmp icmptype=8 | action=drop proto=icmp icmptype=0 | false",
            "action=accept proto=icmp | action=drop proto=icmp icmptype=0 | true",
            "action=accept specialtarget=dns | action=drop specialtarget=dns proto=udp | true",
            "action=accept specialtarget=dns | action=drop dsthost=10.139.1.1 | false",
            // address ranges: only a range inside the earlier one, of the same family
            "action=accept dsthost=10.0.0.0/8 | action=drop dsthost=10.1.2.3 | true",
            "action=accept dsthost=10.0.0.0/8 | action=drop dsthost=11.0.0.1 | false",
            "action=accept dsthost=10.1.0.0/16 | action=drop dsthost=10.0.0.0/8 | false",
            "action=accept dsthost=0.0.0.0/0 | action=drop dsthost=192.0.2.0/24 | true",
            "action=accept dsthost=0.0.0.0/0 | action=drop dsthost=2001:db8::1 | false",
            "action=accept dsthost=2001:db8::/32 | action=drop dsthost=2001:db8:1::/48 | true",
            "action=accept dsthost=2001:db8::/32 | action=drop dsthost=2001:db9::/48 | false",
            // a name covers only itself: what it resolves to is not known here
            "action=accept dsthost=example.com | action=drop dsthost=example.com proto=tcp | true",
            "action=accept dsthost=example.com | action=drop dsthost=www.example.com | false",
            "action=accept dsthost=0.0.0.0/0 | action=drop dsthost=example.com | false",
            "action=accept dsthost=192.0.2.1 | action=drop | false",
            // an earlier rule that expires first leaves the later one its time
            "action=accept expire=+60 | action=drop dsthost=192.0.2.1 | false",
            "action=accept expire=+60 | action=drop dsthost=192.0.2.1 expire=+120 | false",
            "action=accept expire=+120 | action=drop dsthost=192.0.2.1 expire=+60 | true",
            "action=accept expire=+60 | action=drop dsthost=192.0.2.1 expire=+60 | true",
            "action=accept | action=drop expire=+60 | true" })
    void coversOnlyWhatItCertainlyMatchesFirst(String earlier, String later, boolean covers) {
        assertEquals(covers, rule(earlier).covers(rule(later)));
    }

    @Test
    void aRangeNotInTheCanonicalFormIsNeverLookedUpAndCoversNothingButItself() {
        FirewallRule odd = new FirewallRule(FirewallRule.Action.DROP, null, "10.0.0.1/8", null, null, null, null, null);
        FirewallRule inside = rule("action=accept dsthost=10.0.0.2");
        assertEquals(false, odd.covers(inside));
        assertEquals(true, odd.covers(odd));
    }

    @Test
    void theFirstEarlierRuleThatCoversIsTheShadowingOne() {
        List<FirewallRule> rules = List.of(rule("action=accept specialtarget=dns"), rule("action=accept proto=tcp"),
                rule("action=accept"), rule("action=drop proto=tcp dstports=22"));
        assertEquals(OptionalInt.of(1), FirewallRule.shadowing(rules, 3));
        assertEquals(OptionalInt.empty(), FirewallRule.shadowing(rules, 1));
        assertEquals(OptionalInt.empty(), FirewallRule.shadowing(rules, 0));
    }
}
