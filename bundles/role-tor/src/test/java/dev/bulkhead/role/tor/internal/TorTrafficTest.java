package dev.bulkhead.role.tor.internal;

import static dev.bulkhead.role.tor.internal.TorRulesetTest.BANK;
import static dev.bulkhead.role.tor.internal.TorRulesetTest.WORK;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.AutoClose;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;

import dev.bulkhead.api.host.HostCommands;
import dev.bulkhead.testing.Await;
import dev.bulkhead.testing.RecordingRoleContext;
import dev.bulkhead.testing.RecordingRoleContext.Shell;
import dev.bulkhead.testing.ScratchNetwork;
import dev.bulkhead.testing.SystemTest;

/**
 * The twin of {@link TorRoleTest}: the role drives a real tor in a TorVM made of namespaces (vif4.0
 * to work, vif5.0 to bank, eth0 to the outside), and real packets show where clients' traffic goes.
 * There is no Tor network: tor tries its bridge, a public documentation address in the outside
 * namespace, and gets no further. The outside counts what reaches it, by kind.
 */
@SystemTest
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class TorTrafficTest {
    static final String WEB = "203.0.113.10";
    static final String BRIDGE = "203.0.113.30";
    /** A well-formed onion address: tor maps it to an address of its virtual range without any network. */
    static final String ONION = "2gzyxa5ihm7nsggfxnu52rck2vv4rvmdlkiu3zzui5du4xyclen53wid.onion";
    private static final List<String> KINDS = List.of("bridge", "dns", "tcp", "udp", "icmp");

    @AutoClose
    private final ScratchNetwork network = new ScratchNetwork("tor");
    private String gw;
    private String work;
    private String bank;
    private String outside;
    private Path files;
    private TorLayout layout;
    private TorRole role;
    private RecordingRoleContext sysTor;

    @BeforeAll
    void buildTheNetwork() throws IOException {
        gw = network.namespace("gw");
        work = network.namespace("work");
        bank = network.namespace("bank");
        outside = network.namespace("out");
        network.qubesLink(work, "10.137.0.4", gw, "vif4.0", "10.137.0.3");
        network.qubesLink(bank, "10.137.0.5", gw, "vif5.0", "10.137.0.3");
        network.qubesLink(gw, "10.137.0.3", outside, "vif3.0", "10.137.0.2");
        ScratchNetwork.check(network.exec(gw, null, "sysctl", "-q", "-w", "net.ipv4.ip_forward=1"));
        network.ip(outside, "address add " + WEB + "/32 dev lo", "address add " + BRIDGE + "/32 dev lo", "address add 10.139.1.1/32 dev lo");
        network.loadRuleset(outside, """
                table inet count {
                  counter bridge_packets { }
                  counter dns_packets { }
                  counter tcp_packets { }
                  counter udp_packets { }
                  counter icmp_packets { }
                  chain prerouting {
                    type filter hook prerouting priority -300; policy accept;
                    iifname "vif3.0" ip daddr %s tcp dport 443 counter name bridge_packets accept
                    iifname "vif3.0" meta l4proto { tcp, udp } th dport 53 counter name dns_packets accept
                    iifname "vif3.0" meta l4proto tcp counter name tcp_packets accept
                    iifname "vif3.0" meta l4proto udp counter name udp_packets accept
                    iifname "vif3.0" meta l4proto { icmp, ipv6-icmp } counter name icmp_packets accept
                  }
                }
                """.formatted(BRIDGE));
        files = network.directory("files");
        Files.setPosixFilePermissions(files, PosixFilePermissions.fromString("rwxr-xr-x"));
        Files.writeString(files.resolve("index.html"), "the outside\n");
        network.start(outside, "busybox", "httpd", "-f", "-p", WEB + ":80", "-h", files.toString());
        network.start(outside, "busybox", "nc", "-ll", "-u", "-p", "53", "-s", "10.139.1.1", "-e", "/bin/busybox", "true");
        layout = new TorLayout("/usr/bin/tor", files.resolve("run").toString(), files.resolve("rw").toString(), "nobody");
    }

    /** A fresh tor in the TorVM for each test, started as the core starts a TorVM: the role first, then its clients. */
    @BeforeEach
    void startTor() {
        role = new TorRole(TorRoleTest.config(BRIDGE + ":443"), layout);
        sysTor = new RecordingRoleContext("sys-tor", 3, "tor", Shell.inNamespace(gw));
        role.started(sysTor);
        for (var link : List.of(WORK, BANK)) {
            sysTor.attachClient(role, link);
        }
    }

    @AfterEach
    void stopTor() throws InterruptedException, IOException {
        killTor();
    }

    private void killTor() throws InterruptedException, IOException {
        Path pidFile = Path.of(layout.pidFile());
        if (!Files.exists(pidFile)) {
            return;
        }
        String pid = readString(pidFile).strip();
        ScratchNetwork.run(null, "kill", pid);
        Await.until("tor " + pid + " to exit", Duration.ofSeconds(20), () -> !Files.exists(Path.of("/proc", pid)));
        Files.deleteIfExists(pidFile);
    }

    /**
     * Each client's connection reaches tor from the client's own address, which is what tor keeps
     * the clients' streams apart by (IsolateClientAddr): nothing between them and tor hides it.
     */
    @Test
    void eachClientsTcpLandsOnTorsTransPortFromItsOwnAddressAndItsDnsOnTheDnsPort() throws Exception {
        Map<String, Long> before = counters();
        try (HostCommands.Streaming fromWork = network.start(work, "timeout", "20", "busybox", "wget", "-q", "-O", "-", "http://" + WEB + "/");
                HostCommands.Streaming fromBank = network.start(bank, "timeout", "20", "busybox", "wget", "-q", "-O", "-", "http://" + WEB + "/")) {
            Await.until("work's and bank's connections on tor's TransPort", Duration.ofSeconds(20),
                    () -> transPortConnections().contains("10.137.0.4:") && transPortConnections().contains("10.137.0.5:"));
            assertTrue(transPortConnections().lines().allMatch(l -> l.contains("\"tor\"")), "tor holds them: " + transPortConnections());
        }

        ScratchNetwork.Result lookup = network.exec(work, null, "busybox", "nslookup", ONION, "10.139.1.1");
        Matcher mapped = Pattern.compile("Address: (10\\.(19[2-9]|2[0-4][0-9]|25[0-5])\\.[0-9]+\\.[0-9]+)").matcher(lookup.stdout());
        assertTrue(mapped.find(), "tor's DNSPort maps the onion name into 10.192.0.0/10: " + lookup.output());

        Map<String, Long> after = counters();
        for (String kind : List.of("dns", "tcp", "udp", "icmp")) {
            assertEquals(before.get(kind), after.get(kind), kind + " reached the outside: " + after);
        }
    }

    @Test
    void torItselfGoesOutAndNothingElseInTheTorVmDoes() throws Exception {
        Await.until("tor to try its bridge", Duration.ofSeconds(20), () -> counters().get("bridge") > 0);
        Map<String, Long> before = counters();
        assertNotEquals(0, network.exec(gw, null, "timeout", "2", "busybox", "wget", "-q", "-O", "-", "http://" + WEB + "/").exitStatus());
        assertNotEquals(0, network.exec(gw, null, "busybox", "ping", "-c", "1", "-W", "1", WEB).exitStatus());
        assertNotEquals(0, network.exec(gw, null, "busybox", "nslookup", "a.test", "10.139.1.1").exitStatus());
        Map<String, Long> after = counters();
        for (String kind : List.of("dns", "tcp", "udp", "icmp")) {
            assertEquals(before.get(kind), after.get(kind), "root in the TorVM sent " + kind + ": " + after);
        }
    }

    @Test
    void theControlPortTellsBootstrapAndCircuits() {
        TorStatus status = TorControl.query((command, stdin) -> sysTor.exec(command, stdin, TorControl.TIMEOUT), layout);
        assertTrue(status.answered(), status.problem());
        assertTrue(status.version().startsWith("0."), status.version());
        assertTrue(status.progress() >= 0 && status.progress() < 100, "no Tor network here: " + status);
        assertTrue(!status.circuitEstablished() && status.built() == 0, status.toString());
    }

    @Test
    void withTorDeadClientsAreRefusedAtOnceAndNothingLeaves() throws Exception {
        killTor();
        TorStatus status = TorControl.query((command, stdin) -> sysTor.exec(command, stdin, TorControl.TIMEOUT), layout);
        assertTrue(status.problem().startsWith("tor is not running"), status.toString());

        Map<String, Long> before = counters();
        long start = System.nanoTime();
        ScratchNetwork.Result fetch = network.exec(work, null, "timeout", "5", "busybox", "wget", "-q", "-O", "-", "http://" + WEB + "/");
        long millis = (System.nanoTime() - start) / 1_000_000;
        assertNotEquals(0, fetch.exitStatus());
        assertTrue(fetch.output().contains("Connection refused") && millis < 3000, millis + " ms: " + fetch.output());
        assertNotEquals(0, network.exec(work, null, "busybox", "nslookup", "a.test", "10.139.1.1").exitStatus());
        assertNotEquals(0, network.exec(work, null, "busybox", "ping", "-c", "1", "-W", "1", WEB).exitStatus());
        network.exec(work, null, "sh", "-c", "echo x | busybox nc -u -w 1 " + WEB + " 9999");
        assertEquals(before, counters(), "something reached the outside with tor dead");
    }

    /** The TorVM's established TCP on the TransPort, as {@code ss} shows it with the owning process. */
    private String transPortConnections() {
        return ScratchNetwork.check(network.exec(gw, null, "ss", "-tnpH", "state", "established", "( sport = :9040 )")).stdout();
    }

    private Map<String, Long> counters() {
        Map<String, Long> counts = new LinkedHashMap<>();
        for (String kind : KINDS) {
            counts.put(kind, network.packets(outside, "count", kind + "_packets"));
        }
        return counts;
    }

    private static String readString(Path file) {
        try {
            return Files.readString(file);
        } catch (IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
    }
}
