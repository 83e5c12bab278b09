package dev.bulkhead.bench.internal;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

import org.apache.felix.service.command.CommandProcessor;
import org.apache.felix.service.command.CommandSession;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;

import dev.bulkhead.api.AdminException;
import dev.bulkhead.api.host.HostCommand;
import dev.bulkhead.api.host.HostCommands;
import dev.bulkhead.api.host.NetworkNamespaces;
import dev.bulkhead.api.host.NetworkNamespaces.VethEnd;
import dev.bulkhead.api.json.JsonMappers;

/**
 * The host programs, shell sessions and runc bundles the bench's figures and floors are made of; host
 * programs run through the platform's {@link HostCommands}.
 */
final class BenchHost {
    private static final Duration LIMIT = Duration.ofSeconds(30);
    private static final Duration SINK_START = Duration.ofSeconds(10);
    /** exec: the shell becomes the server, so stopping the process stops the server. */
    private static final String SINK = "exec busybox nc -ll -p 5001 -e /bin/busybox sh -c 'cat >/dev/null'";
    static final String PAIR_A = "192.0.2.1";
    static final String PAIR_B = "192.0.2.2";

    private final HostCommands host;
    private final NetworkNamespaces namespaces;

    BenchHost(HostCommands host) {
        this.host = host;
        this.namespaces = new NetworkNamespaces(host, NetworkNamespaces.DIRECTORY, LIMIT);
    }

    /** A command's standard output, stripped; fails unless it exits with 0. */
    String output(String stdin, String... command) {
        HostCommand c = HostCommand.of(LIMIT, command);
        return host.runOrThrow(stdin == null ? c : c.withStdin(stdin.getBytes(StandardCharsets.UTF_8))).stdoutText().strip();
    }

    /**
     * Runs a command in a directory and fails unless it exits with 0. Its output goes to a file, not a pipe:
     * a detached container keeps runc's stdout open for its lifetime.
     */
    void exec(Path dir, String... command) throws IOException {
        Path output = Files.createTempFile("bulkhead-bench", ".out");
        try {
            HostCommand c = HostCommand.of(LIMIT, command).withDirectory(dir).withOutputTo(output);
            if (!host.run(c).succeeded()) {
                throw new AdminException(c.display() + " failed: " + Files.readString(output).trim());
            }
        } finally {
            Files.deleteIfExists(output);
        }
    }

    /** Runs a clean-up command whose failure (the thing is gone already) changes nothing. */
    void quietly(String... command) {
        host.run(HostCommand.of(LIMIT, command));
    }

    /** Starts a command inside a namespace that runs until stopped; its output is dropped past a small cap. */
    HostCommands.Started startIn(String netns, String... command) {
        List<String> argv = new ArrayList<>(List.of("ip", "netns", "exec", netns));
        argv.addAll(List.of(command));
        return host.start(HostCommand.of(LIMIT, argv).withOutputCap(64 * 1024));
    }

    /**
     * Starts a command whose stdout is read line by line while it runs; closing it kills it. Read as they
     * come, its lines never pile up past the stream's bound.
     */
    HostCommands.Streaming stream(String... command) {
        return host.stream(HostCommand.of(LIMIT, command));
    }

    /**
     * Two new namespaces joined by a bare veth pair, {@code veth0} at each end, {@value #PAIR_A} in the first and
     * {@value #PAIR_B} in the second, both up: made by the platform's own helper, as a netvm's links are, but
     * with nothing of a qube around them (no forwarding, no ruleset).
     */
    void vethPair(String a, String b) {
        namespaces.create(a);
        try {
            namespaces.create(b);
            namespaces.vethPair(new VethEnd(a, "veth0", List.of("address add " + PAIR_A + "/24 dev veth0")),
                    new VethEnd(b, "veth0", List.of("address add " + PAIR_B + "/24 dev veth0")));
        } catch (RuntimeException e) {
            try {
                deleteNamespaces(a, b);
            } catch (RuntimeException cleanup) {
                e.addSuppressed(cleanup);
            }
            throw e;
        }
    }

