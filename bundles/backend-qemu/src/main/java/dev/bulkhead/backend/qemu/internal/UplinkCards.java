package dev.bulkhead.backend.qemu.internal;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import dev.bulkhead.api.AdminException;
import dev.bulkhead.api.InvalidStateException;
import dev.bulkhead.api.InvalidValueException;
import dev.bulkhead.api.host.HostCommand;
import dev.bulkhead.api.host.HostCommands;
import dev.bulkhead.api.host.NetworkNamespaces;
import dev.bulkhead.api.hypervisor.UplinkSpec;

/**
 * The host's side of an uplink in {@link UplinkSpec.Mode#MOVE} and {@link UplinkSpec.Mode#MACVLAN} mode: the device that
 * ends in a domain's network namespace under the uplink's name, where {@link QemuNetwork} joins it to the tap as it joins
 * a veth end. A moved card goes in and comes out with one {@code ip} call each (move and rename at once), so it is never
 * seen under the uplink's name in the host's namespace nor under its own in the domain's; a macvlan is made directly in
 * the domain's namespace, so nothing of it is ever in the host's.
 * <p>
 * A moved card must come back when the uplink is taken out, and also when its QEMU stops, is killed or dies: with its
 * namespace a physical card would return to the host's initial namespace by itself but under the uplink's name, and a
 * virtual one (a veth) would be destroyed. So the cards moved into each domain are kept in its directory (which its
 * qube cannot reach and which outlives a restart of the platform), and every removal of the namespace gives them back
 * first ({@link #giveBackAll}). A macvlan goes with the namespace.
 */
final class UplinkCards {
    private static final System.Logger LOG = System.getLogger(UplinkCards.class.getName());
    /** The file, in a domain's directory, of the cards moved into its namespace: lines "inside host". */
    static final String RECORD = "moved-uplinks";
    private static final Pattern ETHER = Pattern.compile("link/ether ([0-9a-f]{2}(:[0-9a-f]{2}){5}) ");

    private final DomainLayout layout;
    private final NetworkNamespaces namespaces;
    private final HostCommands commands;
    private final Duration timeout;
    /** The process whose network namespace a moved card comes from and goes back to: the platform's own. */
    private final long platformPid;

    UplinkCards(DomainLayout layout, NetworkNamespaces namespaces, HostCommands commands, Duration timeout, long platformPid) {
        this.layout = layout;
        this.namespaces = namespaces;
        this.commands = commands;
        this.timeout = timeout;
        this.platformPid = platformPid;
    }

    /**
     * Moves the host's card into the namespace under the uplink's name, down, and returns its address: the guest's
     * uplink takes it, so the card's segment sees the card's own address as it would on lite, and the card's own
     * filter lets the uplink's frames in. The card is recorded first, so that no crash loses it.
     */
    String moveIn(String domain, String netns, String inside, String host) {
        String mac = etherAddress(host, commands.runOrThrow(HostCommand.of(timeout, List.of("ip", "-o", "link", "show", "dev", host)))
                .stdoutText());
        if (namespaces.hasDevice(netns, inside)) {
            throw new InvalidStateException("'" + domain + "' has an uplink " + inside + " already");
        }
        record(domain, inside, host);
        try {
            namespaces.ip(moveInCommand(host, netns, inside));
        } catch (AdminException e) {
            forget(domain, inside);
            throw e;
        }
        return mac;
    }

    /** A macvlan device on the host's card, made in the namespace under the uplink's name with the guest uplink's address. */
    void macvlanIn(String netns, String inside, String host, String mac) {
        namespaces.ip(macvlanCommand(host, netns, inside, mac));
    }

    /**
     * The card moved in as {@code inside} goes back to the platform's namespace under the name it had there; nothing
     * when no card was moved in under that name (another device of that name is never taken out) or it is gone.
     */
    void giveBack(String domain, String netns, String inside) {
        String host = moved(domain).get(inside);
        if (host != null && namespaces.exists(netns) && namespaces.hasDevice(netns, inside)) {
            namespaces.ip(giveBackCommand(netns, inside, platformPid, host));
        }
        forget(domain, inside);
    }

