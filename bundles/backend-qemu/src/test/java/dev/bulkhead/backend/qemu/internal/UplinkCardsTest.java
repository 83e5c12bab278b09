package dev.bulkhead.backend.qemu.internal;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Set;

import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import dev.bulkhead.api.AdminException;
import dev.bulkhead.api.InvalidStateException;
import dev.bulkhead.api.InvalidValueException;
import dev.bulkhead.api.host.NetworkNamespaces;
import dev.bulkhead.api.hypervisor.Leftover;
import dev.bulkhead.testing.FakeHostCommands;

/**
 * The commands that bring a host card into a domain's namespace and take it out, and the record that keeps a moved
 * card from being lost, with recorded host commands. UplinkCardsSystemTest and QemuUplinkSystemTest run them for real.
 */
class UplinkCardsTest {
    private static final String VETH_LINE = "7: eth1@if6: <BROADCAST,MULTICAST> mtu 1500 qdisc noop state DOWN mode DEFAULT group default"
            + " qlen 1000\\    link/ether 56:7f:08:9f:fe:a7 brd ff:ff:ff:ff:ff:ff link-netns lan\n";

    @TempDir
    Path temp;
    private final FakeHostCommands commands = new FakeHostCommands();
    private DomainLayout layout;
    private NetworkNamespaces namespaces;
    private UplinkCards cards;
    private String netns;

    @BeforeEach
    void setUp() throws Exception {
        layout = new DomainLayout(temp.resolve("data"));
        Path netnsDirectory = Files.createDirectories(temp.resolve("netns"));
        netns = layout.netnsName("net");
        Files.createFile(netnsDirectory.resolve(netns));
        namespaces = new NetworkNamespaces(commands, netnsDirectory, Duration.ofSeconds(5));
        cards = new UplinkCards(layout, namespaces, commands,
                Duration.ofSeconds(5), 4242);
        commands.answer("-o link show dev eth1", FakeHostCommands.ok(VETH_LINE));
        commands.answer("-n " + netns + " link show", FakeHostCommands.failed(1, "Device \"uplink0\" does not exist."));
    }

    @Test
    void aCardMovesInAndBackWithItsRenameInOneStepEach() {
        assertEquals(List.of("link", "set", "dev", "eth1", "netns", netns, "name", "uplink0"),
                List.of(UplinkCards.moveInCommand("eth1", netns, "uplink0")));
        assertEquals(List.of("-n", netns, "link", "set", "dev", "uplink0", "netns", "4242", "name", "eth1"),
                List.of(UplinkCards.giveBackCommand(netns, "uplink0", 4242, "eth1")));
    }

    @Test
    void aMacvlanIsMadeInTheDomainsNamespaceWithTheGuestUplinksAddressInLitesMode() {
        assertEquals(List.of("link", "add", "link", "eth1", "name", "uplink0", "netns", netns, "address", "06:01:02:03:04:05",
                "type", "macvlan", "mode", "bridge"), List.of(UplinkCards.macvlanCommand("eth1", netns, "uplink0", "06:01:02:03:04:05")));
    }

    @Test
    void theGuestsUplinkTakesAMovedCardsOwnUnicastEthernetAddress() {
        assertEquals("56:7f:08:9f:fe:a7", UplinkCards.etherAddress("eth1", VETH_LINE));
        assertEquals("00:1b:21:0a:0b:0c", UplinkCards.etherAddress("enp3s0",
                "2: enp3s0: <BROADCAST,MULTICAST,UP,LOWER_UP> mtu 1500 qdisc mq state UP\\    link/ether 00:1b:21:0a:0b:0c brd ff:ff:ff:ff:ff:ff"));
        assertThrows(InvalidValueException.class, () -> UplinkCards.etherAddress("lo",
                "1: lo: <LOOPBACK,UP,LOWER_UP> mtu 65536\\    link/loopback 00:00:00:00:00:00 brd 00:00:00:00:00:00"));
        assertThrows(InvalidValueException.class, () -> UplinkCards.etherAddress("wg0", "5: wg0: <POINTOPOINT,NOARP> mtu 1420\\    link/none "));
        assertThrows(InvalidValueException.class, () -> UplinkCards.etherAddress("odd",
                "6: odd: <BROADCAST> mtu 1500\\    link/ether 01:00:5e:00:00:01 brd ff:ff:ff:ff:ff:ff"), "a multicast address");
    }

    @Test
    void aCardIsRecordedBeforeItMovesSoThatNoCrashLosesIt() {
        boolean[] recordedAtMove = new boolean[1];
        commands.answer("netns " + netns + " name uplink0", c -> {
            recordedAtMove[0] = cards.moved("net").equals(Map.of("uplink0", "eth1"));
            return FakeHostCommands.ok("");
        });
        assertEquals("56:7f:08:9f:fe:a7", cards.moveIn("net", netns, "uplink0", "eth1"));
        assertTrue(recordedAtMove[0], "recorded when it moved");
        assertEquals(Map.of("uplink0", "eth1"), cards.moved("net"));
        assertTrue(Files.isRegularFile(layout.directory("net").resolve(UplinkCards.RECORD)));
    }

    @Test
    void aMoveThatFailsLeavesNoRecord() {
        commands.answer("netns " + netns + " name uplink0", FakeHostCommands.failed(2, "RTNETLINK answers: Invalid argument"));
        assertThrows(AdminException.class, () -> cards.moveIn("net", netns, "uplink0", "eth1"));
        assertEquals(Map.of(), cards.moved("net"));
    }

