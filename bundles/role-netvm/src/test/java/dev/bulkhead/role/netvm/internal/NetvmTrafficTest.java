package dev.bulkhead.role.netvm.internal;

import static dev.bulkhead.role.netvm.internal.UplinkTest.config;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
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

import dev.bulkhead.api.AdminException;
import dev.bulkhead.api.hypervisor.LinkEndpoint;
import dev.bulkhead.api.hypervisor.LinkSpec;
import dev.bulkhead.testing.ScratchNetwork;
import dev.bulkhead.testing.SystemTest;

/**
 * The twin of {@link NetvmRoleTest}: the role drives a real NetVM, a namespace linked to two
 * clients as in Qubes (vif4.0 to work, vif5.0 to bank), and gets its uplink as the backend's veth
 * mode gives it: a veth pair into another namespace, the outside, with a web server on a public
 * documentation address and packet counters. No namespace has a way out to the machine's own
 * network.
 */
@SystemTest
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class NetvmTrafficTest {
    static final String WEB = "203.0.113.10";
    static final String RESOLVER = "203.0.113.53";
    static final String PAGE = "the outside\n";
    static final String OUTSIDE_END = "bhup0";
    static final LinkEndpoint WORK = new LinkEndpoint(new LinkSpec("work", 4, "sys-net", "10.137.0.4", "10.137.0.2"), "vif4.0", "eth0");
    static final LinkEndpoint BANK = new LinkEndpoint(new LinkSpec("bank", 5, "sys-net", "10.137.0.5", "10.137.0.2"), "vif5.0", "eth0");

    @AutoClose
    private final ScratchNetwork network = new ScratchNetwork("nvt");
    private String net;
    private String work;
    private String bank;
    private String outside;
    private Path files;
    private String[] settings;
    private NetvmRole role;
    private TestRoleContext sysNet;

    @BeforeAll
    void buildTheNetwork() throws IOException {
        net = network.namespace("net");
        work = network.namespace("work");
        bank = network.namespace("bank");
        outside = network.namespace("out");
        settings = new String[] { "uplink.mode=veth", "uplink.host_interface=" + OUTSIDE_END, "uplink.host_namespace=" + outside,
                "uplink.address=198.51.100.2/24", "uplink.gateway=198.51.100.1", "dns=" + RESOLVER };
        network.qubesLink(work, "10.137.0.4", net, "vif4.0", "10.137.0.2");
        network.qubesLink(bank, "10.137.0.5", net, "vif5.0", "10.137.0.2");
        // as the lite backend sets it for a qube that provides network
        ScratchNetwork.check(network.exec(net, null, "sysctl", "-q", "-w", "net.ipv4.ip_forward=1", "net.ipv6.conf.all.forwarding=1"));
        network.ip(outside, "address add " + WEB + "/32 dev lo", "address add " + RESOLVER + "/32 dev lo");
        ScratchNetwork.check(network.exec(outside, """
                table inet count {
                  counter from_netvm { }
                  counter unmasqueraded { }
                  counter dns { }
                  counter virtual_dns { }
                  counter ipv6 { }
                  chain prerouting {
                    type filter hook prerouting priority -300; policy accept;
                    iifname "%1$s" meta nfproto ipv6 counter name ipv6
                    iifname "%1$s" meta nfproto ipv4 counter name from_netvm
                    ip saddr 10.137.0.0/16 counter name unmasqueraded
                    ip daddr %2$s udp dport 53 counter name dns
                    ip daddr 10.139.1.0/24 counter name virtual_dns
                  }
                }
                """.formatted(OUTSIDE_END, RESOLVER), "nft", "-f", "-"));
        files = network.directory("outside");
        Files.writeString(files.resolve("index.html"), PAGE);
        network.start(outside, "busybox", "httpd", "-f", "-p", WEB + ":80", "-h", files.toString());
        network.start(bank, "busybox", "httpd", "-f", "-p", "8080", "-h", files.toString());
        network.start(work, "busybox", "httpd", "-f", "-p", "8081", "-h", files.toString());
        network.start(net, "busybox", "httpd", "-f", "-p", "8082", "-h", files.toString());
    }

    /** A fresh role on the NetVM with work and bank attached; its uplink comes and goes as the veth mode does it. */
    @BeforeEach
    void startTheNetvm() {
        role = new NetvmRole(config(settings));
        sysNet = TestRoleContext.inNamespace("sys-net", 2, net);
        sysNet.onAttach(spec -> {
            ScratchNetwork.check(ScratchNetwork.run(null, "ip", "link", "add", spec.domainInterface(), "netns", net, "type", "veth",
                    "peer", "name", spec.hostInterface(), "netns", spec.hostNamespace()));
            network.ip(spec.hostNamespace(), "address add 198.51.100.1/24 dev " + spec.hostInterface(),
                    "link set " + spec.hostInterface() + " up");
        });
        sysNet.onDetach(spec -> ScratchNetwork.run(null, "ip", "-n", net, "link", "delete", spec.domainInterface()));
        role.started(sysNet);
        for (LinkEndpoint link : List.of(WORK, BANK)) {
            sysNet.attachClient(role, link);
        }
    }

    @AfterEach
    void stopTheNetvm() {
        role.stopping(sysNet);
    }

    private ScratchNetwork.Result fetch(String netns, String url) {
        return network.exec(netns, null, "timeout", "3", "busybox", "wget", "-q", "-O", "-", url);
    }

    private long counted(String counter) {
        return network.packets(outside, "count", counter);
    }

    private void lookUp(String server) {
        network.exec(work, null, "timeout", "2", "busybox", "nslookup", "a.test", server);
    }

    @Test
    void clientsReachTheOutsideMasqueradedAndTheVirtualDnsReachesTheResolver() {
        long unmasqueraded = counted("unmasqueraded");
        assertEquals(PAGE, fetch(work, "http://" + WEB + "/").stdout());
        assertEquals(PAGE, fetch(bank, "http://" + WEB + "/").stdout());
        assertEquals(unmasqueraded, counted("unmasqueraded"), "a client's own address reached the outside");

        long dns = counted("dns");
        lookUp("10.139.1.1");
        assertTrue(counted("dns") > dns, "10.139.1.1 did not reach the resolver");
        dns = counted("dns");
        lookUp("10.139.1.2");
        assertTrue(counted("dns") > dns, "10.139.1.2 did not reach the resolver");
        assertEquals(0, counted("virtual_dns"), "a virtual DNS address left the NetVM");
        assertEquals(0, counted("ipv6"), "the NetVM sent IPv6 of its own upstream (as a router, its kernel reports multicast groups)");
    }

    @Test
    void withoutAResolverDnsGoesNowhere() {
        String[] noDns = settings.clone();
        noDns[noDns.length - 1] = "dns=";
        role.modified(config(noDns));
        long dns = counted("dns");
        lookUp("10.139.1.1");
        lookUp("10.139.1.2");
        assertEquals(dns, counted("dns"));
        assertEquals(0, counted("virtual_dns"), "a virtual DNS address left the NetVM");
        assertEquals(PAGE, fetch(work, "http://" + WEB + "/").stdout(), "the uplink itself stays");
    }

    @Test
    void clientsAreKeptApartCannotForgeTheirAddressAndNothingConnectsIntoThem() {
        assertNotEquals(0, fetch(work, "http://10.137.0.5:8080/").exitStatus(), "work reached bank");
        assertNotEquals(0, fetch(work, "http://10.137.0.2:8082/").exitStatus(), "work reached a service of the NetVM");
        ScratchNetwork.check(network.exec(work, null, "busybox", "ping", "-c", "1", "-W", "2", "10.137.0.2"));

        network.ip(work, "address add 10.137.0.99/32 dev eth0");
        try {
            long before = counted("from_netvm");
            network.exec(work, null, "busybox", "ping", "-c", "2", "-W", "1", "-I", "10.137.0.99", WEB);
            assertEquals(before, counted("from_netvm"), "packets from a forged address left the NetVM");
        } finally {
            network.ip(work, "address del 10.137.0.99/32 dev eth0");
        }

        network.ip(outside, "route replace 10.137.0.0/16 via 198.51.100.2 dev " + OUTSIDE_END);
        assertNotEquals(0, fetch(outside, "http://10.137.0.4:8081/").exitStatus(), "the outside reached work");
        assertEquals(PAGE, fetch(work, "http://127.0.0.1:8081/").stdout(), "work's server does run");
    }

    @Test
    void wrongSettingsTakeTheUplinkAwayAndRightOnesBringItBack() {
        String[] wrong = settings.clone();
        wrong[4] = "uplink.gateway=192.0.2.1";
        role.modified(config(wrong));
        assertNotEquals(0, network.exec(net, null, "ip", "link", "show", Uplink.INTERFACE).exitStatus(), "the uplink is still there");
        assertNotEquals(0, fetch(work, "http://" + WEB + "/").exitStatus());

        role.modified(config(settings));
        assertEquals(PAGE, fetch(work, "http://" + WEB + "/").stdout());
    }

    @Test
    void aNetvmStartedWithWrongSettingsSaysWhichAndHasNoUplink() {
        role.stopping(sysNet);
        String[] wrong = settings.clone();
        wrong[3] = "uplink.address=198.51.100.2";
        NetvmRole misconfigured = new NetvmRole(config(wrong));
        AdminException e = assertThrows(AdminException.class, () -> misconfigured.started(sysNet));
        assertTrue(e.getMessage().contains("uplink.address"), e.getMessage());
        assertNotEquals(0, network.exec(net, null, "ip", "link", "show", Uplink.INTERFACE).exitStatus());
        assertNotEquals(0, fetch(work, "http://" + WEB + "/").exitStatus());
    }
}
