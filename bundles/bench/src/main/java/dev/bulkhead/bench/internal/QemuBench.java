package dev.bulkhead.bench.internal;

import static dev.bulkhead.bench.internal.BenchFigures.ms;
import static dev.bulkhead.bench.internal.BenchFigures.percentile;
import static dev.bulkhead.bench.internal.BenchFigures.putAgainstFloor;
import static dev.bulkhead.bench.internal.BenchFigures.putThroughput;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Dictionary;
import java.util.Hashtable;
import java.util.List;
import java.util.Map;
import java.util.function.BooleanSupplier;

import org.osgi.service.cm.Configuration;
import org.osgi.service.cm.ConfigurationAdmin;

import com.fasterxml.jackson.databind.node.ObjectNode;

import dev.bulkhead.api.AdminException;
import dev.bulkhead.api.Label;
import dev.bulkhead.api.QubeAdmin;
import dev.bulkhead.api.QubeClass;
import dev.bulkhead.api.QubeSpec;
import dev.bulkhead.api.host.HostCommands;

/**
 * The qemu figures, measured after the others with the core switched to the qemu backend (every qube of the bench
 * is halted and gone by then), and switched back after: a qube's start on the built-in guest image until its guest
 * agent answers (when {@code start} returns) against a bare QEMU of the same kernel and initramfs ({@link QemuFloor});
 * and TCP throughput AppVM → sys-firewall → sys-net → outside, three QEMU VMs with the real roles, against the same
 * bytes through a bare veth pair ({@link NetworkBench#bareVethStream}). Small enough to run under TCG in about two
 * minutes with three rounds.
 */
final class QemuBench {
    static final String CORE_PID = "dev.bulkhead.core";
    /** The stream through the chain: under TCG the three guests forward a few MB a second. */
    static final int STREAM_MIB = 16;
    /** Rounds of the start figure at most: a TCG boot takes seconds. */
    static final int MAX_ROUNDS = 10;
    private static final String PREFIX = BenchCommand.PREFIX;
    private static final String UPLINK_GATEWAY = "198.51.100.1";
    private static final Duration SWITCH = Duration.ofSeconds(60);
    private static final Duration FLOOR_BOOT = Duration.ofSeconds(120);
    private static final Duration STREAM = Duration.ofMinutes(2);

    private final QubeAdmin admin;
    private final ConfigurationAdmin configurations;
    private final BenchHost host;
    private final QemuFloor floor;

    QemuBench(QubeAdmin admin, ConfigurationAdmin configurations, BenchHost host, HostCommands hostCommands) {
        this.admin = admin;
        this.configurations = configurations;
        this.host = host;
        this.floor = new QemuFloor(hostCommands);
    }

    /**
     * Why the qemu figures are left out, or empty when they are measured: bin/bench's reason when it gave one, else
     * whether they were asked for and the qemu backend is there.
     */
    static String skipReason(String given, boolean asked, boolean backendRegistered) {
        if (!given.isEmpty()) {
            return given;
        }
        if (!asked) {
            return "not asked for (--qemu): bin/bench asks where the host has qemu-system-x86_64 and the installation the qemu"
                    + " feature's guest image";
        }
        return backendRegistered ? "" : "the qemu feature is not installed (feature:install qemu)";
    }

    void measure(ObjectNode out, int rounds, String outside) throws Exception {
        String before = switchBackend("qemu", () -> "qemu".equals(admin.backendName()));
        try {
            startFigure(out, Math.max(1, Math.min(rounds, MAX_ROUNDS)));
            if (!outside.isEmpty()) {
                chainFigure(out, outside);
            }
        } finally {
            switchBackend(before, "auto".equals(before) ? () -> true : () -> before.equals(admin.backendName()));
        }
    }

    /** Sets the core's backend, as in etc/dev.bulkhead.core.cfg, and waits until the core has adopted it; the former one. */
    private String switchBackend(String backend, BooleanSupplier adopted) throws IOException, InterruptedException {
        Configuration core = configurations.getConfiguration(CORE_PID, "?");
        Dictionary<String, Object> current = core.getProperties();
        Hashtable<String, Object> settings = new Hashtable<>();
        if (current != null) {
            for (var keys = current.keys(); keys.hasMoreElements();) {
                String key = keys.nextElement();
                settings.put(key, current.get(key));
            }
        }
        Object former = settings.get("backend");
        settings.put("backend", backend);
        core.update(settings);
        long deadline = System.nanoTime() + SWITCH.toNanos();
        while (!adopted.getAsBoolean()) {
            if (System.nanoTime() > deadline) {
                String runs = admin.backendName();
                // the core is left as it was
                settings.put("backend", former == null ? "auto" : former);
                core.update(settings);
                throw new AdminException("the core did not adopt the " + backend + " backend within " + SWITCH.toSeconds()
                        + " s (it runs '" + runs + "')");
            }
            Thread.sleep(50);
        }
        return former == null ? "auto" : former.toString();
    }