    /**
     * Gives back every card moved into the domain's namespace, before the namespace goes; returns the host names of
     * those given back. One that cannot go back is logged: the namespace goes all the same.
     */
    List<String> giveBackAll(String domain, String netns) {
        List<String> back = new ArrayList<>();
        Map<String, String> moved;
        try {
            moved = moved(domain);
        } catch (AdminException e) {
            LOG.log(System.Logger.Level.WARNING, e.getMessage());
            return back;
        }
        for (Map.Entry<String, String> card : moved.entrySet()) {
            try {
                if (namespaces.exists(netns) && namespaces.hasDevice(netns, card.getKey())) {
                    namespaces.ip(giveBackCommand(netns, card.getKey(), platformPid, card.getValue()));
                    back.add(card.getValue());
                }
            } catch (AdminException e) {
                LOG.log(System.Logger.Level.WARNING, "cannot give the uplink " + card.getValue() + " of domain '" + domain
                        + "' back to the host: " + e.getMessage());
            }
        }
        try {
            write(domain, Map.of());
        } catch (AdminException e) {
            LOG.log(System.Logger.Level.WARNING, e.getMessage());
        }
        return back;
    }

    /** {@code ip link set dev HOST netns NETNS name INSIDE}, run in the platform's namespace: one step. */
    static String[] moveInCommand(String host, String netns, String inside) {
        return new String[] { "link", "set", "dev", host, "netns", netns, "name", inside };
    }

    /** Run in the domain's namespace: the card goes to the namespace of the process given, under its own name, in one step. */
    static String[] giveBackCommand(String netns, String inside, long pid, String host) {
        return new String[] { "-n", netns, "link", "set", "dev", inside, "netns", Long.toString(pid), "name", host };
    }

    /**
     * A macvlan in bridge mode, as lite makes it, on the card in the platform's namespace, made directly in the domain's
     * namespace with the given address.
     */
    static String[] macvlanCommand(String host, String netns, String inside, String mac) {
        return new String[] { "link", "add", "link", host, "name", inside, "netns", netns, "address", mac, "type", "macvlan",
            "mode", "bridge" };
    }

    /** The unicast Ethernet address in {@code ip -o link show}'s line of a device; else a refusal naming the card. */
    static String etherAddress(String host, String line) {
        Matcher m = ETHER.matcher(line);
        if (!m.find() || (Integer.parseInt(m.group(1).substring(0, 2), 16) & 1) != 0) {
            throw new InvalidValueException("uplink host interface", host, "an Ethernet card with a unicast address");
        }
        return m.group(1);
    }

    /** The cards moved into the domain, by their name inside; lines that are not two device names are left out. */
    Map<String, String> moved(String domain) {
        Path file = file(domain);
        Map<String, String> moved = new LinkedHashMap<>();
        if (!Files.exists(file)) {
            return moved;
        }
        try {
            for (String line : Files.readAllLines(file, StandardCharsets.UTF_8)) {
                String[] names = line.split(" ", -1);
                if (names.length == 2 && isDevice(names[0]) && isDevice(names[1])) {
                    moved.put(names[0], names[1]);
                }
            }
            return moved;
        } catch (IOException e) {
            throw new AdminException("cannot read the moved uplinks of domain '" + domain + "': " + e.getMessage(), e);
        }
    }

    private static boolean isDevice(String name) {
        try {
            NetworkNamespaces.deviceName("device", name);
            return true;
        } catch (InvalidValueException e) {
            return false;
        }
    }

    private synchronized void record(String domain, String inside, String host) {
        Map<String, String> moved = moved(domain);
        moved.put(inside, host);
        write(domain, moved);
    }

    private synchronized void forget(String domain, String inside) {
        Map<String, String> moved = moved(domain);
        if (moved.remove(inside) != null) {
            write(domain, moved);
        }
    }

    private void write(String domain, Map<String, String> moved) {
        Path file = file(domain);
        try {
            if (moved.isEmpty()) {
                Files.deleteIfExists(file);
                return;
            }
            StringBuilder text = new StringBuilder();
            moved.forEach((inside, host) -> text.append(inside).append(' ').append(host).append('\n'));
            Files.createDirectories(file.getParent());
            Files.writeString(file, text, StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw new AdminException("cannot record the moved uplinks of domain '" + domain + "': " + e.getMessage(), e);
        }
    }

    private Path file(String domain) {
        return layout.directory(domain).resolve(RECORD);
    }
}
