package dev.bulkhead.role.vpn.internal;

import static dev.bulkhead.role.vpn.internal.VpnRulesetTest.WORK;
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

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.AutoClose;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;

import dev.bulkhead.testing.Await;
import dev.bulkhead.testing.RecordingRoleContext;
import dev.bulkhead.testing.RecordingRoleContext.Shell;
import dev.bulkhead.testing.ScratchNetwork;
import dev.bulkhead.testing.SystemTest;

/**
 * The twin of {@link VpnRoleTest}: the role drives a real wireguard-go in a VPN-VM made of
 * namespaces (vif4.0 to work, eth0 to the outside), with a real WireGuard server in the outside
 * namespace. Behind the server, and only there, a web server and a DNS server; in the outside
 * itself, a web server and a DNS server on the virtual DNS address that would answer a leak. The
 * outside counts, by kind, every packet that reaches it from the VPN-VM's link.
 */
@SystemTest
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class VpnTrafficTest {
    static final String WEB = "203.0.113.10";
    static final String ENDPOINT = "203.0.113.51";
    static final String SERVER_ADDRESS = "10.200.0.1";
    private static final List<String> KINDS = List.of("wireguard", "dns", "tcp", "udp", "icmp");
    private static final List<String> LEAKS = List.of("dns", "tcp", "udp", "icmp");

    private final String suffix = Long.toString(ProcessHandle.current().pid() % 100000);
    private final VpnLayout layout = new VpnLayout("bhwgc" + suffix);
    private final String serverInterface = "bhwgs" + suffix;
    @AutoClose
    private final ScratchNetwork network = new ScratchNetwork("vpn");
    private String gw;
    private String work;
    private String outside;
    private Path files;
    private String clientKey;
    private VpnStore store;
    private VpnRole role;
    private RecordingRoleContext sysVpn;

    @BeforeAll
    void buildTheNetwork() throws IOException {
        gw = network.namespace("gw");
        work = network.namespace("work");
        outside = network.namespace("out");
        network.qubesLink(work, "10.137.0.4", gw, "vif4.0", "10.137.0.3");
        network.qubesLink(gw, "10.137.0.3", outside, "vif3.0", "10.137.0.2");
        ScratchNetwork.check(network.exec(gw, null, "sysctl", "-q", "-w", "net.ipv4.ip_forward=1"));
        network.ip(outside, "address add " + WEB + "/32 dev lo", "address add " + ENDPOINT + "/32 dev lo", "address add 10.139.1.1/32 dev lo");
        network.loadRuleset(outside, """
                table inet count {
                  counter wireguard_packets { }
                  counter dns_packets { }
                  counter tcp_packets { }
                  counter udp_packets { }
                  counter icmp_packets { }
                  chain prerouting {
                    type filter hook prerouting priority -300; policy accept;
                    iifname "vif3.0" ip daddr %1$s udp dport 51820 counter name wireguard_packets accept
                    iifname "vif3.0" meta l4proto { tcp, udp } th dport 53 counter name dns_packets accept
                    iifname "vif3.0" meta l4proto tcp counter name tcp_packets accept
                    iifname "vif3.0" meta l4proto udp counter name udp_packets accept
                    iifname "vif3.0" meta l4proto { icmp, ipv6-icmp } counter name icmp_packets accept
                  }
                  chain input {
                    type filter hook input priority filter; policy accept;
                    iifname "vif3.0" ip daddr 10.200.0.0/24 drop
                  }
                }
                """.formatted(ENDPOINT));

        files = network.directory("files");
        Path outsidePages = Files.createDirectories(files.resolve("outside"));
        Path insidePages = Files.createDirectories(files.resolve("inside"));
        Files.writeString(outsidePages.resolve("index.html"), "the outside\n");
        Files.writeString(insidePages.resolve("index.html"), "behind the tunnel\n");
        clientKey = key();
        String serverKey = key();
        Path serverKeyFile = files.resolve("server.key");
        Files.writeString(serverKeyFile, serverKey + "\n");
        Files.setPosixFilePermissions(serverKeyFile, PosixFilePermissions.fromString("rw-------"));
        ScratchNetwork.check(network.exec(outside, null, "sh", "-c", "wireguard-go " + serverInterface + " </dev/null >/dev/null 2>&1"));
        ScratchNetwork.check(network.exec(outside, null, "wg", "set", serverInterface, "private-key", serverKeyFile.toString(),
                "listen-port", "51820", "peer", publicKey(clientKey), "allowed-ips", "10.200.0.2/32"));
        network.ip(outside, "address add " + SERVER_ADDRESS + "/24 dev " + serverInterface, "link set " + serverInterface + " up");
        network.start(outside, "busybox", "httpd", "-f", "-p", WEB + ":80", "-h", outsidePages.toString());
        network.start(outside, "busybox", "httpd", "-f", "-p", SERVER_ADDRESS + ":80", "-h", insidePages.toString());
        network.start(outside, dnsmasq(SERVER_ADDRESS, SERVER_ADDRESS));
        network.start(outside, dnsmasq("10.139.1.1", "203.0.113.99"));
        store = new VpnStore(files.resolve("data/vpn"));
        Files.writeString(files.resolve("server.pub"), publicKey(serverKey));
    }

    /** A DNS server on {@code address} that answers inside.test with {@code answer}. */
    private static String[] dnsmasq(String address, String answer) {
        return new String[] { "dnsmasq", "--keep-in-foreground", "--no-resolv", "--no-hosts", "--bind-interfaces",
                "--listen-address=" + address, "--pid-file=", "--user=root", "--local=/test/", "--address=/inside.test/" + answer };
    }

    private static String key() {
        return ScratchNetwork.check(ScratchNetwork.run(null, "wg", "genkey")).stdout().strip();
    }

    private static String publicKey(String key) {
        return ScratchNetwork.check(ScratchNetwork.run(key + "\n", "wg", "pubkey")).stdout().strip();
    }

    private WgQuickConfig config(String privateKey) throws IOException {
        return WgQuickConfig.parse("""
                [Interface]
                PrivateKey = %s
                Address = 10.200.0.2/32
                DNS = %s
                [Peer]
                PublicKey = %s
                AllowedIPs = 0.0.0.0/0
                Endpoint = %s:51820
                """.formatted(privateKey, SERVER_ADDRESS, Files.readString(files.resolve("server.pub")).strip(), ENDPOINT));
    }

    /** The server's wireguard-go runs detached, not as a process of the network's: it goes with its interface. */
    @AfterAll
    void removeTheServer() {
        if (outside != null) {
            network.exec(outside, null, "ip", "link", "del", serverInterface);
        }
    }

    /** A VPN-VM started as the core starts one: the role first, then its client. */
    @BeforeEach
    void startTheVpnVm() throws IOException {
        store.write("sys-vpn", config(clientKey));
        role = new VpnRole(store, layout);
        sysVpn = new RecordingRoleContext("sys-vpn", 3, "vpn", Shell.inNamespace(gw));
        role.started(sysVpn);
        sysVpn.attachClient(role, WORK);
    }

    /** What a stopped qube would take with it: the tunnel (and so its wireguard-go), the routing rules, the filter. */
    @AfterEach
    void stopTheVpnVm() {
        network.exec(gw, null, "ip", "link", "del", layout.tunnel());
        network.ip(gw, "rule del pref 10", "rule del pref 11", "route flush table " + VpnLayout.TABLE);
        network.exec(gw, null, "nft", "delete", "table", "inet", VpnRuleset.TABLE);
    }

    private ScratchNetwork.Result fetch(String netns, String address) {
        return fetch(netns, address, 5);
    }

    private ScratchNetwork.Result fetch(String netns, String address, int seconds) {
        return network.exec(netns, null, "timeout", Integer.toString(seconds), "busybox", "wget", "-q", "-O", "-", "http://" + address + "/");
    }

    private VpnStatus status() {
        return VpnControl.query((command, stdin) -> sysVpn.exec(command, stdin, VpnControl.TIMEOUT), layout);
    }

    @Test
    void aClientReachesWhatOnlyTheTunnelReachesAndTheUplinkCarriesOnlyWireGuard() {
        Map<String, Long> before = counters();
        assertEquals("behind the tunnel\n", fetch(work, SERVER_ADDRESS).stdout());
        assertEquals("the outside\n", fetch(work, WEB).stdout());
        Map<String, Long> after = counters();
        assertTrue(after.get("wireguard") > before.get("wireguard"), after.toString());
        for (String kind : LEAKS) {
            assertEquals(before.get(kind), after.get(kind), kind + " went around the tunnel: " + after);
        }
        VpnStatus status = status();
        assertTrue(status.tunnelUp(), status.toString());
        assertEquals("wireguard-go", status.kind());
        assertEquals(publicKey(clientKey), status.publicKey());
        assertNotEquals(0, status.peers().get(0).received());
    }

    @Test
    void dnsGoesOnlyToTheTunnelsServer() {
        Map<String, Long> before = counters();
        ScratchNetwork.Result lookup = network.exec(work, null, "busybox", "nslookup", "inside.test", "10.139.1.1");
        assertTrue(lookup.stdout().contains("Address: " + SERVER_ADDRESS), "answered by the tunnel's DNS: " + lookup.output());
        ScratchNetwork.Result other = network.exec(work, null, "busybox", "nslookup", "inside.test", "10.139.1.2");
        assertTrue(other.stdout().contains("Address: " + SERVER_ADDRESS), other.output());
        assertEquals(before.get("dns"), counters().get("dns"), "DNS reached the uplink");
    }

    @Test
    void withTheTunnelInterfaceDownNothingOfTheClientLeaves() {
        fetch(work, SERVER_ADDRESS);
        network.ip(gw, "link set " + layout.tunnel() + " down");
        assertTrue(!status().tunnelUp() && status().present(), status().toString());
        assertNothingLeaves();
    }

    @Test
    void withWireGuardKilledTheTunnelIsGoneAndNothingOfTheClientLeaves() throws InterruptedException {
        fetch(work, SERVER_ADDRESS);
        for (String pid : ScratchNetwork.check(ScratchNetwork.run(null, "ip", "netns", "pids", gw)).stdout().split("\\s+")) {
            if (!pid.isBlank() && ScratchNetwork.run(null, "cat", "/proc/" + pid + "/comm").stdout().strip().equals("wireguard-go")) {
                ScratchNetwork.run(null, "kill", pid);
            }
        }
        Await.until("the tunnel to go with its daemon", Duration.ofSeconds(20), () -> !status().present());
        assertTrue(status().problem().contains("no interface " + layout.tunnel()), status().toString());
        assertNothingLeaves();
    }

    @Test
    void withAKeyTheServerDoesNotKnowThereIsNoHandshakeAndNothingOfTheClientLeaves() throws IOException {
        role.apply("sys-vpn", config(key()));
        long tries = counters().get("wireguard");
        assertNothingLeaves();
        assertTrue(counters().get("wireguard") > tries, "the tunnel did try its server");
        assertTrue(status().present() && !status().tunnelUp(), status().toString());
        assertEquals(0, status().peers().get(0).latestHandshake());
    }

    /** The client tries TCP, UDP, ICMP and DNS; nothing of it reaches the uplink, and the VPN-VM's root gets nothing out either. */
    private void assertNothingLeaves() {
        Map<String, Long> before = counters();
        assertNotEquals(0, fetch(work, WEB, 2).exitStatus());
        assertNotEquals(0, network.exec(work, null, "timeout", "2", "busybox", "nslookup", "inside.test", "10.139.1.1").exitStatus());
        assertNotEquals(0, network.exec(work, null, "busybox", "ping", "-c", "1", "-W", "1", WEB).exitStatus());
        network.exec(work, null, "sh", "-c", "echo x | busybox nc -u -w 1 " + WEB + " 9999");
        assertNotEquals(0, fetch(gw, WEB, 2).exitStatus());
        Map<String, Long> after = counters();
        for (String kind : LEAKS) {
            assertEquals(before.get(kind), after.get(kind), kind + " reached the uplink with the tunnel down: " + after);
        }
    }

    private Map<String, Long> counters() {
        Map<String, Long> counts = new LinkedHashMap<>();
        for (String kind : KINDS) {
            counts.put(kind, network.packets(outside, "count", kind + "_packets"));
        }
        return counts;
    }
}
