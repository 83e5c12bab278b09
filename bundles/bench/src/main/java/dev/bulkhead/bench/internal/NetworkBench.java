package dev.bulkhead.bench.internal;

import static dev.bulkhead.bench.internal.BenchFigures.ms;
import static dev.bulkhead.bench.internal.BenchFigures.percentile;
import static dev.bulkhead.bench.internal.BenchFigures.ratio;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;

import org.apache.felix.service.command.CommandProcessor;

import com.fasterxml.jackson.databind.node.ObjectNode;

import dev.bulkhead.api.AdminException;
import dev.bulkhead.api.Label;
import dev.bulkhead.api.QubeAdmin;
import dev.bulkhead.api.QubeClass;
import dev.bulkhead.api.QubeSpec;
import dev.bulkhead.api.firewall.FirewallRule;
import dev.bulkhead.api.host.HostCommands;

/**
 * Forwarded TCP throughput AppVM → sys-firewall → sys-net → outside against a bare veth pair
 * between two namespaces, and the time to apply a 1,000-rule firewall policy.
 * Then the same through a VPN qube against bare wireguard-go.
 * <p>
 * The floors are {@code floor_bare_veth} and {@code floor_bare_wireguard_go}: the same stream over a
 * veth pair (and wireguard-go on it) with nothing of a qube around it. Their namespaces and pair are
 * made by the platform's namespace helper, as a netvm's links are; the stream they time runs no
 * platform code.
 */
final class NetworkBench {
    private static final String PREFIX = BenchCommand.PREFIX;
    private static final String UPLINK_GATEWAY = "198.51.100.1";
    private static final int STREAM_MIB = 512;
    private static final int VPN_STREAM_MIB = 256;
    private static final String VPN_SERVER = "10.201.0.1";

    private final QubeAdmin admin;
    private final CommandProcessor shell;
    private final BenchHost host;

    NetworkBench(QubeAdmin admin, CommandProcessor shell, BenchHost host) {
        this.admin = admin;
        this.shell = shell;
        this.host = host;
    }

    void measure(ObjectNode out, String outside) throws Exception {
        Map<String, String> net = Map.of("provides_network", "True");
        admin.create(new QubeSpec(PREFIX + "net", QubeClass.AppVM, Label.RED, net));
        admin.setFeature(PREFIX + "net", "role", "netvm");
        admin.create(new QubeSpec(PREFIX + "fw", QubeClass.AppVM, Label.GREEN, Map.of("provides_network", "True", "netvm", PREFIX + "net")));
        admin.setFeature(PREFIX + "fw", "role", "firewall");
        admin.create(new QubeSpec(PREFIX + "app", QubeClass.AppVM, Label.BLUE, Map.of("netvm", PREFIX + "fw")));
        HostCommands.Started sink = null;
        try {
            admin.start(PREFIX + "net");
            host.exec(Path.of("/"), "ip", "-n", outside, "address", "add", UPLINK_GATEWAY + "/24", "dev", "bhbenchup0");
            host.exec(Path.of("/"), "ip", "-n", outside, "link", "set", "bhbenchup0", "up");
            admin.start(PREFIX + "app");
            sink = host.startSink(outside);
            String stream = "dd if=/dev/zero bs=1048576 count=" + STREAM_MIB + " 2>/dev/null | nc " + UPLINK_GATEWAY + " 5001";
            admin.run(PREFIX + "app", List.of("sh", "-c", stream), new byte[0], Duration.ofMinutes(2));
            long t0 = System.nanoTime();
            var r = admin.run(PREFIX + "app", List.of("sh", "-c", stream), new byte[0], Duration.ofMinutes(2));
            long chain = System.nanoTime() - t0;
            if (r.exitStatus() != 0) {
                throw new AdminException("the stream through the chain failed: " + r.stderrText());
            }
            long floor = bareVethStream(host, STREAM_MIB);
            ObjectNode tp = out.putObject("tcp_throughput_mbit_s");
            tp.put("chain_appvm_firewall_netvm", mbit(chain));
            tp.put("floor_bare_veth", mbit(floor));
            tp.put("ratio", Math.round(100.0 * floor / chain) / 100.0);
            tp.put("target_ratio", 0.8);

            applyRules(admin, PREFIX + "fw", PREFIX + "app", out.putObject("apply_1000_rules_ms"), 5);

            vpnThroughput(out.putObject("vpn_throughput_mbit_s"), outside);
        } finally {
            if (sink != null) {
                sink.stop();
            }
            for (String q : List.of(PREFIX + "app", PREFIX + "fw", PREFIX + "net")) {
                if (admin.get(q).state().isActive()) {
                    admin.kill(q);
                }
                admin.remove(q);
            }
        }
    }

