package dev.bulkhead.role.netvm.internal;

import static dev.bulkhead.role.netvm.internal.NetvmRulesetTest.FIREWALL;
import static dev.bulkhead.role.netvm.internal.NetvmRulesetTest.WORK;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;

import org.junit.jupiter.api.AutoClose;
import org.junit.jupiter.api.Test;

import dev.bulkhead.testing.ScratchNetwork;
import dev.bulkhead.testing.SystemTest;

/**
 * The twin of {@link NetvmRulesetTest}: every shape of ruleset passes {@code nft -c} and loads into
 * the kernel, in a namespace of the test's own, each load replacing the last.
 */
@SystemTest
class NetvmRulesetKernelTest {
    @AutoClose
    private final ScratchNetwork network = new ScratchNetwork("nvk");
    private final String netns = network.namespace("net");

    private String load(String ruleset) {
        network.loadRuleset(netns, ruleset);
        return network.nft(netns, "list", "ruleset");
    }

    @Test
    void everyShapeLoadsAndEachLoadReplacesTheLast() {
        String listed = load(NetvmRuleset.render("uplink0", List.of("203.0.113.53", "203.0.113.54"), List.of(FIREWALL, WORK)));
        assertTrue(listed.contains("dnat ip to 203.0.113.54"), listed);
        assertTrue(listed.contains("\"vif4.0\" . 10.137.0.4"), listed);
        listed = load(NetvmRuleset.render("uplink0", List.of(), List.of(FIREWALL)));
        assertTrue(!listed.contains("vif4.0") && !listed.contains("dnat"), listed);
        listed = load(NetvmRuleset.render(null, List.of("203.0.113.53"), List.of()));
        assertTrue(!listed.contains("masquerade") && !listed.contains("vif3.0"), listed);
        assertEquals(1, listed.lines().filter(l -> l.startsWith("table ")).count(), "one table: " + listed);
    }
}