    /** The platform's namespace helper, for a floor's set-up (never for what a floor times). */
    NetworkNamespaces namespaces() {
        return namespaces;
    }

    /** Removes the namespaces with all in them; one that is gone already is left so. */
    void deleteNamespaces(String... names) {
        for (String name : names) {
            namespaces.delete(name);
        }
    }

    /** Starts a sink that swallows streams to port 5001 in the namespace, and waits until it listens. */
    HostCommands.Started startSink(String netns) throws InterruptedException {
        HostCommands.Started sink = startIn(netns, "sh", "-c", SINK);
        long deadline = System.nanoTime() + SINK_START.toNanos();
        while (output(null, "ip", "netns", "exec", netns, "ss", "-Hltn", "sport = :5001").isEmpty()) {
            if (System.nanoTime() > deadline) {
                sink.stop();
                throw new AdminException("the sink in " + netns + " did not listen on port 5001 within " + SINK_START.toSeconds() + " s");
            }
            Thread.sleep(20);
        }
        return sink;
    }

    /** How long a stream of this many MiB from the namespace to a sink at the address takes, after one to warm up. */
    long timedStream(String netns, String address, int mib) throws IOException {
        String stream = "dd if=/dev/zero bs=1048576 count=" + mib + " 2>/dev/null | busybox nc " + address + " 5001";
        exec(Path.of("/"), "ip", "netns", "exec", netns, "sh", "-c", stream);
        long t0 = System.nanoTime();
        exec(Path.of("/"), "ip", "netns", "exec", netns, "sh", "-c", stream);
        return System.nanoTime() - t0;
    }

    /** A runc bundle of a busybox root in {@code dir/bundle} that runs {@code args} in the named network namespace. */
    void writeBusyboxBundle(Path dir, String ns, List<String> args) throws IOException {
        Path rootfs = Files.createDirectories(dir.resolve("bundle/rootfs/bin"));
        Files.copy(Path.of("/bin/busybox"), rootfs.resolve("busybox"), StandardCopyOption.COPY_ATTRIBUTES);
        exec(dir.resolve("bundle"), "runc", "spec");
        Path config = dir.resolve("bundle/config.json");
        ObjectMapper json = JsonMappers.create();
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

    /** A wireguard-go interface in a namespace with one peer, addressed and up. */
    void wireGuard(String netns, String name, String privateKey, Path dir, int port, String peer, String peerAllowed,
            String peerEndpoint, String address) throws IOException {
        Path root = Path.of("/");
        Path key = dir.resolve(name + ".key");
        Files.writeString(key, privateKey + "\n");
        exec(root, "sh", "-c", "ip netns exec " + netns + " wireguard-go " + name + " </dev/null >/dev/null 2>&1");
        List<String> set = new ArrayList<>(List.of("ip", "netns", "exec", netns, "wg", "set", name, "private-key", key.toString(),
                "listen-port", Integer.toString(port), "peer", peer, "allowed-ips", peerAllowed));
        if (peerEndpoint != null) {
            set.addAll(List.of("endpoint", peerEndpoint));
        }
        exec(root, set.toArray(String[]::new));
        exec(root, "ip", "-n", netns, "address", "add", address, "dev", name);
        exec(root, "ip", "-n", netns, "link", "set", name, "up");
    }

    /** Runs a shell command in a session of its own, on a thread of its own (the shell routes System.out per thread). */
    static void shellCommand(CommandProcessor shell, String line) throws Exception {
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

    static long rssKb() throws IOException {
        for (String line : Files.readAllLines(Path.of("/proc/self/status"))) {
            if (line.startsWith("VmRSS:")) {
                return Long.parseLong(line.replaceAll("[^0-9]", ""));
            }
        }
        return -1;
    }
}