    @Test
    void aCardIsNotMovedInOverADeviceOfTheUplinksName() {
        commands.answer("-n " + netns + " link show uplink0", FakeHostCommands.ok(""));
        assertThrows(InvalidStateException.class, () -> cards.moveIn("net", netns, "uplink0", "eth1"));
        assertFalse(commands.lines(temp).stream().anyMatch(l -> l.contains("netns " + netns)), () -> "moved: " + commands.lines(temp));
        assertEquals(Map.of(), cards.moved("net"));
    }

    @Test
    void aNonEthernetDeviceIsRefusedBeforeItMoves() {
        commands.answer("-o link show dev wg0", FakeHostCommands.ok("5: wg0: <POINTOPOINT,NOARP> mtu 1420\\    link/none \n"));
        assertThrows(InvalidValueException.class, () -> cards.moveIn("net", netns, "uplink0", "wg0"));
        assertFalse(commands.lines(temp).stream().anyMatch(l -> l.contains("netns " + netns)), () -> "moved: " + commands.lines(temp));
    }

    @Test
    void aRecordedCardGoesBackUnderItsOwnNameAndAnUnrecordedDeviceStays() {
        cards.moveIn("net", netns, "uplink0", "eth1");
        commands.answer("-n " + netns + " link show uplink0", FakeHostCommands.ok(""));
        commands.answer("-n " + netns + " link show uplink1", FakeHostCommands.ok(""));
        cards.giveBack("net", netns, "uplink1");
        assertFalse(commands.lines(temp).stream().anyMatch(l -> l.contains("dev uplink1 netns")), () -> "taken out: " + commands.lines(temp));
        cards.giveBack("net", netns, "uplink0");
        assertTrue(commands.lines(temp).contains("ip -n " + netns + " link set dev uplink0 netns 4242 name eth1"), () -> "" + commands.lines(temp));
        assertEquals(Map.of(), cards.moved("net"));
        assertFalse(Files.exists(layout.directory("net").resolve(UplinkCards.RECORD)));
    }

    @Test
    void everyMovedCardGoesBackBeforeTheNamespaceGoesEvenWhenOneCannot() {
        commands.answer("-o link show dev eth2", FakeHostCommands.ok(VETH_LINE));
        cards.moveIn("net", netns, "uplink0", "eth1");
        cards.moveIn("net", netns, "uplink1", "eth2");
        commands.answer("-n " + netns + " link show", FakeHostCommands.ok(""));
        commands.answer("dev uplink0 netns 4242", FakeHostCommands.failed(2, "RTNETLINK answers: File exists"));
        assertEquals(List.of("eth2"), cards.giveBackAll("net", netns));
        assertTrue(commands.lines(temp).contains("ip -n " + netns + " link set dev uplink1 netns 4242 name eth2"), () -> "" + commands.lines(temp));
        assertEquals(Map.of(), cards.moved("net"), "the namespace goes next: nothing is left to give back");
    }

    @Test
    void aRecordLineThatIsNotTwoDeviceNamesIsLeftOut() throws Exception {
        Files.createDirectories(layout.directory("net"));
        Files.writeString(layout.directory("net").resolve(UplinkCards.RECORD), "uplink0 eth1\nuplink1 eth 2\nuplink2 a;b\n\nuplink3\n");
        assertEquals(Map.of("uplink0", "eth1"), cards.moved("net"));
    }

    /** What stops, kills, starts and removes a domain: its moved card goes back before its namespace goes. */
    @Test
    void aDomainsMovedCardGoesBackBeforeItsNamespaceIsDeleted() {
        cards.moveIn("net", netns, "uplink0", "eth1");
        commands.answer("-n " + netns + " link show uplink0", FakeHostCommands.ok(""));
        network().delete("net");
        List<String> lines = commands.lines(temp);
        int back = lines.indexOf("ip -n " + netns + " link set dev uplink0 netns " + ProcessHandle.current().pid() + " name eth1");
        assertTrue(back >= 0 && back < lines.indexOf("ip netns delete " + netns), () -> "" + lines);
    }

    /** What a crash left: the namespace of a domain with no live QEMU gives its moved card back, and says so. */
    @Test
    void theLeftoverCheckGivesAMovedCardBackBeforeItRemovesANamespace() {
        cards.moveIn("net", netns, "uplink0", "eth1");
        commands.answer("-n " + netns + " link show uplink0", FakeHostCommands.ok(""));
        List<Leftover> report = network().reconcile(Set.of("net"), name -> false, name -> new Object());
        List<String> lines = commands.lines(temp);
        int back = lines.indexOf("ip -n " + netns + " link set dev uplink0 netns " + ProcessHandle.current().pid() + " name eth1");
        assertTrue(back >= 0 && back < lines.indexOf("ip netns delete " + netns), () -> "" + lines);
        assertEquals(List.of("eth1", netns), report.stream().map(Leftover::item).toList(), () -> "" + report);
    }

    /** The domain "net" of this test's layout, whose namespace is {@link #netns}. */
    private QemuNetwork network() {
        return new QemuNetwork(layout, namespaces, commands, (domain, command, stdin, timeout) -> {
            throw new AssertionError("no guest runs");
        }, Duration.ofSeconds(5), domain -> false);
    }
}