    /**
     * The time {@code setFirewallRules} takes to put a 1,000-rule policy of {@code client} in force, its FirewallVM
     * {@code firewall} running: {@code rounds} times, each round the same addresses to another port, so that every round
     * changes the client's filter. The rules are of one shape, as a long allow-list is: they share one statement with a
     * set of addresses. The floor, measured in the same rounds: one command in the FirewallVM (through the backend, as
     * the role's are) that loads the same statement into a chain of a table of its own, hooked nowhere.
     */
    static void applyRules(QubeAdmin admin, String firewall, String client, ObjectNode out, int rounds) {
        List<Long> applies = new ArrayList<>();
        List<Long> floor = new ArrayList<>();
        StringBuilder addresses = new StringBuilder();
        runIn(admin, firewall, "table inet bench_floor {\n  chain c {\n  }\n}\n");
        try {
            for (int round = 0; round < rounds; round++) {
                List<FirewallRule> rules = new ArrayList<>();
                addresses.setLength(0);
                for (int i = 0; i < 1000; i++) {
                    String address = "198.18." + (i / 250) + "." + (i % 250 + 1);
                    rules.add(FirewallRule.parse("action=accept proto=tcp dsthost=" + address + " dstports=" + (443 + round), Instant.now()));
                    addresses.append(i == 0 ? "" : ", ").append(address);
                }
                long a0 = System.nanoTime();
                admin.setFirewallRules(client, rules);
                applies.add(System.nanoTime() - a0);
                String change = "flush chain inet bench_floor c\ntable inet bench_floor {\n  chain c {\n    ip daddr { " + addresses
                        + " } tcp dport " + (443 + round) + " accept\n    reject with icmpx type admin-prohibited\n  }\n}\n";
                long f0 = System.nanoTime();
                runIn(admin, firewall, change);
                floor.add(System.nanoTime() - f0);
            }
        } finally {
            runIn(admin, firewall, "delete table inet bench_floor\n");
        }
        out.put("p50", ms(percentile(applies, 50)));
        out.put("max", ms(percentile(applies, 100)));
        out.put("floor_one_nft_in_qube_p50", ms(percentile(floor, 50)));
        out.put("ratio_p50", ratio(percentile(applies, 50), percentile(floor, 50)));
    }

    private static void runIn(QubeAdmin admin, String qube, String ruleset) {
        var r = admin.run(qube, List.of("nft", "-f", "-"), ruleset.getBytes(StandardCharsets.UTF_8), Duration.ofMinutes(1));
        if (r.exitStatus() != 0) {
            throw new AdminException("the firewall floor's nft failed in '" + qube + "': " + r.stderrText());
        }
    }

