package dev.bulkhead.role.firewall.internal;

import static dev.bulkhead.role.firewall.internal.FirewallRulesetTest.BANK;
import static dev.bulkhead.role.firewall.internal.FirewallRulesetTest.WORK;
import static dev.bulkhead.role.firewall.internal.FirewallRulesetTest.rules;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URISyntaxException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.atomic.AtomicLong;

import org.junit.jupiter.api.AutoClose;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;

import dev.bulkhead.api.AdminException;
import dev.bulkhead.api.host.HostCommands;
import dev.bulkhead.api.hypervisor.LinkEndpoint;
import dev.bulkhead.testing.Await;
import dev.bulkhead.testing.RecordingRoleContext;
import dev.bulkhead.testing.RecordingRoleContext.Shell;
import dev.bulkhead.testing.ScratchNetwork;
import dev.bulkhead.testing.SystemTest;

/**
 * The twin of {@link FirewallRoleTest}: the role drives a real FirewallVM, a namespace with the
 * links of Qubes (vif4.0 to work, vif5.0 to bank, eth0 to its netvm), and real packets show what
 * its rules let through. Behind it, one namespace plays the netvm and the outside: web servers on
 * public documentation addresses, a DNS server on the virtual DNS address, a packet counter. No
 * namespace has a way out to the machine's own network.
 */
