package dev.bulkhead.bench.internal;

import static dev.bulkhead.bench.internal.BenchFigures.ms;
import static dev.bulkhead.bench.internal.BenchFigures.percentile;
import static dev.bulkhead.bench.internal.BenchFigures.ratio;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.PrintStream;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.jar.JarFile;
import java.util.stream.Stream;

import org.apache.felix.service.command.CommandProcessor;
import org.apache.felix.service.command.CommandSession;
import org.apache.felix.service.command.Descriptor;
import org.apache.felix.service.command.Parameter;
import org.osgi.framework.Bundle;
import org.osgi.framework.BundleContext;
import org.osgi.framework.InvalidSyntaxException;
import org.osgi.framework.ServiceReference;
import org.osgi.service.component.annotations.Activate;
import org.osgi.service.component.annotations.Component;
import org.osgi.service.component.annotations.Reference;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.databind.node.ObjectNode;

import dev.bulkhead.api.AdminException;
import dev.bulkhead.api.Label;
import dev.bulkhead.api.QubeAdmin;
import dev.bulkhead.api.host.HostCommands;
import dev.bulkhead.api.QubeClass;
import dev.bulkhead.api.QubeSpec;
import dev.bulkhead.api.RoleInfo;
import dev.bulkhead.api.template.InstallListener;
import dev.bulkhead.api.template.TemplateStore;

/**
 * {@code bench:run}: measures the platform in the running instance and prints JSON. Each figure
 * stands next to a floor measured in the same run, so the ratio means something on any host.
 * It creates and removes qubes, so bin/bench runs it in a throwaway instance only.
 */
@Component(service = BenchCommand.class, property = { "osgi.command.scope=bench", "osgi.command.function=run" })
public final class BenchCommand {
    private static final String PREFIX = "bench-";
    private final BundleContext context;
    private final QubeAdmin admin;
    private final CommandProcessor shell;
    private final TemplateStore templates;
    private final BenchHost host;

    @Activate
    public BenchCommand(BundleContext context, @Reference QubeAdmin admin, @Reference CommandProcessor shell,
            @Reference TemplateStore templates, @Reference HostCommands hostCommands) {
        this.host = new BenchHost(hostCommands);
        this.context = context;
        this.admin = admin;
        this.shell = shell;
        this.templates = templates;
    }

    @Descriptor("Measure qube start and disposables against bare runc, qvm:ls and the console's qube list over many qubes; print JSON")
    public void run(
            @Descriptor("start/stop rounds") @Parameter(names = "--rounds", absentValue = "20") int rounds,
            @Descriptor("qubes defined for the listing figure") @Parameter(names = "--qubes", absentValue = "1000") int qubes,
            @Descriptor("platform start to shell-ready, measured by bin/bench") @Parameter(names = "--boot-ms", absentValue = "-1") long bootMs,
            @Descriptor("resident memory after start, measured by bin/bench") @Parameter(names = "--boot-rss-kb", absentValue = "-1") long bootRssKb,
            @Descriptor("network namespace at the end of the NetVM uplink, made by bin/bench; empty: no network figures")
            @Parameter(names = "--outside", absentValue = "") String outside,
            @Descriptor("a role bundle jar to deploy for the hot-deploy figure; empty: no such figure")
            @Parameter(names = "--role-jar", absentValue = "") String roleJar,
            @Descriptor("the folder FileInstall watches for bundles (deploy/)") @Parameter(names = "--deploy", absentValue = "") String deploy,
            @Descriptor("its poll interval, as configured, reported next to the figure")
            @Parameter(names = "--deploy-poll-ms", absentValue = "-1") long deployPollMs,
            @Descriptor("template package the disposables are based on; empty: the built-in root")
            @Parameter(names = "--template", absentValue = "") String template)
            throws Exception {
        ObjectMapper json = new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT);
        ObjectNode out = json.createObjectNode();
        out.put("backend", admin.backendName());

