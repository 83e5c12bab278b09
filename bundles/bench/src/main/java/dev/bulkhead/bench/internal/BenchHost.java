package dev.bulkhead.bench.internal;

import java.io.File;
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
import java.util.concurrent.TimeUnit;

import org.apache.felix.service.command.CommandProcessor;
import org.apache.felix.service.command.CommandSession;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;

import dev.bulkhead.api.AdminException;
import dev.bulkhead.api.json.JsonMappers;

/** The host programs, shell sessions and runc bundles the bench's figures and floors are made of. */
final class BenchHost {
    private BenchHost() {
    }

    /** Output goes to a file, not a pipe: a detached container keeps runc's stdout open for its lifetime. */
    static void exec(Path dir, String... command) throws IOException, InterruptedException {
        Path output = Files.createTempFile("bulkhead-bench", ".out");
        try {
            Process p = new ProcessBuilder(command).directory(dir.toFile()).redirectErrorStream(true)
                    .redirectOutput(output.toFile()).redirectInput(ProcessBuilder.Redirect.from(new File("/dev/null"))).start();
            if (!p.waitFor(Duration.ofSeconds(30).toSeconds(), TimeUnit.SECONDS) || p.exitValue() != 0) {
                p.destroyForcibly();
                throw new AdminException(String.join(" ", command) + " failed: " + Files.readString(output).trim());
            }
        } finally {
            Files.deleteIfExists(output);
        }
    }

    /** A command's standard output, stripped; fails unless it exits with 0. */
    static String output(String stdin, String... command) throws IOException, InterruptedException {
        Process p = new ProcessBuilder(command).redirectError(ProcessBuilder.Redirect.DISCARD).start();
        try (OutputStream in = p.getOutputStream()) {
            if (stdin != null) {
                in.write(stdin.getBytes(StandardCharsets.UTF_8));
            }
        }
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8).strip();
        if (!p.waitFor(30, TimeUnit.SECONDS) || p.exitValue() != 0) {
            p.destroyForcibly();
            throw new AdminException(String.join(" ", command) + " failed");
        }
        return out;
    }

    /** Waits until the sink in the namespace listens: a stream sent before would be refused. */
    static void awaitSink(String netns) throws IOException, InterruptedException {
        long deadline = System.nanoTime() + Duration.ofSeconds(10).toNanos();
        while (output(null, "ip", "netns", "exec", netns, "ss", "-Hltn", "sport = :5001").isEmpty()) {
            if (System.nanoTime() > deadline) {
                throw new AdminException("the sink in " + netns + " did not listen on port 5001 within 10 s");
            }
            Thread.sleep(20);
        }
    }

    /** A runc bundle of a busybox root in {@code dir/bundle} that runs {@code args} in the named network namespace. */
    static void writeBusyboxBundle(Path dir, String ns, List<String> args) throws IOException, InterruptedException {
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
    static void wireGuard(String netns, String name, String privateKey, Path dir, int port, String peer, String peerAllowed,
            String peerEndpoint, String address) throws IOException, InterruptedException {
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
