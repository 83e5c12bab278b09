package dev.bulkhead.role.tor.internal;

import static dev.bulkhead.role.tor.internal.TorRulesetTest.BANK;
import static dev.bulkhead.role.tor.internal.TorRulesetTest.WORK;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;

import org.junit.jupiter.api.AutoClose;
import org.junit.jupiter.api.Test;

import dev.bulkhead.testing.ScratchNetwork;
import dev.bulkhead.testing.SystemTest;

/** The twin of {@link TorRulesetTest}: every shape of the ruleset passes {@code nft -c} and loads, in a namespace of the test's own. */
@SystemTest
class TorRulesetKernelTest {
    @AutoClose
    private final ScratchNetwork network = new ScratchNetwork("tork");
    private final String netns = network.namespace("tor");

    private String load(String ruleset) {
        network.loadRuleset(netns, ruleset);
        return network.nft(netns, "list", "table", "inet", TorRuleset.TABLE);
    }

    @Test
    void withAndWithoutClientsItLoadsAndEachLoadReplacesTheLast() {
        String listed = load(TorRuleset.render(List.of(WORK, BANK), "nobody"));
        assertTrue(listed.contains("redirect to :9040"), listed);
        assertTrue(listed.contains("udp dport 53 redirect to :5353"), listed);
        assertTrue(listed.contains("\"vif4.0\" . 10.137.0.4"), listed);
        assertTrue(listed.contains("meta skuid 65534"), "the user's name became its uid: " + listed);
        listed = load(TorRuleset.render(List.of(), "nobody"));
        assertTrue(!listed.contains("vif4.0"), listed);
        assertEquals(1, network.nft(netns, "list", "tables").lines().count(), "one table, replaced");
    }

    @Test
    void aUserTheQubeDoesNotHaveIsRefused() {
        ScratchNetwork.Result r = ScratchNetwork.run(TorRuleset.render(List.of(WORK), "no-such-user-here"), "nft", "-c", "-f", "-");
        assertNotEquals(0, r.exitStatus());
        assertTrue(r.stderr().contains("User does not exist"), r.stderr());
    }
}
