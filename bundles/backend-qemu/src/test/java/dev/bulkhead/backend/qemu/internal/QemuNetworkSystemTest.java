package dev.bulkhead.backend.qemu.internal;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import dev.bulkhead.api.ExecResult;
import dev.bulkhead.api.QubeClass;
import dev.bulkhead.api.host.ProcessHostCommands;
import dev.bulkhead.api.hypervisor.DomainSpec;
import dev.bulkhead.api.hypervisor.LinkEndpoint;
import dev.bulkhead.api.hypervisor.LinkSpec;
import dev.bulkhead.api.hypervisor.UplinkSpec;
import dev.bulkhead.testing.ScratchNetwork;
import dev.bulkhead.testing.SystemTest;

/**
 * Two real VMs under TCG: a netvm with an uplink into a test "outside" namespace and a client linked to it. The
 * client reaches the outside through the netvm's own kernel (its nft masquerades, with modules the guest loads on
 * demand), a packet the client's kernel sends from an address not its own never reaches the netvm's kernel, and once
 * the netvm is killed nothing of the client's reaches the outside. Packets go only to namespaces the test made.
 */
@SystemTest
class QemuNetworkSystemTest {
    private static final Duration EXEC = Duration.ofSeconds(30);
    private static final Pattern PACKETS = Pattern.compile("packets ([0-9]+)");
    private static final String OUTSIDE = "192.0.2.1";
    private static final String NETVM_UPLINK = "192.0.2.2";
    private static final String CLIENT = "10.137.0.5";
    private static final String GATEWAY = "10.137.0.1";
    private static final String FORGED = "10.137.0.99";

    @TempDir
    Path temp;
    private final ScratchNetwork scratch = new ScratchNetwork("qn");
    private final List<String> started = new ArrayList<>();
    private QemuBackend backend;

