package dev.bulkhead.backend.lite.internal;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Pattern;

import dev.bulkhead.api.AdminException;
import dev.bulkhead.api.InvalidValueException;
import dev.bulkhead.api.host.HostCommand;
import dev.bulkhead.api.host.HostCommandResult;
import dev.bulkhead.api.host.HostCommands;
import dev.bulkhead.api.hypervisor.LinkEndpoint;
import dev.bulkhead.api.hypervisor.LinkSpec;
import dev.bulkhead.api.hypervisor.UplinkSpec;

/**
 * Named network namespaces ({@code ip netns}) and the veth links between them. Every {@code ip} call is a
 * process start, which dominates the cost, so each step is one call with a batch where it can be.
 */
final class NetnsManager {
    static final String CLIENT_INTERFACE = "eth0";
    private static final Pattern IPV4 = Pattern.compile(
            "((25[0-5]|2[0-4][0-9]|1[0-9][0-9]|[1-9]?[0-9])\\.){3}(25[0-5]|2[0-4][0-9]|1[0-9][0-9]|[1-9]?[0-9])");

    private final HostCommands executor;
    private final Path directory;
    private final Duration timeout;

    NetnsManager(HostCommands executor, Path directory, Duration timeout) {
        this.executor = executor;
        this.directory = directory;
        this.timeout = timeout;
    }

    /** Whether {@code ip} runs at all. */
    boolean isUsable() {
        return executor.run(ip("-V")).succeeded();
    }

    boolean exists(String netns) {
        return Files.exists(path(netns));
    }

    /** The file that names the namespace, for joining it. */
    Path path(String netns) {
        return directory.resolve(netns);
    }

    /** Creates the namespace with its loopback up, or leaves nothing. */
    void create(String netns) {
        executor.runOrThrow(ip("netns", "add", netns));
        try {
            executor.runOrThrow(ip("-n", netns, "link", "set", "lo", "up"));
        } catch (AdminException e) {
            deleteAfterFailure(netns, e);
            throw e;
        }
    }

    /** Removes the namespace and every interface in it; does nothing when it does not exist. */
    void delete(String netns) {
        if (exists(netns)) {
            executor.runOrThrow(ip("netns", "delete", netns));
        }
    }

    /**
     * Links the client to its netvm with a veth pair. Each end is created directly inside its namespace, so
     * neither name is ever taken in the host's namespace. Inside the client: {@code eth0} with the client's
     * address and a default route via the gateway; inside the netvm: {@code vif<qid>.0} with the gateway
     * address and a route to the client.
     */
    LinkEndpoint connect(LinkSpec link, String clientNetns, String netvmNetns) {
        String client = ipv4("clientAddress", link.clientAddress());
        String gateway = ipv4("gatewayAddress", link.gatewayAddress());
        String vif = vifName(link);
        if (executor.run(ip("-n", netvmNetns, "link", "show", vif)).succeeded()) {
            // made by an earlier run of the platform: the link is re-adopted as it is
            return new LinkEndpoint(link, vif, CLIENT_INTERFACE);
        }
        executor.runOrThrow(ip("-n", netvmNetns, "-batch", "-").withStdin(batch(
                "link add " + vif + " type veth peer name " + CLIENT_INTERFACE + " netns " + clientNetns,
                "link set " + vif + " up",
                "address add " + gateway + "/32 dev " + vif,
                "route add " + client + "/32 dev " + vif + " scope link")));
        try {
            executor.runOrThrow(ip("-n", clientNetns, "-batch", "-").withStdin(batch(
                    "link set " + CLIENT_INTERFACE + " up",
                    "address add " + client + "/32 dev " + CLIENT_INTERFACE,
                    "route add " + gateway + "/32 dev " + CLIENT_INTERFACE + " scope link",
                    "route add default via " + gateway + " dev " + CLIENT_INTERFACE)));
        } catch (AdminException e) {
            try {
                removeLink(vif, netvmNetns);
            } catch (AdminException cleanup) {
                e.addSuppressed(cleanup);
            }
            throw e;
        }
        return new LinkEndpoint(link, vif, CLIENT_INTERFACE);
    }

