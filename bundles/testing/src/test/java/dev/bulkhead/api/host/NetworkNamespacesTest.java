package dev.bulkhead.api.host;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import dev.bulkhead.api.AdminException;
import dev.bulkhead.api.InvalidValueException;
import dev.bulkhead.api.host.NetworkNamespaces.VethEnd;
import dev.bulkhead.testing.FakeHostCommands;
import dev.bulkhead.testing.SystemTest;

/** The namespace and veth helper: the commands it gives {@code ip}, and a real pair that carries packets. */
class NetworkNamespacesTest {
    private static final Duration TIMEOUT = Duration.ofSeconds(30);

    @TempDir
    Path netnsDirectory;

    /** A host whose {@code ip netns add/delete} make and remove the namespace's file, as ip does in /run/netns. */
    private FakeHostCommands host() {
        return new FakeHostCommands().answer("ip netns add ", c -> touch(c.argv().get(3), true))
                .answer("ip netns delete ", c -> touch(c.argv().get(3), false));
    }

    private HostCommandResult touch(String netns, boolean present) {
        try {
            if (present) {
                Files.createFile(netnsDirectory.resolve(netns));
            } else {
                Files.delete(netnsDirectory.resolve(netns));
            }
            return FakeHostCommands.ok("");
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    @Test
    void aVethPairIsOneBatchASideWithEachEndMadeInItsOwnNamespaceAndUpBeforeItsSetUp() {
        FakeHostCommands host = host();

        new NetworkNamespaces(host, netnsDirectory, TIMEOUT).vethPair(new VethEnd("ns-a", "veth0", List.of("address add 192.0.2.1/24 dev veth0")),
                new VethEnd("ns-b", "eth0", List.of("address add 192.0.2.2/24 dev eth0", "route add default via 192.0.2.1 dev eth0")));

        assertEquals(List.of("ip -n ns-a -batch -", "ip -n ns-b -batch -"), host.commands().stream().map(HostCommand::display).toList());
        assertEquals("""
                link add veth0 type veth peer name eth0 netns ns-b
                link set veth0 up
                address add 192.0.2.1/24 dev veth0
                """, stdin(host.commands().get(0)));
        assertEquals("""
                link set eth0 up
                address add 192.0.2.2/24 dev eth0
                route add default via 192.0.2.1 dev eth0
                """, stdin(host.commands().get(1)));
    }

    @Test
    void whenTheSecondSideIsRefusedThePairIsRemovedAndTheRefusalSaid() {
        FakeHostCommands host = host().answer("ip -n ns-b -batch", FakeHostCommands.failed(1, "Error: Nexthop has invalid gateway.\n"));

        AdminException e = assertThrows(AdminException.class, () -> new NetworkNamespaces(host, netnsDirectory, TIMEOUT)
                .vethPair(new VethEnd("ns-a", "vif3.0"), new VethEnd("ns-b", "eth0", List.of("route add default via 10.0.0.1"))));

        assertTrue(e.getMessage().endsWith("Nexthop has invalid gateway."), e.getMessage());
        assertEquals("ip -n ns-a link delete vif3.0", host.commands().get(2).display());
    }

    @Test
    void anEndAlreadyGoneIsNoFailureOfItsRemoval() {
        FakeHostCommands host = host().answer("link delete", FakeHostCommands.failed(1, "Cannot find device \"vif3.0\"\n"));

        new NetworkNamespaces(host, netnsDirectory, TIMEOUT).deleteDevice("ns-a", "vif3.0");
    }

    @Test
    void aNamespaceWhoseLoopbackCannotComeUpIsRemovedAgain() {
        FakeHostCommands host = host().answer("link set lo up", FakeHostCommands.failed(2, "RTNETLINK answers: Operation not permitted\n"));
        NetworkNamespaces namespaces = new NetworkNamespaces(host, netnsDirectory, TIMEOUT);

        assertThrows(AdminException.class, () -> namespaces.create("ns-a"));

        assertFalse(namespaces.exists("ns-a"));
        assertEquals("ip netns delete ns-a", host.commands().get(2).display());
    }

    @Test
    void oneIpCommandRunsWithItsArgumentsAsGivenAndARefusalIsAnError() {
        FakeHostCommands host = host().answer("eth9", FakeHostCommands.failed(1, "Cannot find device \"eth9\"\n"));
        NetworkNamespaces namespaces = new NetworkNamespaces(host, netnsDirectory, TIMEOUT);

        namespaces.ip("link", "set", "eth1", "netns", "ns-a");
        AdminException e = assertThrows(AdminException.class, () -> namespaces.ip("link", "set", "eth9", "down"));

        assertEquals(List.of("ip", "link", "set", "eth1", "netns", "ns-a"), host.commands().get(0).argv());
        assertEquals(TIMEOUT, host.commands().get(0).timeout());
        assertTrue(e.getMessage().endsWith("Cannot find device \"eth9\""), e.getMessage());
    }

    @Test
    void namesThatWouldBreakABatchLineAreRefused() {
        assertThrows(InvalidValueException.class, () -> new VethEnd("ns-a", "eth0 up\nlink del lo"));
        assertThrows(InvalidValueException.class, () -> new VethEnd("ns-a netns 1", "eth0"));
        assertThrows(InvalidValueException.class, () -> new VethEnd("ns-a", "a-name-of-16-chr"));
        assertThrows(InvalidValueException.class, () -> new VethEnd("", "eth0"));
    }

    @Test
    void devicesAreListedByNameWithoutTheirPeer() {
        FakeHostCommands host = host().answer("-o link show", FakeHostCommands.ok("""
                1: lo: <LOOPBACK,UP,LOWER_UP> mtu 65536 qdisc noqueue state UNKNOWN
                3: vif5.0@if2: <BROADCAST,MULTICAST,UP,LOWER_UP> mtu 1500 qdisc noqueue state UP
                """));

        assertEquals(List.of("lo", "vif5.0"), new NetworkNamespaces(host, netnsDirectory, TIMEOUT).devices("ns-a"));
    }

    @Test
    @SystemTest
    void aRealPairCarriesPacketsBetweenItsNamespacesAndGoesWithThem() {
        HostCommands host = new ProcessHostCommands();
        NetworkNamespaces namespaces = new NetworkNamespaces(host, NetworkNamespaces.DIRECTORY, TIMEOUT);
        String a = "bh-nst-" + ProcessHandle.current().pid() + "-a";
        String b = "bh-nst-" + ProcessHandle.current().pid() + "-b";
        try {
            namespaces.create(a);
            namespaces.create(b);
            namespaces.vethPair(new VethEnd(a, "veth0", List.of("address add 192.0.2.1/24 dev veth0")),
                    new VethEnd(b, "veth0", List.of("address add 192.0.2.2/24 dev veth0")));

            HostCommandResult ping = host.run(HostCommand.of(TIMEOUT, "ip", "netns", "exec", a, "busybox", "ping", "-c", "1", "-W", "5", "192.0.2.2"));
            assertTrue(ping.succeeded(), ping.stdoutText() + ping.stderrText());
            assertEquals(List.of("lo", "veth0"), namespaces.devices(b));
        } finally {
            namespaces.delete(a);
            namespaces.delete(b);
        }
        assertFalse(namespaces.exists(a));
        assertFalse(namespaces.exists(b));
    }

    private static String stdin(HostCommand command) {
        return new String(command.stdin(), StandardCharsets.UTF_8);
    }
}
