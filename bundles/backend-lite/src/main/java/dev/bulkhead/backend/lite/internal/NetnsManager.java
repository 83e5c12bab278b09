package dev.bulkhead.backend.lite.internal;

import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.regex.Pattern;

import dev.bulkhead.api.InvalidValueException;
import dev.bulkhead.api.host.HostCommands;
import dev.bulkhead.api.host.NetworkNamespaces;
import dev.bulkhead.api.host.NetworkNamespaces.VethEnd;
import dev.bulkhead.api.hypervisor.LinkEndpoint;
import dev.bulkhead.api.hypervisor.LinkSpec;
import dev.bulkhead.api.hypervisor.UplinkSpec;

/**
 * A domain's network namespace and its links as Qubes lays them out: a veth pair from each client to its
 * netvm, addressed and routed the Qubes way, and uplinks from the host. The namespaces and pairs themselves
 * are made by the platform's {@link NetworkNamespaces}.
 */
final class NetnsManager {
    static final String CLIENT_INTERFACE = "eth0";
    private static final Pattern IPV4 = Pattern.compile(
            "((25[0-5]|2[0-4][0-9]|1[0-9][0-9]|[1-9]?[0-9])\\.){3}(25[0-5]|2[0-4][0-9]|1[0-9][0-9]|[1-9]?[0-9])");

    private final NetworkNamespaces namespaces;

    NetnsManager(HostCommands executor, Path directory, Duration timeout) {
        this.namespaces = new NetworkNamespaces(executor, directory, timeout);
    }

    /** Whether {@code ip} runs at all. */
    boolean isUsable() {
        return namespaces.isUsable();
    }

    boolean exists(String netns) {
        return namespaces.exists(netns);
    }

    /** The file that names the namespace, for joining it. */
    Path path(String netns) {
        return namespaces.path(netns);
    }

    /** Creates the namespace with its loopback up, or leaves nothing. */
    void create(String netns) {
        namespaces.create(netns);
    }

    /** Removes the namespace and every interface in it; does nothing when it does not exist. */
    void delete(String netns) {
        namespaces.delete(netns);
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
        if (namespaces.hasDevice(netvmNetns, vif)) {
            // made by an earlier run of the platform: the link is re-adopted as it is
            return new LinkEndpoint(link, vif, CLIENT_INTERFACE);
        }
        namespaces.vethPair(
                new VethEnd(netvmNetns, vif, List.of(
                        "address add " + gateway + "/32 dev " + vif,
                        "route add " + client + "/32 dev " + vif + " scope link")),
                new VethEnd(clientNetns, CLIENT_INTERFACE, List.of(
                        "address add " + client + "/32 dev " + CLIENT_INTERFACE,
                        "route add " + gateway + "/32 dev " + CLIENT_INTERFACE + " scope link",
                        "route add default via " + gateway + " dev " + CLIENT_INTERFACE)));
        return new LinkEndpoint(link, vif, CLIENT_INTERFACE);
    }

    /**
     * Gives the domain's namespace a host interface: a new veth pair whose other end goes to a host
     * namespace, an existing interface moved in, or a macvlan on one. Inside it is named
     * {@code uplink.domainInterface()} and left down: addresses are the role's business.
     */
    void attachUplink(UplinkSpec uplink, String domainNetns) {
        String inside = NetworkNamespaces.deviceName("domainInterface", uplink.domainInterface());
        String host = NetworkNamespaces.deviceName("hostInterface", uplink.hostInterface());
        String temporary = temporaryUplinkName(domainNetns);
        switch (uplink.mode()) {
            case VETH -> {
                String peerNetns = uplink.hostNamespace();
                if (peerNetns != null && !exists(peerNetns)) {
                    throw new InvalidValueException("uplink host namespace", peerNetns, "an existing network namespace (ip netns list)");
                }
                namespaces.ip("-n", domainNetns, "link", "add", inside, "type", "veth", "peer", "name", host,
                        "netns", peerNetns == null ? "1" : peerNetns);
            }
            case MOVE -> {
                namespaces.ip("link", "set", host, "down");
                namespaces.ip("link", "set", host, "netns", domainNetns);
                namespaces.ip("-n", domainNetns, "link", "set", host, "name", inside);
            }
            case MACVLAN -> {
                namespaces.ip("link", "add", "link", host, "name", temporary, "type", "macvlan", "mode", "bridge");
                namespaces.ip("link", "set", temporary, "netns", domainNetns);
                namespaces.ip("-n", domainNetns, "link", "set", temporary, "name", inside);
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
        String inside = NetworkNamespaces.deviceName("domainInterface", uplink.domainInterface());
        if (!exists(domainNetns) || !namespaces.hasDevice(domainNetns, inside)) {
            return;
        }
        if (uplink.mode() == UplinkSpec.Mode.MOVE) {
            String host = NetworkNamespaces.deviceName("hostInterface", uplink.hostInterface());
            namespaces.batch(domainNetns, List.of(
                    "link set " + inside + " down",
                    "link set " + inside + " name " + host,
                    "link set " + host + " netns 1"));
        } else {
            namespaces.ip("-n", domainNetns, "link", "delete", inside);
        }
    }

    /**
     * Takes every interface of the namespace down but its loopback: what a dead netvm's namespace
     * would still forward, to its clients or from them, stops at once. Two {@code ip} calls.
     */
    void linksDown(String netns) {
        namespaces.batch(netns, namespaces.devices(netns).stream().filter(name -> !name.equals("lo"))
                .map(name -> "link set dev " + name + " down").toList());
    }

    /** Removes the link by its netvm end, which takes the client end with it. */
    void disconnect(LinkSpec link, String netvmNetns) {
        if (exists(netvmNetns)) {
            namespaces.deleteDevice(netvmNetns, vifName(link));
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
}
