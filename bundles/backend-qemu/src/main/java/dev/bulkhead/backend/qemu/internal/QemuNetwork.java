package dev.bulkhead.backend.qemu.internal;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.function.Function;
import java.util.concurrent.locks.LockSupport;
import java.util.function.Predicate;
import java.util.regex.Pattern;
import java.util.stream.Stream;

import dev.bulkhead.api.AdminException;
import dev.bulkhead.api.ExecResult;
import dev.bulkhead.api.InvalidValueException;
import dev.bulkhead.api.host.HostCommand;
import dev.bulkhead.api.host.HostCommands;
import dev.bulkhead.api.host.NetworkNamespaces;
import dev.bulkhead.api.host.NetworkNamespaces.VethEnd;
import dev.bulkhead.api.hypervisor.Leftover;
import dev.bulkhead.api.hypervisor.LinkEndpoint;
import dev.bulkhead.api.hypervisor.LinkSpec;
import dev.bulkhead.api.hypervisor.UplinkSpec;

/**
 * The network of this backend's domains, kept in the host's kernel. Each domain's QEMU runs in a network
 * namespace of its own ({@link DomainLayout#netnsName}) and has one network card there, the tap {@value #TAP}, which
 * QEMU opens as root at its start. The links are the lite backend's: a veth pair from the client's namespace
 * ({@code eth0}) to its netvm's ({@code vif<qid>.0}). What joins a tap to a link end is an nftables
 * {@code netdev} table in the namespace whose ingress chains {@code fwd} each frame to the other side: no bridge,
 * no user-mode network, no address on the host side.
 * <p>
 * The guest sees its card as {@code eth0}, which is its own link to its netvm; each of its links as a netvm, and its
 * uplink, is a macvlan device on it with an address of its own, named as in lite ({@code vif5.0}, {@code uplink0}), so
 * that the roles' {@code nft} and {@code ip} commands run in the guest's kernel unchanged. The host demultiplexes the
 * card's frames by their source address and sends each link's frames to the guest addressed to that link's device
 * alone (the host's kernel here has no VLANs). Anti-spoofing is in the host's kernel: of the frames from a client's
 * tap that belong to none of its own links as a netvm, only IPv4 and ARP from the client's own address and card go to
 * its link; the rest is dropped.
 */
final class QemuNetwork {
    /** The tap of a domain's network card, in its own namespace. */
    static final String TAP = "bqt";
    static final String CLIENT_INTERFACE = "eth0";
    /** The highest qid a linked client may have: it names the link's address in the netvm. */
    static final int MAX_CLIENT_QID = 0xffffff;
    /** The client's table on its tap and its link end, in its namespace. */
    static final String CLIENT_TABLE = "bq_client";
    private static final Pattern IPV4 = Pattern.compile(
            "((25[0-5]|2[0-4][0-9]|1[0-9][0-9]|[1-9]?[0-9])\\.){3}(25[0-5]|2[0-4][0-9]|1[0-9][0-9]|[1-9]?[0-9])");

    /** Runs a shell script in a running guest through its agent. */
    interface Guests {
        ExecResult exec(String domain, List<String> command, byte[] stdin, Duration timeout);
    }

    private final DomainLayout layout;
    private final NetworkNamespaces namespaces;
    private final HostCommands commands;
    private final Guests guests;
    private final Duration timeout;
    /** Whether a domain runs an operating system of its own, with no agent: its guest configures its own network. */
    private final Predicate<String> agentless;
    private final UplinkCards cards;

    QemuNetwork(DomainLayout layout, NetworkNamespaces namespaces, HostCommands commands, Guests guests, Duration timeout,
            Predicate<String> agentless) {
        this.agentless = agentless;
        this.layout = layout;
        this.namespaces = namespaces;
        this.commands = commands;
        this.guests = guests;
        this.timeout = timeout;
        this.cards = new UplinkCards(layout, namespaces, commands, timeout, ProcessHandle.current().pid());
    }

