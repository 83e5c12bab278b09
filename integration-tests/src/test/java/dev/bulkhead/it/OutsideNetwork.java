package dev.bulkhead.it;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import dev.bulkhead.testing.ScratchNetwork;

/**
 * The "internet" for network tests: a network namespace of its own with public-range documentation
 * addresses, an HTTP server, a DNS server and packet counters on the link from sys-net, in all and
 * by kind. On demand it also runs a WireGuard server, behind which are a web server and a DNS
 * server that nothing else reaches. It has no route anywhere else, so nothing can leave the machine.
 */
final class OutsideNetwork implements AutoCloseable {
    /** The host-side end of sys-net's uplink, inside this namespace. */
    static final String UPLINK = "bhoutside0";
    static final String GATEWAY = "198.51.100.1";
    static final String NETVM_ADDRESS = "198.51.100.2/24";
    static final String WEB = "203.0.113.10";
    static final String OTHER_WEB = "203.0.113.20";
    static final String DNS = "203.0.113.53";
    /** Names the DNS server answers: allowed.test → WEB, other.test → OTHER_WEB. */
    static final String WEB_NAME = "allowed.test";
    static final String OTHER_NAME = "other.test";
    static final String PAGE = "the outside\n";
    /** A TCP server that sends a line every 100 ms, without end, to whoever connects. */
    static final int STREAM_PORT = 9000;
    /** A Tor bridge address: nothing listens there, but tor's attempts to reach it are counted. */
    static final String BRIDGE = "203.0.113.30";
    static final int BRIDGE_PORT = 443;
    /** Where the WireGuard server listens. */
    static final String WG_ENDPOINT = "203.0.113.51";
    static final int WG_PORT = 51820;
    /** The WireGuard server's address in its tunnel, with a web and a DNS server reachable only through the tunnel. */
    static final String TUNNEL_SERVER = "10.200.0.1";
    /** The one client's address in the tunnel. */
    static final String TUNNEL_CLIENT = "10.200.0.2";
    static final String TUNNEL_PAGE = "behind the tunnel\n";
    /**
     * What the packet counters sort IPv4 packets from sys-net's link into: {@code tor} to the
     * bridge, {@code wireguard} to the WireGuard server, {@code dns} to port 53, and all other
     * {@code tcp}, {@code udp} and {@code icmp}. IPv6 is left out: sys-net's uplink sends its own
     * multicast listener reports when it comes up, and no role forwards IPv6.
     */
    static final List<String> KINDS = List.of("tor", "wireguard", "dns", "tcp", "udp", "icmp");

    private final ScratchNetwork network = new ScratchNetwork("it");
    final String netns = network.namespace("outside");
    /** The WireGuard server's interface: wireguard-go's control socket is host-wide, so is its name. */
    final String wgInterface = "bhwgit" + ProcessHandle.current().pid() % 100000;
    private final Path webRoot = network.directory("web");

    /** The netvm role's settings that make this network sys-net's uplink. */
    Map<String, String> netvmUplink() {
        return Map.of("uplink.mode", "veth", "uplink.host_interface", UPLINK, "uplink.host_namespace", netns,
                "uplink.address", NETVM_ADDRESS, "uplink.gateway", GATEWAY, "dns", DNS);
    }

    OutsideNetwork() throws IOException {
        Files.writeString(webRoot.resolve("index.html"), PAGE);
        network.ip(netns, "address add " + WEB + "/32 dev lo",
                "address add " + OTHER_WEB + "/32 dev lo",
                "address add " + DNS + "/32 dev lo",
                "address add " + WG_ENDPOINT + "/32 dev lo");
        nft("""
                table inet count {
                  counter from_uplink { }
                  counter tor_packets { }
                  counter wireguard_packets { }
                  counter dns_packets { }
                  counter tcp_packets { }
                  counter udp_packets { }
                  counter icmp_packets { }
                  counter tunnel_tor_packets { }
                  chain prerouting {
                    type filter hook prerouting priority -300; policy accept;
                    iifname "%1$s" jump by_kind
                    iifname "%2$s" ip daddr %3$s tcp dport %4$d counter name tunnel_tor_packets
                  }
                  chain by_kind {
                    counter name from_uplink
                    meta nfproto ipv6 return
                    ip daddr %3$s tcp dport %4$d counter name tor_packets return
                    ip daddr %5$s udp dport %6$d counter name wireguard_packets return
                    meta l4proto { tcp, udp } th dport 53 counter name dns_packets return
                    meta l4proto tcp counter name tcp_packets return
                    meta l4proto udp counter name udp_packets return
                    meta l4proto icmp counter name icmp_packets return
                  }
                  chain input {
                    type filter hook input priority filter; policy accept;
                    iifname "%1$s" ip daddr %7$s/24 drop
                  }
                }
                """.formatted(UPLINK, wgInterface, BRIDGE, BRIDGE_PORT, WG_ENDPOINT, WG_PORT, TUNNEL_SERVER));
        network.start(netns, "busybox", "httpd", "-f", "-p", WEB + ":80", "-h", webRoot.toString());
        network.start(netns, "busybox", "httpd", "-f", "-p", OTHER_WEB + ":80", "-h", webRoot.toString());
        network.start(netns, "dnsmasq", "--keep-in-foreground", "--no-resolv", "--no-hosts", "--bind-interfaces",
                "--listen-address=" + DNS, "--pid-file=", "--user=root", "--local=/test/",
                "--address=/" + WEB_NAME + "/" + WEB, "--address=/" + OTHER_NAME + "/" + OTHER_WEB);
    }

