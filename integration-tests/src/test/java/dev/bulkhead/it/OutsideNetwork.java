package dev.bulkhead.it;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The "internet" for network tests: a network namespace of its own with public-range documentation
 * addresses, an HTTP server, a DNS server and a packet counter on the link from sys-net. It has no
 * route anywhere else, so nothing can leave the machine.
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

    final String netns = "bh-it-outside-" + ProcessHandle.current().pid();
    private final List<Process> servers = new ArrayList<>();
    private final Path webRoot;

    OutsideNetwork() throws IOException {
        webRoot = Files.createTempDirectory("bulkhead-outside-web");
        Files.writeString(webRoot.resolve("index.html"), PAGE);
        BulkheadTestSupport.host("ip", "netns", "add", netns);
        batch("link set lo up",
                "address add " + WEB + "/32 dev lo",
                "address add " + OTHER_WEB + "/32 dev lo",
                "address add " + DNS + "/32 dev lo");
        nft("table inet count {\n"
                + " counter from_uplink { }\n"
                + " chain prerouting {\n  type filter hook prerouting priority -300; policy accept;\n"
                + "  iifname \"" + UPLINK + "\" counter name from_uplink\n }\n}\n");
        servers.add(start("busybox", "httpd", "-f", "-p", WEB + ":80", "-h", webRoot.toString()));
        servers.add(start("busybox", "httpd", "-f", "-p", OTHER_WEB + ":80", "-h", webRoot.toString()));
        servers.add(start("dnsmasq", "--keep-in-foreground", "--no-resolv", "--no-hosts", "--bind-interfaces",
                "--listen-address=" + DNS, "--pid-file=", "--user=root", "--local=/test/",
                "--address=/" + WEB_NAME + "/" + WEB, "--address=/" + OTHER_NAME + "/" + OTHER_WEB));
    }

    void startStreamServer() {
        try {
            servers.add(start("busybox", "nc", "-ll", "-p", Integer.toString(STREAM_PORT), "-e", "/bin/busybox", "sh", "-c",
                    "while true; do echo tick; busybox usleep 100000; done"));
        } catch (IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
    }

    /** Once sys-net has its uplink, the outside end gets its address. */
    void uplinkUp() {
        batch("address add " + GATEWAY + "/24 dev " + UPLINK, "link set " + UPLINK + " up");
    }

    /** Packets that reached the outside from sys-net so far. */
    long packetsFromUplink() {
        String listed = BulkheadTestSupport.host("ip", "netns", "exec", netns, "nft", "list", "counter", "inet", "count", "from_uplink");
        Matcher m = Pattern.compile("packets ([0-9]+)").matcher(listed);
        if (!m.find()) {
            throw new AssertionError("no packet count in: " + listed);
        }
        return Long.parseLong(m.group(1));
    }

    private void batch(String... lines) {
        HostCommand.Result r = HostCommand.runWithInput(String.join("\n", lines) + "\n", "ip", "-n", netns, "-batch", "-");
        if (r.exitStatus() != 0) {
            throw new AssertionError("ip -batch in " + netns + ": " + r.stderr());
        }
    }

    private void nft(String ruleset) {
        HostCommand.Result r = HostCommand.runWithInput(ruleset, "ip", "netns", "exec", netns, "nft", "-f", "-");
        if (r.exitStatus() != 0) {
            throw new AssertionError("nft in " + netns + ": " + r.stderr());
        }
    }

    private Process start(String... command) throws IOException {
        List<String> argv = new ArrayList<>(List.of("ip", "netns", "exec", netns));
        argv.addAll(List.of(command));
        return new ProcessBuilder(argv).redirectErrorStream(true).redirectOutput(ProcessBuilder.Redirect.DISCARD).start();
    }

    @Override
    public void close() throws IOException {
        for (Process p : servers) {
            p.destroyForcibly();
        }
        HostCommand.run("ip", "netns", "delete", netns);
        try (var files = Files.walk(webRoot)) {
            files.sorted(java.util.Comparator.reverseOrder()).forEach(f -> f.toFile().delete());
        }
    }
}