    /** Starts to agent-ready, alternating with the floor's boots so that both see the same load. */
    private void startFigure(ObjectNode out, int rounds) throws IOException, InterruptedException {
        String name = PREFIX + "qstart";
        Path dir = Files.createTempDirectory("bulkhead-bench-qemu");
        admin.create(new QubeSpec(name, QubeClass.AppVM, Label.GRAY, Map.of()));
        try {
            List<Long> starts = new ArrayList<>();
            List<Long> bare = new ArrayList<>();
            List<String> floorArgv = null;
            String accelerator = null;
            for (int i = 0; i < rounds; i++) {
                long t0 = System.nanoTime();
                admin.start(name);
                starts.add(System.nanoTime() - t0);
                if (floorArgv == null) {
                    List<String> qube = QemuFloor.qubeCommandLine(Path.of("/proc"), name)
                            .orElseThrow(() -> new AdminException("no QEMU of '" + name + "' found in /proc"));
                    accelerator = QemuFloor.accelerator(qube);
                    floorArgv = QemuFloor.commandLine(qube, dir.resolve("agent.sock"));
                }
                admin.kill(name);
                bare.add(floor.bootToAgent(floorArgv, dir.resolve("agent.sock"), FLOOR_BOOT));
            }
            ObjectNode start = out.putObject("start_to_agent_ready_ms");
            putAgainstFloor(start, starts, 99, bare, "bare_qemu");
            start.put("floor_bare_qemu_p99", ms(percentile(bare, 99)));
            start.put("rounds", rounds);
            start.put("accelerator", accelerator);
        } finally {
            if (admin.get(name).state().isActive()) {
                admin.kill(name);
            }
            admin.remove(name);
            Files.deleteIfExists(dir.resolve("agent.sock"));
            Files.deleteIfExists(dir);
        }
    }

    private void chainFigure(ObjectNode out, String outside) throws Exception {
        String net = PREFIX + "qnet";
        String fw = PREFIX + "qfw";
        String app = PREFIX + "qapp";
        admin.create(new QubeSpec(net, QubeClass.AppVM, Label.RED, Map.of("provides_network", "True")));
        admin.setFeature(net, "role", "netvm");
        admin.create(new QubeSpec(fw, QubeClass.AppVM, Label.GREEN, Map.of("provides_network", "True", "netvm", net)));
        admin.setFeature(fw, "role", "firewall");
        admin.create(new QubeSpec(app, QubeClass.AppVM, Label.BLUE, Map.of("netvm", fw)));
        HostCommands.Started sink = null;
        try {
            admin.start(net);
            host.exec(Path.of("/"), "ip", "-n", outside, "address", "add", UPLINK_GATEWAY + "/24", "dev", "bhbenchup0");
            host.exec(Path.of("/"), "ip", "-n", outside, "link", "set", "bhbenchup0", "up");
            admin.start(app);
            sink = host.startSink(outside);
            // one MiB to warm up: the connection tracking, the neighbours, the guests' pages
            stream(app, 1);
            long t0 = System.nanoTime();
            stream(app, STREAM_MIB);
            long chain = System.nanoTime() - t0;
            long bare = NetworkBench.bareVethStream(host, STREAM_MIB);
            putThroughput(out.putObject("tcp_throughput_mb_s"), "chain_appvm_firewall_netvm", STREAM_MIB, chain, "bare_veth", bare);
        } finally {
            if (sink != null) {
                sink.stop();
            }
            for (String q : List.of(app, fw, net)) {
                if (admin.get(q).state().isActive()) {
                    admin.kill(q);
                }
                admin.remove(q);
            }
        }
    }

    private void stream(String app, int mib) {
        String stream = "dd if=/dev/zero bs=1048576 count=" + mib + " 2>/dev/null | nc " + UPLINK_GATEWAY + " 5001";
        var r = admin.run(app, List.of("sh", "-c", stream), new byte[0], STREAM);
        if (r.exitStatus() != 0) {
            throw new AdminException("the stream through the qemu chain failed: " + r.stderrText());
        }
    }
}
