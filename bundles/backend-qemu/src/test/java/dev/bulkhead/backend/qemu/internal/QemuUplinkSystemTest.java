package dev.bulkhead.backend.qemu.internal;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import dev.bulkhead.api.ExecResult;
import dev.bulkhead.api.QubeClass;
import dev.bulkhead.api.host.ProcessHostCommands;
import dev.bulkhead.api.hypervisor.DomainSpec;
import dev.bulkhead.api.hypervisor.UplinkSpec;
import dev.bulkhead.testing.ScratchNetwork;
import dev.bulkhead.testing.SystemTest;

/**
 * A netvm under TCG whose uplink is a host card moved into its QEMU's namespace, or a macvlan on one. The "card" is a
 * veth end in the host's namespace whose peer, with the "LAN" address the guest pings, is in a namespace the test makes,
 * never a real interface: packets go only there. The guest addresses its uplink through its agent, as the NetVM role
 * does. Taken out, or with the netvm killed, a moved card is back in the host's namespace under its own name; a
 * macvlan goes and leaves the card.
 */
@SystemTest
class QemuUplinkSystemTest {
    private static final Duration EXEC = Duration.ofSeconds(30);
    private static final String LAN = "192.0.2.1";
    private static final String NETVM_UPLINK = "192.0.2.2";
    private static final String FORGED_MAC = "06:66:66:66:66:66";
    private static final Pattern PACKETS = Pattern.compile("packets ([0-9]+)");

    @TempDir
    Path temp;
    private final ScratchNetwork scratch = new ScratchNetwork("qu");
    private final String card = "bhqu" + ProcessHandle.current().pid() % 1_000_000;
    private final List<String> started = new ArrayList<>();
    private QemuBackend backend;
    private String lan;

    @BeforeAll
    static void requireImage() {
        QemuBackendSystemTest.requireImage();
    }

    @BeforeEach
    void setUp() {
        backend = new QemuBackend(temp.resolve("data"), QemuBackendSystemTest.tcgSettings(), HostPaths.system(), new ProcessHostCommands());
        lan = scratch.namespace("lan");
        // the host's "card": a veth end in the host's namespace; its peer, the LAN, goes with the test's namespace
        scratch.ip(lan, "link add lan0 type veth peer name " + card + " netns 1", "address add " + LAN + "/24 dev lan0",
                "link set lan0 up");
        scratch.loadRuleset(lan, """
                table inet t {
                  counter from_netvm {}
                  chain input {
                    type filter hook input priority 0; policy accept;
                    ip saddr %s icmp type echo-request counter name from_netvm
                  }
                }
                table netdev f {
                  counter forged {}
                  chain in {
                    type filter hook ingress device "lan0" priority 0; policy accept;
                    ether saddr %s counter name forged
                  }
                }
                """.formatted(NETVM_UPLINK, FORGED_MAC));
    }

    @AfterEach
    void cleanUp() {
        try {
            for (String name : started) {
                backend.destroy(name);
            }
        } finally {
            scratch.close();
        }
    }

    private void startNetvm() {
        started.add("net");
        backend.start(new DomainSpec("net", 2, QubeClass.AppVM, 200, 200, 1, "", true, List.of()));
    }

    private String run(String script) {
        ExecResult r = backend.exec("net", List.of("/bin/sh", "-c", script), new byte[0], EXEC);
        assertEquals(0, r.exitStatus(), () -> script + ": " + r.stdoutText() + r.stderrText());
        return r.stdoutText();
    }

    private ExecResult pingLan() {
        return backend.exec("net", List.of("ping", "-c", "2", "-W", "3", LAN), new byte[0], EXEC);
    }

    /** As the NetVM role does: the uplink gets its address and comes up; then the LAN answers the netvm's pings. */
    private void addressUplinkAndPing() {
        run("ip address add " + NETVM_UPLINK + "/24 dev uplink0 && ip link set uplink0 up");
        long before = scratch.packets(lan, "t", "from_netvm");
        ExecResult ping = pingLan();
        assertEquals(0, ping.exitStatus(), () -> "ping from the netvm to the LAN: " + ping.stdoutText() + ping.stderrText());
        assertEquals(before + 2, scratch.packets(lan, "t", "from_netvm"), "the LAN saw the netvm's pings");
    }

    private boolean inHost(String device) {
        return ScratchNetwork.run(null, "ip", "link", "show", "dev", device).exitStatus() == 0;
    }

    private String netns() {
        return new DomainLayout(temp.resolve("data")).netnsName("net");
    }