    boolean exists(String domain) {
        return namespaces.exists(layout.netnsName(domain));
    }

    Path path(String domain) {
        return namespaces.path(layout.netnsName(domain));
    }

    /** The domain's namespace, made afresh: what an earlier run left in it goes. */
    void create(String domain) {
        delete(domain);
        namespaces.create(layout.netnsName(domain));
    }

    /** Removes the namespace with its tap (if QEMU still holds it) and its link ends; a card moved in goes back first. */
    void delete(String domain) {
        String netns = layout.netnsName(domain);
        cards.giveBackAll(domain, netns);
        namespaces.delete(netns);
    }

    /**
     * Removes the namespaces of this data directory's domains that have no live QEMU or that the caller does not
     * keep: what a crash of the platform, or of a domain, left.
     */
    List<Leftover> reconcile(Set<String> keep, Predicate<String> running, Function<String, Object> lockOf) {
        String prefix = layout.netnsName("");
        List<Leftover> report = new ArrayList<>();
        Path directory = namespaces.path(prefix).getParent();
        if (!Files.isDirectory(directory)) {
            return report;
        }
        List<String> names;
        try (Stream<Path> files = Files.list(directory)) {
            names = files.map(f -> f.getFileName().toString()).filter(n -> n.startsWith(prefix) && n.length() > prefix.length())
                    .sorted().toList();
        } catch (IOException e) {
            throw new AdminException("cannot list the network namespaces in " + directory + ": " + e.getMessage(), e);
        }
        for (String netns : names) {
            String domain = netns.substring(prefix.length());
            synchronized (lockOf.apply(domain)) {
                if (keep.contains(domain) && running.test(domain)) {
                    continue;
                }
                String reason = keep.contains(domain) ? "domain '" + domain + "' has no live QEMU" : "the platform runs no qube '" + domain + "'";
                try {
                    for (String card : cards.giveBackAll(domain, netns)) {
                        report.add(Leftover.removed("uplink card moved into a VM", card, reason + ": back in the host's namespace"));
                    }
                    namespaces.delete(netns);
                    report.add(Leftover.removed("network namespace", netns, reason));
                } catch (AdminException e) {
                    report.add(new Leftover("network namespace", netns, reason, e.getMessage()));
                }
            }
        }
        return report;
    }

    /**
     * Once QEMU runs: its tap comes up, so that frames pass as soon as a link is made. QEMU makes it after it listens
     * on its monitor socket, which is when its launch returns: this waits for it, within the timeout.
     */
    void tapUp(String domain) {
        String netns = layout.netnsName(domain);
        long deadline = System.nanoTime() + timeout.toNanos();
        while (!namespaces.hasDevice(netns, TAP)) {
            if (System.nanoTime() - deadline > 0) {
                throw new AdminException("QEMU of '" + domain + "' made no tap " + TAP + " in " + netns + " within "
                        + timeout.toSeconds() + " s");
            }
            LockSupport.parkNanos(10_000_000);
        }
        namespaces.batch(netns, List.of("link set " + TAP + " up"));
    }

    /** The card's address: a locally administered MAC of the domain's qid, different for each domain. */
    static String mac(int qid) {
        return mac(0x71, qid);
    }

    /** The address of the netvm's end of the link to the client of this qid (a macvlan device in the netvm's guest). */
    static String vifMac(int clientQid) {
        return mac(0x76, clientQid);
    }

    /**
     * The address of an uplink inside the guest, unique on the host for each domain's namespace and interface name
     * (every netvm may call its uplink {@code uplink0}, and the uplinks of two netvms may meet on one segment outside):
     * 40 bits of a SHA-256 of both, under the locally administered prefix {@code 06}, apart from the cards' and the link
     * ends' {@code 02:62}.
     */
    static String uplinkMac(String netns, String domainInterface) {
        byte[] hash;
        try {
            hash = MessageDigest.getInstance("SHA-256").digest((netns + "/" + domainInterface).getBytes(StandardCharsets.UTF_8));
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("every Java runtime has SHA-256", e);
        }
        StringBuilder mac = new StringBuilder("06");
        for (int i = 0; i < 5; i++) {
            mac.append(String.format(":%02x", hash[i] & 0xff));
        }
        return mac.toString();
    }