@SystemTest
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class FirewallTrafficTest {
    static final String WEB = "203.0.113.10";
    static final String OTHER_WEB = "203.0.113.20";
    static final String PAGE = "the outside\n";
    static final int STREAM_PORT = 9000;

    @AutoClose
    private final ScratchNetwork network = new ScratchNetwork("fwt");
    private String fw;
    private String work;
    private String bank;
    private String outside;
    private Path files;
    private FirewallRole role;
    private RecordingRoleContext firewall;

    @BeforeAll
    void buildTheNetwork() throws IOException, URISyntaxException {
        fw = network.namespace("fw");
        work = network.namespace("work");
        bank = network.namespace("bank");
        outside = network.namespace("out");
        network.qubesLink(work, "10.137.0.4", fw, "vif4.0", "10.137.0.3");
        network.qubesLink(bank, "10.137.0.5", fw, "vif5.0", "10.137.0.3");
        network.qubesLink(fw, "10.137.0.3", outside, "vif3.0", "10.137.0.2");
        ScratchNetwork.check(network.exec(fw, null, "sysctl", "-q", "-w", "net.ipv4.ip_forward=1"));
        network.ip(outside, "address add " + WEB + "/32 dev lo", "address add " + OTHER_WEB + "/32 dev lo", "address add 10.139.1.1/32 dev lo");
        ScratchNetwork.check(network.exec(outside, """
                table inet count {
                  counter from_firewall { }
                  chain prerouting {
                    type filter hook prerouting priority -300; policy accept;
                    iifname "vif3.0" meta nfproto ipv4 counter name from_firewall
                  }
                }
                """, "nft", "-f", "-"));
        network.resolver(fw, "10.139.1.1");
        network.resolver(work, "10.139.1.1");

        files = network.directory("outside");
        Files.writeString(files.resolve("index.html"), PAGE);
        Path stream = files.resolve("stream");
        Files.writeString(stream, streamScript(files));
        Files.setPosixFilePermissions(stream, PosixFilePermissions.fromString("rwxr-xr-x"));
        network.start(outside, "busybox", "httpd", "-f", "-p", WEB + ":80", "-h", files.toString());
        network.start(outside, "busybox", "httpd", "-f", "-p", OTHER_WEB + ":80", "-h", files.toString());
        network.start(outside, "busybox", "nc", "-ll", "-p", Integer.toString(STREAM_PORT), "-e", stream.toString());
        awaitListening(outside, 80);
        awaitListening(outside, STREAM_PORT);
        HostCommands.Streaming dns = network.start(outside, ProcessHandle.current().info().command().orElseThrow(), "-cp",
                Path.of(TinyDnsServer.class.getProtectionDomain().getCodeSource().getLocation().toURI()).toString(),
                TinyDnsServer.class.getName(), "10.139.1.1", "a.test=" + WEB);
        assertEquals(Optional.of("ready"), dns.nextLine(Await.DEFAULT_BOUND), "the DNS server did not start");
    }

    /** A fresh role on the FirewallVM, work and bank attached with the default rules (accept all). */
    @BeforeEach
    void freshRole() {
        role = new FirewallRole(dev.bulkhead.api.Settings.of(FirewallConfig.class, Map.of()));
        firewall = new RecordingRoleContext("sys-firewall", 3, "firewall", Shell.inNamespace(fw));
        role.started(firewall);
        for (LinkEndpoint link : List.of(WORK, BANK)) {
            firewall.attachClient(role, link);
        }
    }

    private void setRules(String client, String... texts) {
        firewall.rules.put(client, rules(texts));
        role.clientChanged(firewall, client.equals("work") ? WORK : BANK);
    }

    private ScratchNetwork.Result fetch(String netns, String address) {
        return network.exec(netns, null, "timeout", "5", "busybox", "wget", "-q", "-O", "-", "http://" + address + "/");
    }

    /** A server started in the background takes a moment to listen: a connection before that would be refused. */
    private void awaitListening(String netns, int port) {
        Await.until("a server in " + netns + " to listen on TCP port " + port, Await.DEFAULT_BOUND,
                () -> network.exec(netns, null, "ss", "-Hltn", "sport = :" + port).output().contains(":" + port));
    }

    private void assertFetches(String netns, String address) {
        ScratchNetwork.Result r = fetch(netns, address);
        assertEquals(PAGE, r.stdout(), netns + " fetching " + address + ": " + r.output());
    }

    /**
     * Refused by the FirewallVM's reject, not left to time out: wget says "No route to host" only
     * when an ICMP error came back (a dropped connection ends with {@code timeout} killing it).
     */
    private void assertRefused(String netns, String address) {
        ScratchNetwork.Result r = fetch(netns, address);
        assertNotEquals(0, r.exitStatus(), netns + " fetched " + address + " although it must not");
        assertTrue(r.output().contains("No route to host"), "answered with admin-prohibited, not dropped: " + r.output());
    }

    private long packetsFromTheFirewall() {
        return network.packets(outside, "count", "from_firewall");
    }

    @Test
    void rulesMatchInOrderAndWhatNoneAcceptsIsRefused() {
        assertFetches(work, WEB);
        setRules("work", "action=accept proto=tcp dsthost=" + WEB + " dstports=80");
        assertFetches(work, WEB);
        assertRefused(work, OTHER_WEB);
        assertFetches(bank, OTHER_WEB);

        setRules("work", "action=drop proto=tcp dsthost=" + WEB, "action=accept");
        assertRefused(work, WEB);
        assertFetches(work, OTHER_WEB);

        setRules("work", "action=accept proto=tcp dstports=443");
        assertRefused(work, WEB);
    }

    @Test
    void hostNamesAreResolvedInTheFirewallVmAndOneThatDoesNotAllowsNothing() {
        setRules("work", "action=accept dsthost=a.test");
        assertFetches(work, WEB);
        assertRefused(work, OTHER_WEB);

        setRules("work", "action=accept dsthost=nowhere.test", "action=accept proto=udp");
        List<String> problems = role.clientProblems(firewall, WORK);
        assertTrue(problems.size() == 1 && problems.get(0).contains("'nowhere.test' does not resolve"), problems.toString());
        assertRefused(work, WEB);
        assertRefused(work, OTHER_WEB);
        assertFetches(bank, WEB);

        setRules("work", "action=drop proto=tcp dsthost=nowhere.test", "action=accept");
        assertRefused(work, WEB);
        assertRefused(work, OTHER_WEB);
        assertFetches(bank, WEB);
    }

    @Test
    void dnsReachesTheVirtualServersOnlyWhenARuleAllowsIt() {
        setRules("work", "action=accept specialtarget=dns");
        ScratchNetwork.Result lookup = network.exec(work, null, "busybox", "nslookup", "a.test");
        assertTrue(lookup.stdout().contains("Address: " + WEB), lookup.output());
        assertRefused(work, WEB);

        setRules("work", "action=accept proto=tcp dstports=80");
        assertNotEquals(0, network.exec(work, null, "busybox", "nslookup", "a.test").exitStatus());
        assertFetches(work, WEB);
    }

    /**
     * One connection per client to {@link #STREAM_PORT}: the client's first line names it; the server
     * keeps what the client sends after that in {@code NAME.up}, notes its own pid (that of the
     * process reading the connection) in {@code NAME.pid} and sends a line every 10 ms.
     */
    private static String streamScript(Path files) {
        return """
                #!/bin/sh
                read name
                (while :; do echo 0123456789abcdef; busybox usleep 10000; done) &
                echo $$ > "%1$s/$name.pid"
                exec cat > "%1$s/$name.up"
                """.formatted(files);
    }

    /**
     * A connection from a client to the outside's stream server that carries data both ways: a
     * line from the client every 10 ms, the server's lines back.
     */
    private final class TwoWayStream implements AutoCloseable {
        final String client;
        final HostCommands.Streaming process;
        final AtomicLong received = new AtomicLong();
        private volatile boolean writing = true;

        TwoWayStream(String netns, String client) {
            this.client = client;
            process = network.start(netns, "busybox", "nc", WEB, Integer.toString(STREAM_PORT));
            Thread reader = new Thread(this::count, client + " reader");
            reader.setDaemon(true);
            reader.start();
            Thread writer = new Thread(this::write, client + " writer");
            writer.setDaemon(true);
            writer.start();
        }

        private void write() {
            try {
                process.write(client + "\n");
                while (writing) {
                    process.write("fedcba9876543210\n");
                    // paced like the server's lines: a steady trickle, never enough to fill a buffer
                    Thread.sleep(10);
                }
                process.closeStdin();
            } catch (AdminException | IllegalStateException | InterruptedException e) {
                // the client ended: what it carried until then is what the test looks at
            }
        }

        /** The bytes the server has received from the client. */
        long sent() {
            try {
                Path up = files.resolve(client + ".up");
                return Files.exists(up) ? Files.size(up) : 0;
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
        }

        /** Counts the bytes of the server's lines as they come, until the client ends. */
        private void count() {
            while (!process.outputEnded()) {
                process.nextLine(Duration.ofSeconds(1)).ifPresent(line -> received.addAndGet(line.length() + 1));
            }
        }

        /** Whether the server's end of the connection is still there to read. */
        boolean serverAlive() {
            try {
                Path pid = files.resolve(client + ".pid");
                String text = Files.exists(pid) ? Files.readString(pid).strip() : "";
                return !text.isEmpty() && ProcessHandle.of(Long.parseLong(text)).map(ProcessHandle::isAlive).orElse(false);
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
        }

        /** Waits until the connection has carried {@code bytes} more each way than it had when this was called. */
        void awaitMore(long bytes, String when) {
            long down = received.get();
            long up = sent();
            Await.until(client + "'s connection to carry " + bytes + " more bytes each way " + when, Await.DEFAULT_BOUND,
                    () -> received.get() >= down + bytes && sent() >= up + bytes,
                    () -> "received " + (received.get() - down) + ", sent " + (sent() - up));
        }

        @Override
        public void close() {
            writing = false;
            process.stop();
        }
    }

    /**
     * A rule change cuts an open connection in both directions, and it is the firewall that cuts it:
     * both ends are still alive and still sending. Bank's connection through the same FirewallVM,
     * which the change does not concern, keeps flowing: what it carries meanwhile shows that work's
     * connection had time to carry data and did not.
     */
    @Test
    void aRuleChangeCutsAnOpenConnectionBothWays() {
        try (TwoWayStream toWork = new TwoWayStream(work, "work"); TwoWayStream toBank = new TwoWayStream(bank, "bank")) {
            toWork.awaitMore(1000, "before the change");
            toBank.awaitMore(1000, "before the change");

            setRules("work", "action=drop");
            // what passed the FirewallVM before the change may still arrive: bank's traffic marks how long that takes
            toBank.awaitMore(1000, "while what work sent before the change arrives");
            long received = toWork.received.get();
            long sent = toWork.sent();
            toBank.awaitMore(2000, "after the change");

            assertEquals(received, toWork.received.get(), "bytes from the outside reached work after the rule change");
            assertEquals(sent, toWork.sent(), "bytes from work reached the outside after the rule change");
            assertTrue(toWork.process.isAlive(), "work's nc ended: the connection was not cut by the firewall");
            assertTrue(toWork.serverAlive(), "the outside's end of work's connection ended: it was not cut by the firewall");
        }
    }

    /**
     * A change to work's rules leaves bank's chain as it was in the kernel, rules and handles alike (a table loaded
     * again renumbers them), and its elements in the verdict map; bank's traffic goes on as before.
     */
    @Test
    void aChangeToOneClientLeavesTheOtherClientsChainAndElementsUntouched() {
        setRules("bank", "action=accept proto=tcp dsthost=" + OTHER_WEB + " dstports=80");
        String bankChain = network.nft(fw, "-j", "list", "chain", "inet", FirewallRuleset.TABLE, "client-5");
        String workChain = network.nft(fw, "-j", "list", "chain", "inet", FirewallRuleset.TABLE, "client-4");
        String map = network.nft(fw, "-j", "list", "map", "inet", FirewallRuleset.TABLE, "client_chains");

        setRules("work", "action=accept proto=tcp dsthost=" + WEB + " dstports=80");

        assertEquals(bankChain, network.nft(fw, "-j", "list", "chain", "inet", FirewallRuleset.TABLE, "client-5"), "bank's chain changed");
        assertEquals(map, network.nft(fw, "-j", "list", "map", "inet", FirewallRuleset.TABLE, "client_chains"), "the verdict map changed");
        assertNotEquals(workChain, network.nft(fw, "-j", "list", "chain", "inet", FirewallRuleset.TABLE, "client-4"), "work's chain did not");
        assertFetches(bank, OTHER_WEB);
        assertRefused(bank, WEB);
        assertFetches(work, WEB);
        assertRefused(work, OTHER_WEB);
    }

    @Test
    void aForgedSourceAddressGetsNothingThroughAndClientsCannotReachEachOther() {
        network.ip(work, "address add 10.137.0.99/32 dev eth0");
        try {
            long before = packetsFromTheFirewall();
            network.exec(work, null, "busybox", "ping", "-c", "2", "-W", "1", "-I", "10.137.0.99", WEB);
            assertEquals(before, packetsFromTheFirewall(), "packets from a forged address left the FirewallVM");
            ScratchNetwork.check(network.exec(work, null, "busybox", "ping", "-c", "1", "-W", "2", WEB));
            assertTrue(packetsFromTheFirewall() > before, "work's own address does get through");
        } finally {
            network.ip(work, "address del 10.137.0.99/32 dev eth0");
        }

        network.start(bank, "busybox", "httpd", "-f", "-p", "8080", "-h", files.toString());
        awaitListening(bank, 8080);
        ScratchNetwork.Result across = network.exec(work, null, "timeout", "2", "busybox", "wget", "-q", "-O", "-", "http://10.137.0.5:8080/");
        assertNotEquals(0, across.exitStatus(), "work reached bank: " + across.output());
        ScratchNetwork.check(network.exec(work, null, "busybox", "ping", "-c", "1", "-W", "2", "10.137.0.3"));
    }

    @Test
    void nothingFromUpstreamConnectsIntoAClient() {
        network.start(work, "busybox", "httpd", "-f", "-p", "8081", "-h", files.toString());
        awaitListening(work, 8081);
        assertFetches(work, "127.0.0.1:8081");
        network.ip(outside, "route replace 10.137.0.4/32 via 10.137.0.3 dev vif3.0");
        ScratchNetwork.Result in = network.exec(outside, null, "timeout", "2", "busybox", "wget", "-q", "-O", "-", "http://10.137.0.4:8081/");
        assertNotEquals(0, in.exitStatus(), "the outside reached work: " + in.output());
    }
}