    @Test
    void aMovedCardIsTheNetvmsUplinkAndComesBackToTheHostWhenTakenOutOrWhenTheNetvmIsKilled() {
        String cardMac = ScratchNetwork.check(ScratchNetwork.run(null, "cat", "/sys/class/net/" + card + "/address")).stdout().strip();
        startNetvm();
        UplinkSpec uplink = new UplinkSpec(UplinkSpec.Mode.MOVE, card, null, "uplink0");
        backend.attachUplink("net", uplink);
        assertFalse(inHost(card), "the card left the host's namespace");
        assertTrue(ScratchNetwork.run(null, "ip", "-n", netns(), "link", "show", "dev", "uplink0").exitStatus() == 0,
                "it is in the QEMU's namespace under the uplink's name");
        assertEquals(cardMac, run("cat /sys/class/net/uplink0/address").strip(), "the guest's uplink has the card's address");
        assertEquals("", ScratchNetwork.run(null, "ip", "-n", netns(), "-6", "address", "show", "dev", "uplink0").stdout(),
                "the QEMU's namespace has no address of its own on the card, to send from");
        addressUplinkAndPing();

        // a frame from another address of the guest's reaches nothing
        run("ip link set uplink0 down && ip link set uplink0 address " + FORGED_MAC + " && ip link set uplink0 up");
        assertNotEquals(0, pingLan().exitStatus(), "a ping from a forged address got an answer");
        assertEquals(0L, forgedFrames(), "no frame of the forged address reached the LAN");
        run("ip link set uplink0 down && ip link set uplink0 address " + cardMac + " && ip link set uplink0 up");

        backend.detachUplink("net", uplink);
        assertTrue(inHost(card), "taken out, the card is back in the host's namespace under its own name");
        assertFalse(run("ip -o link show").contains("uplink0"), "the guest's uplink is gone");
        assertNotEquals(0, pingLan().exitStatus(), "nothing reaches the LAN once the uplink is out");

        backend.attachUplink("net", uplink);
        addressUplinkAndPing();
        backend.kill("net");
        assertFalse(backend.network().exists("net"), "the killed netvm's namespace is gone");
        assertTrue(inHost(card), "the killed netvm's card is back in the host's namespace, not destroyed with its namespace");
    }

    @Test
    void aMacvlanOnTheHostsCardIsTheNetvmsUplinkAndGoesWithItsNamespaceLeavingTheCard() {
        ScratchNetwork.check(ScratchNetwork.run(null, "ip", "link", "set", "dev", card, "up"));
        startNetvm();
        UplinkSpec uplink = new UplinkSpec(UplinkSpec.Mode.MACVLAN, card, null, "uplink0");
        backend.attachUplink("net", uplink);
        String inside = ScratchNetwork.check(ScratchNetwork.run(null, "ip", "-n", netns(), "-d", "-o", "link", "show", "dev", "uplink0"))
                .stdout();
        String mac = QemuNetwork.uplinkMac(netns(), "uplink0");
        assertTrue(inside.contains("link/ether " + mac) && inside.contains("macvlan mode bridge"),
                () -> "a macvlan with the guest uplink's address in the QEMU's namespace: " + inside);
        assertEquals(mac, run("cat /sys/class/net/uplink0/address").strip());
        assertTrue(inHost(card), "the card stays in the host's namespace");
        addressUplinkAndPing();

        run("ip link set uplink0 down && ip link set uplink0 address " + FORGED_MAC + " && ip link set uplink0 up");
        assertNotEquals(0, pingLan().exitStatus(), "a ping from a forged address got an answer");
        assertEquals(0L, forgedFrames(), "no frame of the forged address reached the LAN");
        run("ip link set uplink0 down && ip link set uplink0 address " + mac + " && ip link set uplink0 up");

        backend.detachUplink("net", uplink);
        assertFalse(ScratchNetwork.run(null, "ip", "-n", netns(), "link", "show", "dev", "uplink0").exitStatus() == 0,
                "the macvlan is gone");
        assertTrue(inHost(card), "the card is left");
        assertNotEquals(0, pingLan().exitStatus(), "nothing reaches the LAN once the uplink is out");

        backend.attachUplink("net", uplink);
        addressUplinkAndPing();
        backend.kill("net");
        assertFalse(backend.network().exists("net"), "the killed netvm's namespace is gone, and its macvlan with it");
        assertTrue(inHost(card), "the card is left");
    }

    private long forgedFrames() {
        String listed = scratch.nft(lan, "list", "counter", "netdev", "f", "forged");
        Matcher m = PACKETS.matcher(listed);
        assertTrue(m.find(), listed);
        return Long.parseLong(m.group(1));
    }
}