        List<Long> floor = bareRuncStarts(rounds);
        List<Long> starts = qubeStarts(rounds);
        ObjectNode start = out.putObject("qube_start_ms");
        start.put("p50", ms(percentile(starts, 50)));
        start.put("p99", ms(percentile(starts, 99)));
        start.put("floor_bare_runc_p50", ms(percentile(floor, 50)));
        start.put("floor_bare_runc_p99", ms(percentile(floor, 99)));
        start.put("ratio_p50", ratio(percentile(starts, 50), percentile(floor, 50)));
        start.put("rounds", rounds);
        start.put("target_p50", 30);

        listings(qubes, rounds, out);

        disposables(out, rounds, template);

        new DeadNetvmBench(admin, Path.of(context.getProperty("bulkhead.data")), host)
                .measure(out.putObject("dead_netvm_links_down_ms"), Math.min(rounds, 10));

        if (!outside.isEmpty()) {
            network(out.putObject("network"), outside);
        }

        if (!roleJar.isEmpty()) {
            roleDeploy(out.putObject("role_deploy_ms"), Path.of(roleJar), Path.of(deploy), deployPollMs);
        }

        ObjectNode boot = out.putObject("platform");
        boot.put("start_to_shell_ready_ms", bootMs);
        boot.put("start_target_ms", 1000);
        boot.put("rss_after_start_mb", bootRssKb < 0 ? -1 : bootRssKb / 1024);
        boot.put("rss_after_bench_mb", rssKb() / 1024);
        boot.put("rss_target_mb", 150);
        System.out.println(json.writeValueAsString(out));
    }

    /**
     * Disposable create, run {@code true}, destroyed, one after the other, fresh and preloaded, next
     * to a bare {@code runc run} of {@code true} in a fresh network namespace, deleted after.
     */
    private void disposables(ObjectNode out, int rounds, String templateFile) throws Exception {
        ObjectNode figures = out.putObject("disposable_ms");
        String rootTemplate = null;
        if (!templateFile.isEmpty()) {
            long t0 = System.nanoTime();
            rootTemplate = templates.install(Path.of(templateFile), InstallListener.NONE, false).name();
            figures.put("template_install_ms", ms(System.nanoTime() - t0));
        }
        String dvm = PREFIX + "dvm";
        Map<String, String> props = new java.util.HashMap<>(Map.of("template_for_dispvms", "True"));
        if (rootTemplate != null) {
            props.put("template", rootTemplate);
        }
        admin.create(new QubeSpec(dvm, QubeClass.AppVM, Label.ORANGE, props));
        try {
            admin.run(dvm, List.of("true"), new byte[0], Duration.ofSeconds(30));
            admin.shutdown(dvm, false, true, Duration.ofSeconds(30));
            List<Long> fresh = new ArrayList<>();
            for (int i = 0; i <= rounds; i++) {
                long t0 = System.nanoTime();
                admin.runDisposable(dvm, List.of("true"), new byte[0], Duration.ofSeconds(30));
                if (i > 0) {
                    fresh.add(System.nanoTime() - t0);
                }
            }
            admin.setFeature(dvm, "preload-dispvm-max", "1");
            List<Long> preloaded = new ArrayList<>();
            for (int i = 0; i < rounds; i++) {
                awaitPreloaded(dvm);
                long t0 = System.nanoTime();
                admin.runDisposable(dvm, List.of("true"), new byte[0], Duration.ofSeconds(30));
                preloaded.add(System.nanoTime() - t0);
            }
            admin.removeFeature(dvm, "preload-dispvm-max");
            List<Long> floor = bareRuncRuns(rounds);
            figures.put("root", rootTemplate == null ? "built-in" : rootTemplate);
            figures.put("p50", ms(percentile(fresh, 50)));
            figures.put("p99", ms(percentile(fresh, 99)));
            figures.put("preloaded_p50", ms(percentile(preloaded, 50)));
            figures.put("floor_bare_runc_p50", ms(percentile(floor, 50)));
            figures.put("ratio_p50", ratio(percentile(fresh, 50), percentile(floor, 50)));
            figures.put("rounds", rounds);
            figures.put("target_p50", 150);
        } finally {
            awaitNoDisposables();
            admin.remove(dvm);
            if (rootTemplate != null) {
                templates.remove(rootTemplate);
            }
        }
    }

    /** Waits, with a deadline, for the template's preloaded disposable to be ready. */
    private void awaitPreloaded(String dvm) throws InterruptedException {
        long deadline = System.nanoTime() + Duration.ofSeconds(30).toNanos();
        while (admin.get(dvm).features().getOrDefault("preload-dispvm", "").isBlank()) {
            if (System.nanoTime() > deadline) {
                throw new AdminException("no disposable of " + dvm + " was preloaded within 30 s");
            }
            Thread.sleep(5);
        }
    }

    private void awaitNoDisposables() throws InterruptedException {
        long deadline = System.nanoTime() + Duration.ofSeconds(30).toNanos();
        while (admin.list().stream().anyMatch(q -> q.klass() == QubeClass.DispVM) && System.nanoTime() < deadline) {
            Thread.sleep(5);
        }
    }

    /** The floor: {@code ip netns add}, {@code runc run} of busybox {@code true} joined to it, and both removed. */
    private List<Long> bareRuncRuns(int rounds) throws IOException, InterruptedException {
        Path dir = Files.createTempDirectory("bulkhead-bench-disposable-floor");
        try {
            String ns = "bhbench-d-" + ProcessHandle.current().pid();
            writeBusyboxBundle(dir, ns, List.of("/bin/busybox", "true"));
            String state = dir.resolve("state").toString();
            List<Long> times = new ArrayList<>();
            for (int i = 0; i <= rounds; i++) {
                long t0 = System.nanoTime();
                host.exec(dir, "ip", "netns", "add", ns);
                host.exec(dir.resolve("bundle"), "runc", "--root", state, "run", "floor" + i);
                host.exec(dir, "ip", "netns", "del", ns);
                if (i > 0) {
                    times.add(System.nanoTime() - t0);
                }
            }
            return times;
        } finally {
            try (Stream<Path> walk = Files.walk(dir)) {
                walk.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
            }
        }
    }

    private static final String UPLINK_GATEWAY = "198.51.100.1";
    /** exec: the shell becomes the server, so stopping the process stops the server. */
    private static final int STREAM_MIB = 512;

    /**
     * Forwarded TCP throughput AppVM → sys-firewall → sys-net → outside against a bare veth pair
     * between two namespaces, and the time to apply a 1,000-rule firewall policy.
     */
    private void network(ObjectNode out, String outside) throws Exception {
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
            long floor = bareVethStream();
            ObjectNode tp = out.putObject("tcp_throughput_mbit_s");
            tp.put("chain_appvm_firewall_netvm", mbit(chain));
            tp.put("floor_bare_veth", mbit(floor));
            tp.put("ratio", Math.round(100.0 * floor / chain) / 100.0);
            tp.put("target_ratio", 0.8);

            List<Long> applies = new ArrayList<>();
            for (int round = 0; round < 5; round++) {
                List<dev.bulkhead.api.firewall.FirewallRule> rules = new ArrayList<>();
                for (int i = 0; i < 1000; i++) {
                    rules.add(dev.bulkhead.api.firewall.FirewallRule.parse("action=accept proto=tcp dsthost=198.18." + (i / 250) + "."
                            + (i % 250 + 1) + " dstports=" + (443 + round), java.time.Instant.now()));
                }
                long a0 = System.nanoTime();
                admin.setFirewallRules(PREFIX + "app", rules);
                applies.add(System.nanoTime() - a0);
            }
            ObjectNode apply = out.putObject("apply_1000_rules_ms");
            apply.put("p50", ms(percentile(applies, 50)));
            apply.put("max", ms(percentile(applies, 100)));

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

    private static final int DEPLOY_TRIES = 10;
    private static final Duration DEPLOY_DEADLINE = Duration.ofSeconds(30);

    /**
     * A role bundle jar copied into the watched folder until its role is listed by
     * {@link QubeAdmin#roles()}, against the same jar installed and started straight through the
     * framework: the difference is what hot deployment adds (mostly waiting for FileInstall's poll).
     */
    private void roleDeploy(ObjectNode out, Path jar, Path deploy, long pollMs) throws Exception {
        Path target = deploy.resolve(jar.getFileName());
        Path part = deploy.resolve(jar.getFileName() + ".part");
        String symbolicName;
        try (JarFile file = new JarFile(jar.toFile())) {
            symbolicName = file.getManifest().getMainAttributes().getValue("Bundle-SymbolicName").split(";")[0].strip();
        }
        List<String> before = roleIds();
        String role = null;
        List<Long> deployed = new ArrayList<>();
        List<Long> floor = new ArrayList<>();
        try {
            for (int i = 0; i < DEPLOY_TRIES; i++) {
                long t0 = System.nanoTime();
                // renamed into place: FileInstall must not see half a jar
                Files.copy(jar, part, StandardCopyOption.REPLACE_EXISTING);
                Files.move(part, target, StandardCopyOption.ATOMIC_MOVE);
                role = awaitNewRole(before);
                deployed.add(System.nanoTime() - t0);
                Files.delete(target);
                awaitGone(before, symbolicName);

                long f0 = System.nanoTime();
                Bundle bundle;
                try (InputStream in = Files.newInputStream(jar)) {
                    bundle = context.installBundle("bench:" + jar.getFileName(), in);
                }
                try {
                    bundle.start();
                    awaitNewRole(before);
                    floor.add(System.nanoTime() - f0);
                } finally {
                    bundle.uninstall();
                }
                awaitGone(before, symbolicName);
            }
        } finally {
            Files.deleteIfExists(part);
            Files.deleteIfExists(target);
        }
        out.put("role", role);
        out.put("p50", ms(percentile(deployed, 50)));
        out.put("max", ms(percentile(deployed, 100)));
        out.put("floor_bundle_install_start_p50", ms(percentile(floor, 50)));
        out.put("ratio_p50", ratio(percentile(deployed, 50), percentile(floor, 50)));
        out.put("fileinstall_poll_ms", pollMs);
        out.put("tries", DEPLOY_TRIES);
        out.put("target_p50", 1000);
    }

    private List<String> roleIds() {
        return admin.roles().stream().map(RoleInfo::id).toList();
    }

    /** Waits for a role that is not in {@code before}; returns its id. */
    private String awaitNewRole(List<String> before) throws InterruptedException {
        long deadline = System.nanoTime() + DEPLOY_DEADLINE.toNanos();
        while (System.nanoTime() < deadline) {
            for (String id : roleIds()) {
                if (!before.contains(id)) {
                    return id;
                }
            }
            Thread.sleep(1);
        }
        throw new AdminException("no new role within " + DEPLOY_DEADLINE.toSeconds() + " s; roles: " + roleIds());
    }

    /**
     * Waits until the roles are {@code before} again and no bundle of that name is installed, so the
     * next install is not refused as a duplicate.
     */
    private void awaitGone(List<String> before, String symbolicName) throws InterruptedException {
        long deadline = System.nanoTime() + DEPLOY_DEADLINE.toNanos();
        while (!roleIds().equals(before) || Arrays.stream(context.getBundles()).anyMatch(b -> symbolicName.equals(b.getSymbolicName()))) {
            if (System.nanoTime() > deadline) {
                throw new AdminException("the deployed role or bundle " + symbolicName + " did not leave within "
                        + DEPLOY_DEADLINE.toSeconds() + " s; roles: " + roleIds());
            }
            Thread.sleep(1);
        }
    }


    private static final int VPN_STREAM_MIB = 256;
    private static final String VPN_SERVER = "10.201.0.1";

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
            wireGuard(outside, serverInterface, serverKey, dir, 51820, host.output(clientKey + "\n", "wg", "pubkey"), "10.201.0.2/32", null,
                    VPN_SERVER + "/24");
            Path config = dir.resolve("bench-vpn.conf");
            Files.writeString(config, "[Interface]\nPrivateKey = " + clientKey + "\nAddress = 10.201.0.2/32\n[Peer]\nPublicKey = "
                    + host.output(serverKey + "\n", "wg", "pubkey") + "\nAllowedIPs = 0.0.0.0/0\nEndpoint = " + UPLINK_GATEWAY + ":51820\n");
            shellCommand("qvm:vpn import " + vpn + " " + config);
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
            wireGuard(a, wgA, keyA, dir, 51820, host.output(keyB + "\n", "wg", "pubkey"), "10.202.0.2/32", BenchHost.PAIR_B + ":51820",
                    "10.202.0.1/24");
            wireGuard(b, wgB, keyB, dir, 51820, host.output(keyA + "\n", "wg", "pubkey"), "10.202.0.1/32", BenchHost.PAIR_A + ":51820",
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

    /** A wireguard-go interface in a namespace with one peer, addressed and up. */
    private void wireGuard(String netns, String name, String privateKey, Path dir, int port, String peer, String peerAllowed,
            String peerEndpoint, String address) throws IOException, InterruptedException {
        Path root = Path.of("/");
        Path key = dir.resolve(name + ".key");
        Files.writeString(key, privateKey + "\n");
        host.exec(root, "sh", "-c", "ip netns exec " + netns + " wireguard-go " + name + " </dev/null >/dev/null 2>&1");
        List<String> set = new ArrayList<>(List.of("ip", "netns", "exec", netns, "wg", "set", name, "private-key", key.toString(),
                "listen-port", Integer.toString(port), "peer", peer, "allowed-ips", peerAllowed));
        if (peerEndpoint != null) {
            set.addAll(List.of("endpoint", peerEndpoint));
        }
        host.exec(root, set.toArray(String[]::new));
        host.exec(root, "ip", "-n", netns, "address", "add", address, "dev", name);
        host.exec(root, "ip", "-n", netns, "link", "set", name, "up");
    }

    /** Runs a shell command in a session of its own, on a thread of its own (the shell routes System.out per thread). */
    private void shellCommand(String line) throws Exception {
        Exception[] failure = new Exception[1];
        Thread t = new Thread(() -> {
            PrintStream sink = new PrintStream(OutputStream.nullOutputStream(), false, StandardCharsets.UTF_8);
            CommandSession session = shell.createSession(InputStream.nullInputStream(), sink, sink);
            try {
                session.execute(line);
            } catch (Exception e) {
                failure[0] = e;
            } finally {
                session.close();
            }
        }, "bench-shell");
        t.start();
        t.join();
        if (failure[0] != null) {
            throw failure[0];
        }
    }

    /** The same stream between two namespaces joined by a bare veth pair. */
    private long bareVethStream() throws IOException, InterruptedException {
        String a = "bhbench-a-" + ProcessHandle.current().pid();
        String b = "bhbench-b-" + ProcessHandle.current().pid();
        host.vethPair(a, b);
        HostCommands.Started sink = null;
        try {
            sink = host.startSink(b);
            return host.timedStream(a, BenchHost.PAIR_B, STREAM_MIB);
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

    /** A runc bundle of a busybox root in {@code dir/bundle} that runs {@code args} in the named network namespace. */
    private void writeBusyboxBundle(Path dir, String ns, List<String> args) throws IOException, InterruptedException {
        Path rootfs = Files.createDirectories(dir.resolve("bundle/rootfs/bin"));
        Files.copy(Path.of("/bin/busybox"), rootfs.resolve("busybox"), StandardCopyOption.COPY_ATTRIBUTES);
        host.exec(dir.resolve("bundle"), "runc", "spec");
        Path config = dir.resolve("bundle/config.json");
        ObjectMapper json = new ObjectMapper();
        ObjectNode spec = (ObjectNode) json.readTree(config.toFile());
        ObjectNode process = (ObjectNode) spec.get("process");
        process.put("terminal", false);
        args.forEach(process.putArray("args")::add);
        spec.get("linux").get("namespaces").forEach(n -> {
            if ("network".equals(n.get("type").asText())) {
                ((ObjectNode) n).put("path", "/run/netns/" + ns);
            }
        });
        json.writeValue(config.toFile(), spec);
    }

    /** The floor: {@code ip netns add} plus {@code runc run -d} of a busybox container joined to it. */
    private List<Long> bareRuncStarts(int rounds) throws IOException, InterruptedException {
        Path dir = Files.createTempDirectory("bulkhead-bench-floor");
        try {
            String ns = "bhbench-" + ProcessHandle.current().pid();
            writeBusyboxBundle(dir, ns, List.of("/bin/busybox", "sleep", "1000000"));
            String root = dir.resolve("state").toString();
            List<Long> times = new ArrayList<>();
            for (int i = 0; i < rounds; i++) {
                String id = "floor" + i;
                long t0 = System.nanoTime();
                host.exec(dir, "ip", "netns", "add", ns);
                host.exec(dir.resolve("bundle"), "runc", "--root", root, "run", "-d", id);
                times.add(System.nanoTime() - t0);
                host.exec(dir, "runc", "--root", root, "delete", "--force", id);
                host.exec(dir, "ip", "netns", "del", ns);
            }
            return times;
        } finally {
            try (Stream<Path> walk = Files.walk(dir)) {
                walk.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
            }
        }
    }

    private List<Long> qubeStarts(int rounds) {
        String name = PREFIX + "start";
        admin.create(new QubeSpec(name, QubeClass.AppVM, Label.GRAY, Map.of()));
        try {
            List<Long> times = new ArrayList<>();
            for (int i = 0; i < rounds; i++) {
                long t0 = System.nanoTime();
                admin.start(name);
                times.add(System.nanoTime() - t0);
                admin.kill(name);
            }
            return times;
        } finally {
            admin.remove(name);
        }
    }

    /** {@code qvm:ls} and the console's {@code GET /api/qubes} over the same {@code qubes} defined qubes. */
    private void listings(int qubes, int rounds, ObjectNode out) throws Exception {
        List<String> made = new ArrayList<>();
        try {
            for (int i = 0; i < qubes; i++) {
                String name = PREFIX + i;
                admin.create(new QubeSpec(name, QubeClass.AppVM, Label.values()[i % Label.values().length], Map.of()));
                made.add(name);
            }
            List<Long> listing = shellListings(rounds);
            ObjectNode ls = out.putObject("qvm_ls_ms");
            ls.put("qubes", qubes);
            ls.put("p50", ms(percentile(listing, 50)));
            ls.put("p99", ms(percentile(listing, 99)));
            ls.put("target_p50", 50);
            consoleListings(qubes, out.putObject("console_get_qubes_ms"));
        } finally {
            for (String name : made) {
                admin.remove(name);
            }
        }
    }

    private static final int HTTP_SAMPLES = 100;

    /**
     * {@code GET /api/qubes} with every qube and its properties, through the console on loopback, next
     * to a floor measured in the same run: a tiny static file from the same server with the same
     * headers, so that the ratio is what listing the qubes costs.
     */
    private void consoleListings(int qubes, ObjectNode out) throws IOException, InterruptedException {
        String endpoint = consoleEndpoint();
        if (endpoint == null) {
            out.put("error", "no HTTP service with a loopback endpoint: is the console feature installed and configured?");
            return;
        }
        try (ConsoleToken token = ConsoleToken.create(shell)) {
            consoleListings(qubes, out, endpoint, token.secret());
        }
    }

    private void consoleListings(int qubes, ObjectNode out, String endpoint, String token) throws IOException, InterruptedException {
        HttpClient client = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build();
        HttpRequest list = HttpRequest.newBuilder(URI.create(endpoint + "api/qubes")).header("Authorization", "Bearer " + token).build();
        HttpRequest floor = HttpRequest.newBuilder(URI.create(endpoint + "favicon.svg")).header("Authorization", "Bearer " + token).build();
        long bytes = 0;
        for (int i = 0; i < 10; i++) {
            bytes = fetch(client, list);
            fetch(client, floor);
        }
        List<Long> lists = new ArrayList<>();
        List<Long> floors = new ArrayList<>();
        // Interleaved, so that both see the same conditions.
        for (int i = 0; i < HTTP_SAMPLES; i++) {
            long t0 = System.nanoTime();
            fetch(client, list);
            long t1 = System.nanoTime();
            fetch(client, floor);
            long t2 = System.nanoTime();
            lists.add(t1 - t0);
            floors.add(t2 - t1);
        }
        out.put("qubes", qubes);
        out.put("response_bytes", bytes);
        out.put("p50", ms(percentile(lists, 50)));
        out.put("p99", ms(percentile(lists, 99)));
        out.put("floor_static_get_p50", ms(percentile(floors, 50)));
        out.put("ratio_p50", ratio(percentile(lists, 50), percentile(floors, 50)));
        out.put("samples", HTTP_SAMPLES);
        out.put("target_p50", 20);
    }

    private static long fetch(HttpClient client, HttpRequest request) throws IOException, InterruptedException {
        HttpResponse<byte[]> r = client.send(request, HttpResponse.BodyHandlers.ofByteArray());
        if (r.statusCode() != 200) {
            throw new AdminException("GET " + request.uri() + " answered " + r.statusCode() + ": " + new String(r.body(), StandardCharsets.UTF_8));
        }
        return r.body().length;
    }

    /** The console's base URL, from the HTTP runtime's advertised endpoints. */
    private String consoleEndpoint() {
        try {
            ServiceReference<?>[] runtimes = context.getServiceReferences("org.osgi.service.servlet.runtime.HttpServiceRuntime", null);
            for (ServiceReference<?> runtime : runtimes == null ? new ServiceReference<?>[0] : runtimes) {
                Object endpoints = runtime.getProperty("osgi.http.endpoint");
                for (String e : endpoints instanceof String[] a ? a : new String[] { String.valueOf(endpoints) }) {
                    if (e.startsWith("http://127.")) {
                        return e.endsWith("/") ? e : e + "/";
                    }
                }
            }
            return null;
        } catch (InvalidSyntaxException e) {
            throw new IllegalStateException(e);
        }
    }

    private List<Long> shellListings(int rounds) throws Exception {
        // A thread of its own: the shell routes System.out per thread, and this one's goes to the caller.
        List<Long> times = new ArrayList<>();
        Exception[] failure = new Exception[1];
        Thread lister = new Thread(() -> {
            PrintStream sink = new PrintStream(OutputStream.nullOutputStream(), false, StandardCharsets.UTF_8);
            CommandSession session = shell.createSession(InputStream.nullInputStream(), sink, sink);
            try {
                for (int i = 0; i < rounds; i++) {
                    long t0 = System.nanoTime();
                    session.execute("qvm:ls");
                    times.add(System.nanoTime() - t0);
                }
            } catch (Exception e) {
                failure[0] = e;
            } finally {
                session.close();
            }
        }, "bench-qvm-ls");
        lister.start();
        lister.join();
        if (failure[0] != null) {
            throw failure[0];
        }
        return times;
    }

    private static long rssKb() throws IOException {
        for (String line : Files.readAllLines(Path.of("/proc/self/status"))) {
            if (line.startsWith("VmRSS:")) {
                return Long.parseLong(line.replaceAll("[^0-9]", ""));
            }
        }
        return -1;
    }
}