    private static String mac(int kind, int number) {
        return String.format("02:62:%02x:%02x:%02x:%02x", kind, (number >> 16) & 0xff, (number >> 8) & 0xff, number & 0xff);
    }

    /**
     * Links the client to its netvm: the veth pair between their namespaces,
     * the tables that join them, and, through the agents, {@code eth0} in the client's guest and {@code vif<qid>.0}
     * in the netvm's, addressed and routed as lite does. A link that exists (made before the platform restarted) is
     * taken as it is.
     */
    LinkEndpoint connect(LinkSpec link) {
        String client = ipv4("clientAddress", link.clientAddress());
        String gateway = ipv4("gatewayAddress", link.gatewayAddress());
        int qid = link.clientQid();
        if (qid < 1 || qid > MAX_CLIENT_QID) {
            throw new InvalidValueException("clientQid", Integer.toString(qid), "a qid from 1 to " + MAX_CLIENT_QID + " on the qemu backend");
        }
        if (agentless.test(link.netvm())) {
            throw new InvalidValueException("netvm", link.netvm(), "a qube with an agent: '" + link.netvm() + "' runs an operating"
                    + " system of its own (virt_mode=hvm), whose network the backend cannot set up");
        }
        String vif = "vif" + qid + ".0";
        String clientNetns = layout.netnsName(link.client());
        String netvmNetns = layout.netnsName(link.netvm());
        LinkEndpoint endpoint = new LinkEndpoint(link, vif, CLIENT_INTERFACE);
        if (namespaces.hasDevice(netvmNetns, vif)) {
            return endpoint;
        }
        namespaces.vethPair(new VethEnd(netvmNetns, vif), new VethEnd(clientNetns, CLIENT_INTERFACE));
        try {
            nft(netvmNetns, joined("bq_v" + qid, vifMac(qid), vif));
            nft(clientNetns, clientTable(client, mac(qid)));
            // another operating system configures its own address; the host's table lets only that one through
            if (!agentless.test(link.client())) {
                guest(link.client(), clientScript(client, gateway));
            }
            guest(link.netvm(), vifScript(vif, vifMac(qid), gateway, client));
        } catch (AdminException e) {
            try {
                disconnect(link);
            } catch (AdminException cleanup) {
                e.addSuppressed(cleanup);
            }
            throw e;
        }
        return endpoint;
    }

    /**
     * Removes the link by its netvm end (the client end goes with it), its device in the netvm's guest, and the
     * client's address and routes on {@code eth0}, in each guest that runs: a client linked again later, perhaps to
     * another netvm, starts from a bare card.
     */
    void disconnect(LinkSpec link) {
        String vif = "vif" + link.clientQid() + ".0";
        String netvmNetns = layout.netnsName(link.netvm());
        if (namespaces.exists(netvmNetns)) {
            namespaces.deleteDevice(netvmNetns, vif);
            deleteTable(netvmNetns, "bq_v" + link.clientQid());
            try {
                guest(link.netvm(), "ip link delete " + vif + " 2>/dev/null; true\n");
            } catch (AdminException e) {
                // a netvm whose guest does not answer keeps a macvlan device that no frame reaches any more
            }
        }
        if (namespaces.exists(layout.netnsName(link.client())) && !agentless.test(link.client())) {
            try {
                guest(link.client(), CLIENT_DISCONNECT);
            } catch (AdminException e) {
                // a client that is gone or does not answer: its next link flushes its card first (clientScript)
            }
        }
    }

    /** In the client's guest once its link is gone: no address nor route of it is left on its card. */
    static final String CLIENT_DISCONNECT = """
            ip route flush dev eth0
            ip address flush dev eth0
            """;