    void startStreamServer() {
        network.start(netns, "busybox", "nc", "-ll", "-p", Integer.toString(STREAM_PORT), "-e", "/bin/busybox", "sh", "-c",
                "while true; do echo tick; busybox usleep 100000; done");
    }

    /**
     * Starts the WireGuard server, whose one peer is the client with the given public key at
     * {@value #TUNNEL_CLIENT}, with a web server and a DNS server behind it; returns the server's
     * public key. Its DNS server answers {@value #WEB_NAME} with {@value #TUNNEL_SERVER}.
     */
    String startWireGuardServer(String clientPublicKey) throws IOException {
        String serverKey = host("wg", "genkey").strip();
        Path key = Files.createTempFile("bulkhead-wg-server", ".key",
                PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rw-------")));
        Files.writeString(key, serverKey + "\n");
        try {
            host("sh", "-c", "ip netns exec " + netns + " wireguard-go " + wgInterface + " </dev/null >/dev/null 2>&1");
            host("ip", "netns", "exec", netns, "wg", "set", wgInterface, "private-key", key.toString(), "listen-port",
                    Integer.toString(WG_PORT), "peer", clientPublicKey, "allowed-ips", TUNNEL_CLIENT + "/32");
        } finally {
            Files.delete(key);
        }
        network.ip(netns, "address add " + TUNNEL_SERVER + "/24 dev " + wgInterface, "link set " + wgInterface + " up");
        Path tunnelRoot = Files.createDirectories(webRoot.resolve("tunnel"));
        Files.writeString(tunnelRoot.resolve("index.html"), TUNNEL_PAGE);
        network.start(netns, "busybox", "httpd", "-f", "-p", TUNNEL_SERVER + ":80", "-h", tunnelRoot.toString());
        network.start(netns, "dnsmasq", "--keep-in-foreground", "--no-resolv", "--no-hosts", "--bind-interfaces",
                "--listen-address=" + TUNNEL_SERVER, "--pid-file=", "--user=root", "--local=/test/",
                "--address=/" + WEB_NAME + "/" + TUNNEL_SERVER);
        BulkheadTestSupport.awaitTrue("the tunnel's DNS server to listen", Duration.ofSeconds(10),
                () -> !host("ip", "netns", "exec", netns, "ss", "-Hlun", "src", TUNNEL_SERVER + ":53").isBlank(), () -> "not listening");
        return ScratchNetwork.check(ScratchNetwork.run(serverKey + "\n", "wg", "pubkey")).stdout().strip();
    }

    /**
     * From now on the DNS server never answers: every query to it is dropped where it arrives (it
     * is still counted as {@code dns} on the way in).
     */
    void silenceDns() {
        nft("""
                table inet silence {
                  chain input {
                    type filter hook input priority filter - 1; policy accept;
                    ip daddr %s meta l4proto { tcp, udp } th dport 53 drop
                  }
                }
                """.formatted(DNS));
    }

    /** The DNS server answers again. */
    void answerDns() {
        nft("delete table inet silence\n");
    }

    /** Once sys-net has its uplink, the outside end gets its address. */
    void uplinkUp() {
        network.ip(netns, "address add " + GATEWAY + "/24 dev " + UPLINK, "link set " + UPLINK + " up");
    }

    /** Packets that reached the outside from sys-net so far. */
    long packetsFromUplink() {
        return counter("from_uplink");
    }

    /** Packets that reached the outside from sys-net so far, by kind (see {@link #KINDS}). */
    Map<String, Long> packetsByKind() {
        Map<String, Long> counts = new LinkedHashMap<>();
        for (String kind : KINDS) {
            counts.put(kind, counter(kind + "_packets"));
        }
        return counts;
    }

    /** Packets to the Tor bridge that came out of the WireGuard server's tunnel. */
    long torPacketsFromTunnel() {
        return counter("tunnel_tor_packets");
    }

    private long counter(String name) {
        return network.packets(netns, "count", name);
    }

    private void nft(String ruleset) {
        ScratchNetwork.check(network.exec(netns, ruleset, "nft", "-f", "-"));
    }

    private static String host(String... command) {
        return BulkheadTestSupport.host(command);
    }

    @Override
    public void close() {
        // the server's wireguard-go ends with its interface
        ScratchNetwork.run(null, "ip", "-n", netns, "link", "delete", wgInterface);
        network.close();
    }
}
