package dev.bulkhead.example.dns.internal;

import static dev.bulkhead.example.dns.internal.DnsFilterRulesetTest.BANK;
import static dev.bulkhead.example.dns.internal.DnsFilterRulesetTest.WORK;
import static dev.bulkhead.example.dns.internal.TestRoleContext.config;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.AutoClose;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;

import dev.bulkhead.api.hypervisor.LinkEndpoint;
import dev.bulkhead.api.hypervisor.LinkSpec;
import dev.bulkhead.testing.Await;
import dev.bulkhead.testing.ScratchNetwork;
import dev.bulkhead.testing.SystemTest;

/**
 * The twin of {@link DnsFilterRoleTest}: the role drives a real DNS filter qube, a namespace linked
 * as in Qubes to two clients (vif4.0 to work, vif5.0 to bank) and to its netvm (eth0), with the
 * host's dnsmasq; real queries and packets show what it answers and lets through. Behind it, one
 * namespace plays the netvm and the outside: a DNS server on the virtual DNS addresses and on a
 * public documentation address, a web server, packet counters. No namespace has a way out to the
 * machine's own network.
 */
@SystemTest
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class DnsFilterTrafficTest {
    static final String WEB = "203.0.113.10";
    static final String OTHER_WEB = "203.0.113.20";
    static final String RESOLVER = "203.0.113.53";
    static final String PAGE = "the outside\n";

    @AutoClose
    private final ScratchNetwork network = new ScratchNetwork("dnsf");
    private String dns;
    private String work;
    private String bank;
    private String up;
    private Path files;
    private DnsFilterRole role;
    private TestRoleContext sysDns;

    @BeforeAll
    void buildTheNetwork() throws IOException {
        dns = network.namespace("dns");
        work = network.namespace("work");
        bank = network.namespace("bank");
        up = network.namespace("up");
        network.qubesLink(work, "10.137.0.4", dns, "vif4.0", "10.137.0.3");
        network.qubesLink(bank, "10.137.0.5", dns, "vif5.0", "10.137.0.3");
        network.qubesLink(dns, "10.137.0.3", up, "vif3.0", "10.137.0.2");
        ScratchNetwork.check(network.exec(dns, null, "sysctl", "-q", "-w", "net.ipv4.ip_forward=1"));
        network.ip(up, "address add " + WEB + "/32 dev lo", "address add " + RESOLVER + "/32 dev lo",
                "address add 10.139.1.1/32 dev lo", "address add 10.139.1.2/32 dev lo");
        ScratchNetwork.check(network.exec(up, """
                table inet count {
                  counter from_filter { }
                  counter dns { }
                  counter unmasqueraded { }
                  chain prerouting {
                    type filter hook prerouting priority -300; policy accept;
                    iifname "vif3.0" meta nfproto ipv4 counter name from_filter
                    iifname "vif3.0" meta l4proto { tcp, udp } th dport 53 counter name dns
                    iifname "vif3.0" ip saddr != 10.137.0.3 counter name unmasqueraded
                  }
                }
                """, "nft", "-f", "-"));
        files = network.directory("files");
        Files.writeString(files.resolve("index.html"), PAGE);
        network.start(up, "busybox", "httpd", "-f", "-p", WEB + ":80", "-h", files.toString());
        network.start(bank, "busybox", "httpd", "-f", "-p", "8080", "-h", files.toString());
        network.start(work, "busybox", "httpd", "-f", "-p", "8081", "-h", files.toString());
        network.start(up, "dnsmasq", "--keep-in-foreground", "--no-resolv", "--no-hosts", "--bind-interfaces", "--pid-file=",
                "--user=root", "--group=root", "--listen-address=10.139.1.1", "--listen-address=10.139.1.2",
                "--listen-address=" + RESOLVER, "--local=/test/", "--address=/allowed.test/" + WEB, "--address=/other.test/" + OTHER_WEB);
        Await.until("the outside's DNS server to answer", () -> lookUp(up, "allowed.test", RESOLVER).contains(WEB));
    }

    /** A fresh role on the filter qube, blocking other.test, with work and bank attached. */
    @BeforeEach
    void startTheFilter() {
        role = new DnsFilterRole(config("other.test"), files.resolve("run").toString());
        sysDns = TestRoleContext.inNamespace("sys-dns", 3, dns);
        role.started(sysDns);
        for (LinkEndpoint link : List.of(WORK, BANK)) {
            sysDns.attachClient(role, link);
        }
    }

    /** The qube would take its dnsmasq with it; here it is stopped by hand. */
    @AfterEach
    void stopTheFilter() {
        role.stopping(sysDns);
        new Dnsmasq(files.resolve("run").toString()).stop(sysDns);
    }

    private String lookUp(String netns, String name, String server) {
        return lookUp(netns, name, server, 5);
    }

    private String lookUp(String netns, String name, String server, int seconds) {
        return network.exec(netns, null, "timeout", Integer.toString(seconds), "busybox", "nslookup", name, server).output();
    }

    private void assertResolves(String name, String server, String address) {
        String out = lookUp(work, name, server);
        assertTrue(out.contains("Address: " + address), name + " through " + server + ": " + out);
    }

    private void assertBlocked(String name, String server) {
        String out = lookUp(work, name, server);
        assertTrue(out.contains("NXDOMAIN") && !out.contains(WEB) && !out.contains(OTHER_WEB), name + " through " + server + ": " + out);
    }

    /** No answer at all within two seconds: neither an address nor NXDOMAIN. */
    private void assertNoDns(String netns, String name, String server) {
        String out = lookUp(netns, name, server, 2);
        assertFalse(out.contains("NXDOMAIN") || out.contains(WEB) || out.contains(OTHER_WEB) || out.contains("Name:"),
                name + " through " + server + " got an answer: " + out);
    }

    private long counted(String counter) {
        return network.packets(up, "count", counter);
    }

    private ScratchNetwork.Result fetch(String netns, String url) {
        return network.exec(netns, null, "timeout", "3", "busybox", "wget", "-q", "-O", "-", url);
    }

    @Test
    void blockedNamesAndTheNamesUnderThemGetNxdomainFromTheFilterAndTheRestResolvesUpstream() {
        long queries = counted("dns");
        assertResolves("allowed.test", "10.139.1.1", WEB);
        assertResolves("www.allowed.test", "10.139.1.2", WEB);
        assertTrue(counted("dns") > queries, "names that are not blocked are asked upstream");

        queries = counted("dns");
        assertBlocked("other.test", "10.139.1.1");
        assertBlocked("www.other.test", "10.139.1.2");
        assertBlocked("a.b.other.test", "10.139.1.1");
        assertEquals(queries, counted("dns"), "a blocked name was asked upstream");
        assertResolves("notother.test.allowed.test", "10.139.1.1", WEB);
    }

    @Test
    void aNewListAppliesAtOnce() {
        role.modified(config("allowed.test"));
        assertBlocked("allowed.test", "10.139.1.1");
        assertResolves("other.test", "10.139.1.1", OTHER_WEB);
        role.modified(config(""));
        assertResolves("allowed.test", "10.139.1.1", WEB);
    }

    @Test
    void aWrongListLeavesClientsWithoutDnsAndNothingGoesUpstreamUntilItIsRight() {
        role.modified(config("other.test, bad name"));
        long queries = counted("dns");
        assertNoDns(work, "allowed.test", "10.139.1.1");
        assertNoDns(work, "allowed.test", "10.139.1.2");
        assertEquals(queries, counted("dns"), "a query went upstream without the filter");
        assertEquals(PAGE, fetch(work, "http://" + WEB + "/").stdout(), "traffic other than DNS still flows");

        role.modified(config("other.test"));
        assertResolves("allowed.test", "10.139.1.1", WEB);
        assertBlocked("other.test", "10.139.1.1");
    }

    @Test
    void whenDnsmasqDiesClientsGetNoDnsAndNothingGoesUpstream() throws IOException {
        String pid = Files.readString(files.resolve("run/dnsmasq.pid")).strip();
        ScratchNetwork.check(ScratchNetwork.run(null, "kill", "-KILL", pid));
        Await.until("dnsmasq to die", () -> !Files.exists(Path.of("/proc", pid)) || readState(pid).startsWith("Z"));
        long queries = counted("dns");
        long start = System.nanoTime();
        assertNoDns(work, "allowed.test", "10.139.1.1");
        assertTrue(System.nanoTime() - start < 3_000_000_000L, "refused at once, not left to time out");
        assertEquals(queries, counted("dns"), "a query went upstream without the filter");

        role.modified(config("other.test"));
        assertResolves("allowed.test", "10.139.1.1", WEB);
    }

    private static String readState(String pid) {
        try {
            return Files.readAllLines(Path.of("/proc", pid, "status")).stream().filter(l -> l.startsWith("State:"))
                    .map(l -> l.substring("State:".length()).strip()).findFirst().orElse("");
        } catch (IOException e) {
            return "";
        }
    }

    @Test
    void dnsCannotBypassTheFilterByNamingAnotherServer() {
        long queries = counted("dns");
        assertNoDns(work, "other.test", RESOLVER);
        assertNoDns(work, "other.test", "10.137.0.3");
        assertEquals(queries, counted("dns"), "a query reached a server past the filter");
        assertResolves("allowed.test", "10.139.1.1", WEB);
    }

    @Test
    void clientsReachUpstreamMasqueradedApartFromEachOtherAndCannotForgeTheirAddress() {
        long unmasqueraded = counted("unmasqueraded");
        assertEquals(PAGE, fetch(work, "http://" + WEB + "/").stdout());
        assertEquals(PAGE, fetch(bank, "http://" + WEB + "/").stdout());
        assertEquals(unmasqueraded, counted("unmasqueraded"), "a client's own address reached upstream");

        assertNotEquals(0, fetch(work, "http://10.137.0.5:8080/").exitStatus(), "work reached bank");
        network.ip(work, "address add 10.137.0.99/32 dev eth0");
        try {
            long before = counted("from_filter");
            network.exec(work, null, "busybox", "ping", "-c", "2", "-W", "1", "-I", "10.137.0.99", WEB);
            assertEquals(before, counted("from_filter"), "packets from a forged address left the filter qube");
        } finally {
            network.ip(work, "address del 10.137.0.99/32 dev eth0");
        }
        network.ip(up, "route replace 10.137.0.0/16 via 10.137.0.3 dev vif3.0");
        try {
            assertNotEquals(0, fetch(up, "http://10.137.0.4:8081/").exitStatus(), "upstream reached work");
        } finally {
            network.ip(up, "route del 10.137.0.0/16 via 10.137.0.3 dev vif3.0");
        }
    }

    @Test
    void aClientLinkedAfterDnsmasqStartedIsAnswered() {
        String late = network.namespace("late");
        network.qubesLink(late, "10.137.0.6", dns, "vif6.0", "10.137.0.3");
        LinkEndpoint link = new LinkEndpoint(new LinkSpec("late", 6, "sys-dns", "10.137.0.6", "10.137.0.3"), "vif6.0", "eth0");
        assertNoDns(late, "allowed.test", "10.139.1.1");
        sysDns.attachClient(role, link);
        assertTrue(lookUp(late, "allowed.test", "10.139.1.1").contains("Address: " + WEB));
        assertTrue(lookUp(late, "other.test", "10.139.1.1").contains("NXDOMAIN"));
    }
}
