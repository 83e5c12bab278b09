package dev.bulkhead.backend.qemu.internal;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import java.time.Duration;
import java.util.List;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import dev.bulkhead.api.host.NetworkNamespaces;
import dev.bulkhead.api.host.ProcessHostCommands;
import dev.bulkhead.testing.ScratchNetwork;
import dev.bulkhead.testing.SystemTest;

/**
 * A host card moved into a namespace and back, and a macvlan made on one, with the real kernel and no VM. The "card" is
 * a veth end in the host's namespace whose peer is in a namespace of the test's own, so it goes with the test.
 */
@SystemTest
class UplinkCardsSystemTest {
    @TempDir
    Path temp;
    private final ScratchNetwork scratch = new ScratchNetwork("uc");
    private final NetworkNamespaces namespaces = new NetworkNamespaces(new ProcessHostCommands(), NetworkNamespaces.DIRECTORY,
            Duration.ofSeconds(30));
    private final String card = "bhuc" + ProcessHandle.current().pid() % 1_000_000;
    private UplinkCards cards;
    private String domainNetns;

    @BeforeEach
    void setUp() {
        String lan = scratch.namespace("lan");
        scratch.ip(lan, "link add lan0 type veth peer name " + card + " netns 1");
        // stands for the domain's namespace, which QemuNetwork makes: one of the test's own
        domainNetns = scratch.namespace("dom");
        cards = new UplinkCards(new DomainLayout(temp), namespaces, new ProcessHostCommands(), Duration.ofSeconds(30),
                ProcessHandle.current().pid());
    }

    @AfterEach
    void cleanUp() {
        scratch.close();
    }

    private boolean inHost(String device) {
        return ScratchNetwork.run(null, "ip", "link", "show", "dev", device).exitStatus() == 0;
    }

    @Test
    void aMovedCardKeepsItsAddressInsideAndComesBackUnderItsNameWhenTakenOutOrBeforeItsNamespaceGoes() {
        String address = ScratchNetwork.check(ScratchNetwork.run(null, "cat", "/sys/class/net/" + card + "/address")).stdout().strip();
        assertEquals(address, cards.moveIn("net", domainNetns, "uplink0", card));
        assertFalse(inHost(card), "the card left the host's namespace");
        assertTrue(namespaces.hasDevice(domainNetns, "uplink0"), "it is the domain's uplink0");

        cards.giveBack("net", domainNetns, "uplink0");
        assertTrue(inHost(card), "taken out, it is back under its own name");
        assertFalse(namespaces.hasDevice(domainNetns, "uplink0"));

        cards.moveIn("net", domainNetns, "uplink0", card);
        assertEquals(List.of(card), cards.giveBackAll("net", domainNetns));
        namespaces.delete(domainNetns);
        assertTrue(inHost(card), "given back before its namespace went, the card is still there");
    }

    /** The reason for the record: a veth end in a namespace that goes is destroyed, not returned. */
    @Test
    void aMovedVethThatIsNotGivenBackIsDestroyedWithItsNamespace() {
        cards.moveIn("net", domainNetns, "uplink0", card);
        namespaces.delete(domainNetns);
        assertFalse(inHost(card), "a veth does not come back by itself");
    }

    @Test
    void aMacvlanIsMadeInTheNamespaceOnTheCardWhichStaysAndGoesWithTheNamespace() {
        cards.macvlanIn(domainNetns, "uplink0", card, "06:01:02:03:04:05");
        String inside = ScratchNetwork.check(ScratchNetwork.run(null, "ip", "-n", domainNetns, "-d", "-o", "link", "show", "dev", "uplink0"))
                .stdout();
        assertTrue(inside.contains("link/ether 06:01:02:03:04:05") && inside.contains("macvlan mode bridge"), inside);
        assertTrue(inHost(card), "the card stays in the host's namespace");
        assertFalse(ScratchNetwork.run(null, "ip", "-o", "link", "show").stdout().contains("uplink0@" + card),
                "nothing of the macvlan is in the host's namespace");
        namespaces.delete(domainNetns);
        assertTrue(inHost(card), "the card is left when the macvlan goes with the namespace");
        assertEquals(List.of(), cards.giveBackAll("net", domainNetns), "nothing was moved");
    }
}
