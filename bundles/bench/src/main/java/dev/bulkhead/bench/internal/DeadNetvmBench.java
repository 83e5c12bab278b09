package dev.bulkhead.bench.internal;

import java.io.IOException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import com.fasterxml.jackson.databind.node.ObjectNode;

import dev.bulkhead.api.AdminException;
import dev.bulkhead.api.Label;
import dev.bulkhead.api.PowerState;
import dev.bulkhead.api.QubeAdmin;
import dev.bulkhead.api.QubeClass;
import dev.bulkhead.api.QubeSpec;
import dev.bulkhead.api.host.HostCommands;
import dev.bulkhead.api.host.NetworkNamespaces;
import dev.bulkhead.api.host.NetworkNamespaces.VethEnd;

/**
 * How long a netvm whose init is killed from the host keeps its client's link up: from the
 * {@code kill -9} to the client's {@code eth0} reported down (its peer gone down or deleted) by
 * {@code ip monitor link} in the client's namespace. The floor ({@code floor_bare_ip_link_del_p50}) is
 * the same watch on a bare veth pair while one {@code ip link del} removes it: the pair is made by the
 * platform's namespace helper, and what is timed is the bare command alone.
 */
final class DeadNetvmBench {
    private static final String NETVM = "bench-deadnet";
    private static final String CLIENT = "bench-deadclient";
    private static final Duration LIMIT = Duration.ofSeconds(30);
    private static final Pattern PID = Pattern.compile("\"pid\":\\s*([0-9]+)");

    private final QubeAdmin admin;
    private final Path runcRoot;
    private final BenchHost host;

    DeadNetvmBench(QubeAdmin admin, Path dataDirectory, BenchHost host) {
        this.admin = admin;
        this.host = host;
        this.runcRoot = dataDirectory.resolve("lite").resolve("runc");
    }

    void measure(ObjectNode out, int rounds) throws Exception {
        admin.create(new QubeSpec(NETVM, QubeClass.AppVM, Label.RED, Map.of("provides_network", "True")));
        admin.create(new QubeSpec(CLIENT, QubeClass.AppVM, Label.BLUE, Map.of("netvm", NETVM)));
        List<Long> deaths = new ArrayList<>();
        try {
            for (int i = 0; i < rounds; i++) {
                admin.start(CLIENT);
                String clientNetns = output("ip", "netns", "identify", Long.toString(initPid(CLIENT))).strip();
                long netvmInit = initPid(NETVM);
                deaths.add(timeToLinkDown(clientNetns, "eth0",
                        () -> ProcessHandle.of(netvmInit).ifPresent(ProcessHandle::destroyForcibly)));
                awaitHalted(NETVM);
                admin.kill(CLIENT);
            }
        } finally {
            for (String q : List.of(CLIENT, NETVM)) {
                if (admin.get(q).state().isActive()) {
                    admin.kill(q);
                }
                admin.remove(q);
            }
        }
        List<Long> floor = bareLinkDeletes(rounds);
        BenchFigures.putAgainstFloor(out, deaths, 100, floor, "bare_ip_link_del");
        out.put("rounds", rounds);
    }

    /**
     * The floor: a veth pair between two namespaces of its own, removed by one bare {@code ip link del}, the
     * only command timed.
     */
    private List<Long> bareLinkDeletes(int rounds) throws IOException, InterruptedException {
        String a = "bhbench-la-" + ProcessHandle.current().pid();
        String b = "bhbench-lb-" + ProcessHandle.current().pid();
        NetworkNamespaces namespaces = host.namespaces();
        List<Long> times = new ArrayList<>();
        try {
            namespaces.create(a);
            namespaces.create(b);
            for (int i = 0; i < rounds; i++) {
                namespaces.vethPair(new VethEnd(a, "bhx"), new VethEnd(b, "eth0"));
                times.add(timeToLinkDown(b, "eth0", () -> run("ip", "-n", a, "link", "del", "bhx")));
            }
            return times;
        } finally {
            host.deleteNamespaces(a, b);
        }
    }

    /** Watches the interface in the namespace, does the deed, and times it to the interface reported down or gone. */
    private long timeToLinkDown(String netns, String device, Deed deed) throws IOException, InterruptedException {
        try (HostCommands.Streaming monitor = host.stream("ip", "-n", netns, "-o", "monitor", "link")) {
            // an interface made and seen tells that the monitor listens; one made before it did goes unseen
            long deadline = System.nanoTime() + LIMIT.toNanos();
            boolean listening = false;
            while (!listening) {
                if (System.nanoTime() > deadline) {
                    throw new AdminException("not within " + LIMIT.toSeconds() + " s: the monitor to listen in " + netns);
                }
                run("ip", "-n", netns, "link", "add", "bhready", "type", "veth", "peer", "name", "bhready1");
                run("ip", "-n", netns, "link", "del", "bhready");
                listening = monitor.awaitLine(l -> l.contains("bhready"), Duration.ofMillis(100)).isPresent();
            }
            long t0 = System.nanoTime();
            deed.run();
            if (monitor.awaitLine(l -> l.contains(" " + device + "@") && (l.startsWith("Deleted") || l.contains("NO-CARRIER")
                    || l.contains("state DOWN") || l.contains("LOWERLAYERDOWN")), LIMIT).isEmpty()) {
                throw new AdminException("not within " + LIMIT.toSeconds() + " s: " + device + " in " + netns + " to go down");
            }
            return System.nanoTime() - t0;
        }
    }

    private interface Deed {
        void run() throws IOException, InterruptedException;
    }

    private long initPid(String qube) throws IOException, InterruptedException {
        String state = output("runc", "--root", runcRoot.toString(), "state", qube);
        Matcher m = PID.matcher(state);
        if (!m.find()) {
            throw new AdminException("runc state of " + qube + " has no pid: " + state);
        }
        return Long.parseLong(m.group(1));
    }

    private void awaitHalted(String qube) throws InterruptedException {
        long deadline = System.nanoTime() + LIMIT.toNanos();
        while (admin.get(qube).state() != PowerState.Halted) {
            if (System.nanoTime() > deadline) {
                throw new AdminException(qube + " is still " + admin.get(qube).state() + " " + LIMIT.toSeconds() + " s after its init died");
            }
            Thread.sleep(10);
        }
    }

    private void run(String... command) {
        host.output(null, command);
    }

    private String output(String... command) {
        return host.output(null, command);
    }
}