    /**
     * Gives the domain's namespace a host interface: a new veth pair whose other end goes to a host
     * namespace, an existing interface moved in, or a macvlan on one. Inside it is named
     * {@code uplink.domainInterface()} and left down: addresses are the role's business.
     */
    void attachUplink(UplinkSpec uplink, String domainNetns) {
        String inside = interfaceName("domainInterface", uplink.domainInterface());
        String host = interfaceName("hostInterface", uplink.hostInterface());
        String temporary = temporaryUplinkName(domainNetns);
        switch (uplink.mode()) {
            case VETH -> {
                String peerNetns = uplink.hostNamespace();
                if (peerNetns != null && !exists(peerNetns)) {
                    throw new InvalidValueException("uplink host namespace", peerNetns, "an existing network namespace (ip netns list)");
                }
                executor.runOrThrow(ip("-n", domainNetns, "link", "add", inside, "type", "veth", "peer", "name", host,
                        "netns", peerNetns == null ? "1" : peerNetns));
            }
            case MOVE -> {
                executor.runOrThrow(ip("link", "set", host, "down"));
                executor.runOrThrow(ip("link", "set", host, "netns", domainNetns));
                executor.runOrThrow(ip("-n", domainNetns, "link", "set", host, "name", inside));
            }
            case MACVLAN -> {
                executor.runOrThrow(ip("link", "add", "link", host, "name", temporary, "type", "macvlan", "mode", "bridge"));
                executor.runOrThrow(ip("link", "set", temporary, "netns", domainNetns));
                executor.runOrThrow(ip("-n", domainNetns, "link", "set", temporary, "name", inside));
            }
        }
    }

    /**
     * The name a macvlan uplink has in the host's namespace between its creation and its move into the
     * domain's namespace: what a crash in between leaves there.
     */
    static String temporaryUplinkName(String domainNetns) {
        return "bhup" + Integer.toHexString(domainNetns.hashCode() & 0xfffffff);
    }

    /** Takes the uplink out again; a moved interface goes back to the host's namespace under its own name. */
    void detachUplink(UplinkSpec uplink, String domainNetns) {
        String inside = interfaceName("domainInterface", uplink.domainInterface());
        if (!exists(domainNetns) || !executor.run(ip("-n", domainNetns, "link", "show", inside)).succeeded()) {
            return;
        }
        if (uplink.mode() == UplinkSpec.Mode.MOVE) {
            executor.runOrThrow(ip("-n", domainNetns, "-batch", "-").withStdin(batch(
                    "link set " + inside + " down",
                    "link set " + inside + " name " + uplink.hostInterface(),
                    "link set " + uplink.hostInterface() + " netns 1")));
        } else {
            executor.runOrThrow(ip("-n", domainNetns, "link", "delete", inside));
        }
    }

    private static String interfaceName(String field, String name) {
        if (name == null || !name.matches("[a-zA-Z0-9_.-]{1,15}")) {
            throw new InvalidValueException(field, String.valueOf(name), "an interface name of 1 to 15 letters, digits, '_', '.' or '-'");
        }
        return name;
    }

    /**
     * Takes every interface of the namespace down but its loopback: what a dead netvm's namespace
     * would still forward, to its clients or from them, stops at once. Two {@code ip} calls.
     */
    void linksDown(String netns) {
        List<String> lines = new ArrayList<>();
        for (String line : executor.runOrThrow(ip("-n", netns, "-o", "link", "show")).stdoutText().split("\n")) {
            // "3: vif5.0@if2: <BROADCAST,...> ..."
            String[] fields = line.split(": ", 3);
            if (fields.length >= 2) {
                String name = fields[1].split("@", 2)[0];
                if (!name.equals("lo")) {
                    lines.add("link set dev " + name + " down");
                }
            }
        }
        if (!lines.isEmpty()) {
            executor.runOrThrow(ip("-n", netns, "-batch", "-").withStdin(batch(lines.toArray(String[]::new))));
        }
    }

    /** Removes the link by its netvm end, which takes the client end with it. */
    void disconnect(LinkSpec link, String netvmNetns) {
        if (exists(netvmNetns)) {
            removeLink(vifName(link), netvmNetns);
        }
    }

    private void removeLink(String vif, String netvmNetns) {
        HostCommand command = ip("-n", netvmNetns, "link", "delete", vif);
        HostCommandResult result = executor.run(command);
        if (!result.succeeded() && !result.stderrLine().startsWith("Cannot find device")) {
            throw command.failure(result);
        }
    }

    /** The netvm-side interface name, as Qubes names it; at most 15 characters for any qid. */
    static String vifName(LinkSpec link) {
        if (link.clientQid() < 0) {
            throw new InvalidValueException("clientQid", Integer.toString(link.clientQid()), "a qid of 0 or more");
        }
        return "vif" + link.clientQid() + ".0";
    }

    private static String ipv4(String field, String value) {
        if (value == null || !IPV4.matcher(value).matches()) {
            throw new InvalidValueException(field, String.valueOf(value), "an IPv4 address in dotted form, e.g. 10.137.0.5");
        }
        return value;
    }

    private void deleteAfterFailure(String netns, AdminException failure) {
        try {
            delete(netns);
        } catch (AdminException cleanup) {
            failure.addSuppressed(cleanup);
        }
    }

    private static byte[] batch(String... lines) {
        return (String.join("\n", lines) + "\n").getBytes(StandardCharsets.UTF_8);
    }

    private HostCommand ip(String... args) {
        List<String> argv = new ArrayList<>(List.of("ip"));
        argv.addAll(List.of(args));
        return HostCommand.of(timeout, argv);
    }
}