    @BeforeAll
    static void requireImage() {
        QemuBackendSystemTest.requireImage();
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

    private void start(DomainSpec spec) {
        started.add(spec.name());
        backend.start(spec);
    }

    private String run(String domain, String script) {
        ExecResult r = backend.exec(domain, List.of("/bin/sh", "-c", script), new byte[0], EXEC);
        assertEquals(0, r.exitStatus(), () -> script + " in " + domain + ": " + r.stdoutText() + r.stderrText());
        return r.stdoutText();
    }

    private ExecResult ping(String domain, String... options) {
        List<String> command = new ArrayList<>(List.of("ping", "-c", "2", "-W", "3"));
        command.addAll(List.of(options));
        command.add(OUTSIDE);
        return backend.exec(domain, command, new byte[0], EXEC);
    }

    private long guestCounter(String domain, String counter) {
        String listed = run(domain, "nft list counter inet t " + counter);
        Matcher m = PACKETS.matcher(listed);
        assertTrue(m.find(), listed);
        return Long.parseLong(m.group(1));
    }

    @Test
    void aClientReachesTheOutsideThroughItsNetvmsKernelFromItsOwnAddressOnly() {
        backend = new QemuBackend(temp.resolve("data"), QemuBackendSystemTest.tcgSettings(), HostPaths.system(), new ProcessHostCommands());
        String outside = scratch.namespace("out");
        start(new DomainSpec("net", 2, QubeClass.AppVM, 200, 200, 1, "", true, List.of()));
        start(new DomainSpec("app", 5, QubeClass.AppVM, 200, 200, 1, "", false, List.of()));

        backend.attachUplink("net", new UplinkSpec(UplinkSpec.Mode.VETH, "qn-up", outside, "uplink0"));
        scratch.ip(outside, "address add " + OUTSIDE + "/24 dev qn-up", "link set qn-up up");
        scratch.loadRuleset(outside, """
                table inet t {
                  counter from_netvm {}
                  counter not_masqueraded {}
                  chain input {
                    type filter hook input priority 0; policy accept;
                    ip saddr %s icmp type echo-request counter name from_netvm
                    ip saddr 10.137.0.0/16 counter name not_masqueraded
                  }
                }
                """.formatted(NETVM_UPLINK));
        // the netvm's own kernel filters and masquerades: nft and its modules in the guest
        run("net", "ip address add " + NETVM_UPLINK + "/24 dev uplink0 && ip link set uplink0 up");
        ExecResult loaded = backend.exec("net", List.of("nft", "-f", "-"), """
                table inet t {
                  counter own {}
                  counter forged {}
                  chain pre {
                    type filter hook prerouting priority -300; policy accept;
                    iifname "vif5.0" ip saddr %s counter name own
                    iifname "vif5.0" ip saddr %s counter name forged
                  }
                  chain post {
                    type nat hook postrouting priority srcnat; policy accept;
                    oifname "uplink0" masquerade
                  }
                }
                """.formatted(CLIENT, FORGED).getBytes(StandardCharsets.UTF_8), EXEC);
        assertEquals(0, loaded.exitStatus(), () -> "nft in the netvm: " + loaded.stderrText());
        assertEquals(0L, guestCounter("net", "own"), "the ruleset is loaded in the netvm's kernel");

        LinkEndpoint link = backend.connect(new LinkSpec("app", 5, "net", CLIENT, GATEWAY));
        assertEquals("vif5.0", link.backendInterface());
        assertEquals("eth0", link.clientInterface());
        assertTrue(run("net", "ip -o address show dev vif5.0").contains(GATEWAY + "/32"), "the netvm's guest has the link's end");
        assertTrue(run("app", "ip -o address show dev eth0").contains(CLIENT + "/32"), "the client's guest has its address");

        ExecResult through = ping("app");
        assertEquals(0, through.exitStatus(), () -> "ping from app through net: " + through.stdoutText() + through.stderrText());
        assertEquals(2L, scratch.packets(outside, "t", "from_netvm"), "the outside saw the client's pings from the netvm's uplink");
        assertEquals(0L, scratch.packets(outside, "t", "not_masqueraded"));
        assertTrue(guestCounter("net", "own") >= 2, "the netvm's kernel saw the client's packets");

        // the client's kernel sends from an address that is not its own: the host side of its link drops it
        run("app", "ip address add " + FORGED + "/32 dev eth0");
        ExecResult forged = ping("app", "-I", FORGED);
        assertNotEquals(0, forged.exitStatus(), () -> "a forged ping got through: " + forged.stdoutText());
        assertTrue(forged.stdoutText().contains("2 packets transmitted"), () -> "the guest sent them: " + forged.stdoutText());
        assertEquals(0L, guestCounter("net", "forged"), "no forged packet reached the netvm's kernel");
        assertEquals(2L, scratch.packets(outside, "t", "from_netvm"), "nor the outside");

        // the uplink's address is the one derived from the netvm's namespace and the uplink's name
        String uplinkMac = QemuNetwork.uplinkMac(new DomainLayout(temp.resolve("data")).netnsName("net"), "uplink0");
        assertTrue(run("net", "ip -o link show dev uplink0").contains(uplinkMac), () -> "uplink0 has " + uplinkMac);

        // unlinked, the client's card is bare (no address of the old link is left to send from); linked again, it works
        backend.disconnect(new LinkSpec("app", 5, "net", CLIENT, GATEWAY));
        assertFalse(run("net", "ip -o link show").contains("vif5.0"), "the netvm's end of the link is gone");
        String bare = run("app", "ip -o -4 address show dev eth0; ip route show dev eth0");
        assertTrue(bare.isBlank(), () -> "left on the client's eth0 after its link went: " + bare);
        backend.connect(new LinkSpec("app", 5, "net", CLIENT, GATEWAY));
        ExecResult again = ping("app");
        assertEquals(0, again.exitStatus(), () -> "ping once linked again: " + again.stdoutText() + again.stderrText());

        backend.kill("net");
        assertFalse(backend.network().exists("net"), "the killed netvm's namespace is gone");
        assertNotEquals(0, ping("app").exitStatus(), "nothing passes once the netvm is killed");
        assertEquals(4L, scratch.packets(outside, "t", "from_netvm"), "the outside saw nothing more");
    }
}