    /**
     * TCP throughput AppVM → sys-vpn → sys-firewall → sys-net → a WireGuard server in the outside
     * namespace, to a sink that only the tunnel reaches, against bare wireguard-go between two
     * namespaces joined by a veth pair.
     */
    private void vpnThroughput(ObjectNode out, String outside) throws Exception {
        String vpn = PREFIX + "vpn";
        String app = PREFIX + "vapp";
        String serverInterface = "bhbwgs" + ProcessHandle.current().pid() % 100000;
        admin.create(new QubeSpec(vpn, QubeClass.AppVM, Label.PURPLE, Map.of("provides_network", "True", "netvm", PREFIX + "fw")));
        admin.setFeature(vpn, "role", "vpn");
        admin.create(new QubeSpec(app, QubeClass.AppVM, Label.BLUE, Map.of("netvm", vpn)));
        Path dir = Files.createTempDirectory("bulkhead-bench-vpn");
        HostCommands.Started sink = null;
        try {
            String clientKey = host.output(null, "wg", "genkey");
            String serverKey = host.output(null, "wg", "genkey");
            host.wireGuard(outside, serverInterface, serverKey, dir, 51820, host.output(clientKey + "\n", "wg", "pubkey"), "10.201.0.2/32",
                    null, VPN_SERVER + "/24");
            Path config = dir.resolve("bench-vpn.conf");
            Files.writeString(config, "[Interface]\nPrivateKey = " + clientKey + "\nAddress = 10.201.0.2/32\n[Peer]\nPublicKey = "
                    + host.output(serverKey + "\n", "wg", "pubkey") + "\nAllowedIPs = 0.0.0.0/0\nEndpoint = " + UPLINK_GATEWAY + ":51820\n");
            BenchHost.shellCommand(shell, "qvm:vpn import " + vpn + " " + config);
            admin.start(app);
            sink = host.startSink(outside);
            String stream = "dd if=/dev/zero bs=1048576 count=" + VPN_STREAM_MIB + " 2>/dev/null | nc " + VPN_SERVER + " 5001";
            admin.run(app, List.of("sh", "-c", stream), new byte[0], Duration.ofMinutes(2));
            long t0 = System.nanoTime();
            var r = admin.run(app, List.of("sh", "-c", stream), new byte[0], Duration.ofMinutes(2));
            long chain = System.nanoTime() - t0;
            if (r.exitStatus() != 0) {
                throw new AdminException("the stream through the VPN chain failed: " + r.stderrText());
            }
            long floor = bareWireGuardStream(dir);
            out.put("chain_appvm_vpn_firewall_netvm", Math.round(VPN_STREAM_MIB * 8.0 * 1.048576 / (chain / 1e9)));
            out.put("floor_bare_wireguard_go", Math.round(VPN_STREAM_MIB * 8.0 * 1.048576 / (floor / 1e9)));
            out.put("ratio", Math.round(100.0 * floor / chain) / 100.0);
        } finally {
            if (sink != null) {
                sink.stop();
            }
            // wireguard-go ends with its interface
            host.quietly("ip", "-n", outside, "link", "del", serverInterface);
            for (String q : List.of(app, vpn)) {
                if (admin.get(q).state().isActive()) {
                    admin.kill(q);
                }
                admin.remove(q);
            }
            try (Stream<Path> walk = Files.walk(dir)) {
                walk.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
            }
        }
    }

    /** The same stream through wireguard-go between two namespaces joined by a bare veth pair. */
    private long bareWireGuardStream(Path dir) throws IOException, InterruptedException {
        long pid = ProcessHandle.current().pid();
        String a = "bhbench-wa-" + pid;
        String b = "bhbench-wb-" + pid;
        String wgA = "bhbwga" + pid % 100000;
        String wgB = "bhbwgb" + pid % 100000;
        host.vethPair(a, b);
        HostCommands.Started sink = null;
        try {
            String keyA = host.output(null, "wg", "genkey");
            String keyB = host.output(null, "wg", "genkey");
            host.wireGuard(a, wgA, keyA, dir, 51820, host.output(keyB + "\n", "wg", "pubkey"), "10.202.0.2/32", BenchHost.PAIR_B + ":51820",
                    "10.202.0.1/24");
            host.wireGuard(b, wgB, keyB, dir, 51820, host.output(keyA + "\n", "wg", "pubkey"), "10.202.0.1/32", BenchHost.PAIR_A + ":51820",
                    "10.202.0.2/24");
            sink = host.startSink(b);
            return host.timedStream(a, "10.202.0.2", VPN_STREAM_MIB);
        } finally {
            if (sink != null) {
                sink.stop();
            }
            // wireguard-go ends with its interface; while it runs, it would keep its namespace alive
            host.quietly("ip", "-n", a, "link", "del", wgA);
            host.quietly("ip", "-n", b, "link", "del", wgB);
            host.deleteNamespaces(a, b);
        }
    }

    /** A stream of this many MiB between two namespaces joined by a bare veth pair (after one to warm up). */
    static long bareVethStream(BenchHost host, int mib) throws IOException, InterruptedException {
        String a = "bhbench-a-" + ProcessHandle.current().pid();
        String b = "bhbench-b-" + ProcessHandle.current().pid();
        host.vethPair(a, b);
        HostCommands.Started sink = null;
        try {
            sink = host.startSink(b);
            return host.timedStream(a, BenchHost.PAIR_B, mib);
        } finally {
            if (sink != null) {
                sink.stop();
            }
            host.deleteNamespaces(a, b);
        }
    }

    private static double mbit(long nanos) {
        return Math.round(STREAM_MIB * 8.0 * 1.048576 / (nanos / 1e9));
    }
}