    /** Qubes' virtual DNS addresses, as lite's qubes have them: the netvm forwards them to its resolvers. */
    static final String RESOLV_CONF = "nameserver 10.139.1.1\nnameserver 10.139.1.2\n";

    /**
     * In the client's guest: its card, bare of what an earlier link left, gets the link's address and routes, and its
     * {@code /etc/resolv.conf} the virtual DNS addresses.
     */
    static String clientScript(String client, String gateway) {
        return """
                ip link set eth0 up
                ip route flush dev eth0
                ip address flush dev eth0
                ip address add %1$s/32 dev eth0
                ip route replace %2$s/32 dev eth0 scope link
                ip route replace default via %2$s dev eth0
                printf '%3$s' > /etc/resolv.conf
                """.formatted(client, gateway, RESOLV_CONF.replace("\n", "\\n"));
    }

    /** In the netvm's guest: the link's end, a macvlan device of the given address on its card, as lite's veth end. */
    static String vifScript(String vif, String mac, String gateway, String client) {
        return """
                ip link set eth0 up
                ip link delete %1$s 2>/dev/null || true
                ip link add link eth0 name %1$s address %2$s type macvlan mode private
                ip link set %1$s up
                ip address add %3$s/32 dev %1$s
                ip route replace %4$s/32 dev %1$s scope link
                """.formatted(vif, mac, gateway, client);
    }

    /** In the netvm's guest: the uplink, a macvlan device on its card, left down for the role to address. */
    static String uplinkScript(String inside, String mac) {
        return """
                ip link set eth0 up
                ip link delete %1$s 2>/dev/null || true
                ip link add link eth0 name %1$s address %2$s type macvlan mode private
                """.formatted(inside, mac);
    }

    /**
     * Gives the domain's guest an uplink: a device in the domain's namespace under the uplink's name, joined to a macvlan
     * device of the same name on the guest's card, left down as in lite (the role addresses it). The device is a new veth
     * pair's end whose peer goes to the host namespace the uplink names ({@link UplinkSpec.Mode#VETH}), the host's card
     * itself ({@link UplinkSpec.Mode#MOVE}), whose address the guest's device then takes, or a macvlan on the host's
     * card ({@link UplinkSpec.Mode#MACVLAN}) with the guest device's address ({@link UplinkCards}).
     */
    void attachUplink(String domain, UplinkSpec uplink) {
        String inside = NetworkNamespaces.deviceName("domainInterface", uplink.domainInterface());
        String host = NetworkNamespaces.deviceName("hostInterface", uplink.hostInterface());
        String netns = layout.netnsName(domain);
        String mac = uplinkMac(netns, inside);
        switch (uplink.mode()) {
            case VETH -> {
                String peerNetns = uplink.hostNamespace();
                if (peerNetns != null && !namespaces.exists(peerNetns)) {
                    throw new InvalidValueException("uplink host namespace", peerNetns, "an existing network namespace (ip netns list)");
                }
                namespaces.ip("-n", netns, "link", "add", inside, "type", "veth", "peer", "name", host,
                        "netns", peerNetns == null ? "1" : peerNetns);
            }
            case MOVE -> mac = cards.moveIn(domain, netns, inside, host);
            case MACVLAN -> cards.macvlanIn(netns, inside, host, mac);
        }
        try {
            // no IPv6 address of its own: the namespace's kernel says nothing on the segment (a card gets its host's
            // setting back when it leaves, with every per-device IPv6 setting)
            namespaces.batch(netns, List.of("link set " + inside + " addrgenmode none", "link set " + inside + " up"));
            nft(netns, joined(uplinkTable(inside), mac, inside));
            guest(domain, uplinkScript(inside, mac));
        } catch (AdminException e) {
            try {
                detachUplink(domain, uplink);
            } catch (AdminException cleanup) {
                e.addSuppressed(cleanup);
            }
            throw e;
        }
    }

