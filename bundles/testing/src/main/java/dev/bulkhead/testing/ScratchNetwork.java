package dev.bulkhead.testing;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;

import dev.bulkhead.api.host.HostCommand;
import dev.bulkhead.api.host.HostCommandResult;
import dev.bulkhead.api.host.HostCommands;
import dev.bulkhead.api.host.NetworkNamespaces;
import dev.bulkhead.api.host.NetworkNamespaces.VethEnd;
import dev.bulkhead.api.host.ProcessHostCommands;

/**
 * Network namespaces made for one test and removed with everything in them when it closes. They
 * are linked only to each other: no packet from them reaches the machine's own network. They and
 * their links are made with the platform's own {@link NetworkNamespaces}.
 */
public final class ScratchNetwork implements AutoCloseable {
    private static final Path ETC_NETNS = Path.of("/etc/netns");
    private static final Pattern PACKETS = Pattern.compile("packets ([0-9]+)");
    private static final Duration COMMAND_TIMEOUT = Duration.ofSeconds(60);
    private static final HostCommands HOST = new ProcessHostCommands();
    private final NetworkNamespaces helper = new NetworkNamespaces(HOST, NetworkNamespaces.DIRECTORY, COMMAND_TIMEOUT);
    private final String prefix;
    private final List<String> namespaces = new ArrayList<>();
    private final List<HostCommands.Streaming> processes = new ArrayList<>();
    private final List<Path> directories = new ArrayList<>();
    /** Whether this network made /etc/netns, to take it away again when nothing else is in it. */
    private boolean madeEtcNetns;

    /** What a command left: its exit status and its output. */
    public record Result(int exitStatus, String stdout, String stderr) {
        public String output() {
            return stdout + stderr;
        }
    }

    /** @param tag a few letters naming the test, so a leftover namespace says where it came from */
    public ScratchNetwork(String tag) {
        prefix = "bh-" + tag + "-" + ProcessHandle.current().pid() + "-";
    }

    /**
     * A new namespace with its loopback up; returns its full name. One it cannot finish it removes
     * again: made in a test's field initializer, it would have no close to take it away.
     */
    public String namespace(String name) {
        String netns = prefix + name;
        helper.create(netns);
        namespaces.add(netns);
        return netns;
    }

    /**
     * Links a client qube to its netvm as Qubes does: eth0 in the client, {@code vif} in the netvm,
     * each end with its own /32 address and a route to the other, the client's default route through
     * the netvm.
     */
    public void qubesLink(String client, String clientAddress, String netvm, String vif, String netvmAddress) {
        helper.vethPair(new VethEnd(netvm, vif, List.of("address add " + netvmAddress + "/32 dev " + vif,
                "route add " + clientAddress + "/32 dev " + vif + " scope link")),
                new VethEnd(client, "eth0", List.of("address add " + clientAddress + "/32 dev eth0",
                        "route add " + netvmAddress + "/32 dev eth0 scope link", "route add default via " + netvmAddress + " dev eth0")));
    }

    /** A veth pair with one end in each namespace, both up. */
    public void link(String netnsA, String nameA, String netnsB, String nameB) {
        helper.vethPair(new VethEnd(netnsA, nameA), new VethEnd(netnsB, nameB));
    }

    /** Runs {@code ip -batch} inside a namespace. */
    public void ip(String netns, String... lines) {
        check(run(String.join("\n", lines) + "\n", "ip", "-n", netns, "-batch", "-"));
    }

    /** Gives a namespace its own resolv.conf ({@code ip netns exec} mounts it over /etc/resolv.conf). */
    public void resolver(String netns, String address) {
        try {
            madeEtcNetns |= !Files.exists(ETC_NETNS);
            Path dir = Files.createDirectories(etcNetns(netns));
            Files.writeString(dir.resolve("resolv.conf"), "nameserver " + address + "\n");
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** Runs a command inside a namespace and waits for it. */
    public Result exec(String netns, String stdin, String... command) {
        List<String> argv = new ArrayList<>(List.of("ip", "netns", "exec", netns));
        argv.addAll(List.of(command));
        return run(stdin, argv.toArray(String[]::new));
    }

    /** Runs nft inside a namespace; returns what it printed, fails on a refusal. */
    public String nft(String netns, String... arguments) {
        List<String> command = new ArrayList<>(List.of("nft"));
        command.addAll(List.of(arguments));
        return check(exec(netns, null, command.toArray(String[]::new))).stdout();
    }

    /** The packets a named counter of the nftables table {@code inet table} has counted. */
    public long packets(String netns, String table, String counter) {
        String listed = nft(netns, "list", "counter", "inet", table, counter);
        Matcher m = PACKETS.matcher(listed);
        if (!m.find()) {
            throw new AssertionError("no packet count in: " + listed);
        }
        return Long.parseLong(m.group(1));
    }

    /** Checks an nftables ruleset ({@code nft -c}), then loads it into the namespace; fails on either refusal. */
    public void loadRuleset(String netns, String ruleset) {
        check(run(ruleset, "nft", "-c", "-f", "-"));
        check(exec(netns, ruleset, "nft", "-f", "-"));
    }

    /** A new directory for the test's files (those of its servers, say), removed with all in it when the network closes. */
    public Path directory(String name) {
        try {
            Path dir = Files.createTempDirectory(prefix + name);
            directories.add(dir);
            return dir;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /**
     * Starts a command inside a namespace that runs until it is stopped or the network closes. A test reads
     * its stdout line by line and writes to its stdin, which stays open until the test closes it.
     */
    public HostCommands.Streaming start(String netns, String... command) {
        List<String> argv = new ArrayList<>(List.of("ip", "netns", "exec", netns));
        argv.addAll(List.of(command));
        HostCommands.Streaming p = HOST.stream(HostCommand.of(COMMAND_TIMEOUT, argv).withStdinHeldOpen());
        processes.add(p);
        return p;
    }

    /** Runs a host command and waits for it; a command still running after a minute fails the test. */
    public static Result run(String stdin, String... command) {
        HostCommand c = HostCommand.of(COMMAND_TIMEOUT, command);
        HostCommandResult r = HOST.run(stdin == null ? c : c.withStdin(stdin.getBytes(StandardCharsets.UTF_8)));
        if (r.timedOut()) {
            throw new AssertionError("did not finish in " + COMMAND_TIMEOUT.toSeconds() + " s: " + c.display());
        }
        return new Result(r.exitStatus(), r.stdoutText(), r.stderrText());
    }

    public static Result check(Result r) {
        if (r.exitStatus() != 0) {
            throw new AssertionError("exit " + r.exitStatus() + ": " + r.output());
        }
        return r;
    }

    private static void delete(Path dir) {
        if (Files.exists(dir)) {
            try (Stream<Path> files = Files.walk(dir)) {
                files.sorted(Comparator.reverseOrder()).forEach(f -> f.toFile().delete());
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
        }
    }

    private static Path etcNetns(String netns) {
        return ETC_NETNS.resolve(netns);
    }

    @Override
    public void close() {
        processes.forEach(HostCommands.Streaming::close);
        for (String netns : namespaces) {
            run(null, "ip", "netns", "delete", netns);
            delete(etcNetns(netns));
        }
        directories.forEach(ScratchNetwork::delete);
        if (madeEtcNetns) {
            try {
                Files.deleteIfExists(ETC_NETNS);
            } catch (IOException e) {
                // another namespace has its files there now: it stays
            }
        }
    }
}