    /** Takes the uplink out: a moved card goes back to the host's namespace under its own name, another device goes. */
    void detachUplink(String domain, UplinkSpec uplink) {
        String netns = layout.netnsName(domain);
        String inside = NetworkNamespaces.deviceName("domainInterface", uplink.domainInterface());
        if (uplink.mode() == UplinkSpec.Mode.MOVE) {
            cards.giveBack(domain, netns, inside);
        }
        if (!namespaces.exists(netns)) {
            return;
        }
        if (uplink.mode() != UplinkSpec.Mode.MOVE) {
            namespaces.deleteDevice(netns, inside);
        }
        deleteTable(netns, uplinkTable(inside));
        try {
            guest(domain, "ip link delete " + inside + " 2>/dev/null; true\n");
        } catch (AdminException e) {
            // the guest's macvlan device is left, reaching nothing
        }
    }

    /** The table of an uplink: its name inside, which may hold '.' and '-', as letters and digits. */
    static String uplinkTable(String domainInterface) {
        return "bq_u_" + domainInterface.replace(".", "_d").replace("-", "_h");
    }

    /**
     * A table that joins the guest's device of this address (a macvlan on its card) and the host device of a link
     * both ways: frames from the tap with that source go to the link; frames from the link go to the tap, addressed
     * to that device alone. Its chain on the tap comes before the client's own ({@link #clientTable}).
     */
    static String joined(String table, String guestMac, String linkDevice) {
        return """
                table netdev %1$s {}
                delete table netdev %1$s
                table netdev %1$s {
                  chain from_guest {
                    type filter hook ingress device "%2$s" priority 0; policy accept;
                    ether saddr %3$s fwd to "%4$s"
                  }
                  chain to_guest {
                    type filter hook ingress device "%4$s" priority 0; policy drop;
                    ether daddr set %3$s fwd to "%2$s"
                  }
                }
                """.formatted(table, TAP, guestMac, linkDevice);
    }

    /**
     * The client's side: of the frames from its tap that its own links as a netvm did not take ({@link #joined}), only
     * IPv4 from its address and ARP for it, both from its own card, go to its link; the rest is dropped. Everything
     * from the link goes to its tap, addressed to its card.
     */
    static String clientTable(String clientAddress, String mac) {
        return """
                table netdev %1$s {}
                delete table netdev %1$s
                table netdev %1$s {
                  chain from_guest {
                    type filter hook ingress device "%2$s" priority 10; policy drop;
                    ether saddr %5$s ether type ip ip saddr %4$s fwd to "%3$s"
                    ether saddr %5$s ether type arp arp saddr ether %5$s arp saddr ip %4$s fwd to "%3$s"
                  }
                  chain to_guest {
                    type filter hook ingress device "%3$s" priority 0; policy drop;
                    ether daddr set %5$s fwd to "%2$s"
                  }
                }
                """.formatted(CLIENT_TABLE, TAP, CLIENT_INTERFACE, clientAddress, mac);
    }

    private void nft(String netns, String ruleset) {
        commands.runOrThrow(HostCommand.of(timeout, List.of("nsenter", "--net=" + namespaces.path(netns), "--", "nft", "-f", "-"))
                .withStdin(ruleset.getBytes(StandardCharsets.UTF_8)));
    }

    private void deleteTable(String netns, String table) {
        nft(netns, "table netdev " + table + " {}\ndelete table netdev " + table + "\n");
    }

    private void guest(String domain, String script) {
        ExecResult r = guests.exec(domain, List.of("/bin/sh", "-ec", script), new byte[0], timeout);
        if (r.exitStatus() != 0) {
            throw new AdminException("cannot set up the network in '" + domain + "': " + r.stderrText().strip());
        }
    }

    private static String ipv4(String field, String value) {
        if (value == null || !IPV4.matcher(value).matches()) {
            throw new InvalidValueException(field, String.valueOf(value), "an IPv4 address in dotted form, e.g. 10.137.0.5");
        }
        return value;
    }
}
