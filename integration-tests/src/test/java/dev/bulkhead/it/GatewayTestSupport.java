package dev.bulkhead.it;

import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertNotEquals;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Comparator;
import java.util.Dictionary;
import java.util.Hashtable;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import org.junit.After;
import org.osgi.service.cm.Configuration;
import org.osgi.service.cm.ConfigurationAdmin;

import dev.bulkhead.api.ExecResult;
import dev.bulkhead.api.Label;
import dev.bulkhead.api.QubeAdmin;
import dev.bulkhead.api.QubeClass;
import dev.bulkhead.api.QubeSpec;

/**
 * What the tests of gateway roles (TorVM, VPN-VM) share: the outside, sys-net with its uplink to
 * it, sys-firewall behind sys-net, and a way to show that nothing a qube tries reaches the outside.
 */
public abstract class GatewayTestSupport extends BulkheadTestSupport {
    protected OutsideNetwork outside;
    private final Map<String, Configuration> configurations = new LinkedHashMap<>();
    private Path files;

    /** The outside, and sys-net (its uplink in the outside) and sys-firewall, created and not started. */
    protected void buildUpstream() throws IOException {
        outside = new OutsideNetwork();
        configure("dev.bulkhead.role.netvm", outside.netvmUplink(), "(uplink.host_namespace=" + outside.netns + ")");
        QubeAdmin admin = admin();
        admin.create(new QubeSpec("sys-net", QubeClass.AppVM, Label.RED, Map.of("provides_network", "True")));
        admin.setFeature("sys-net", "role", "netvm");
        admin.create(new QubeSpec("sys-firewall", QubeClass.AppVM, Label.GREEN,
                Map.of("provides_network", "True", "netvm", "sys-net")));
        admin.setFeature("sys-firewall", "role", "firewall");
    }

    /** A network-providing qube with a role, behind {@code netvm}. */
    protected void createGateway(String name, String role, String netvm) {
        admin().create(new QubeSpec(name, QubeClass.AppVM, Label.PURPLE, Map.of("provides_network", "True", "netvm", netvm)));
        admin().setFeature(name, "role", role);
    }

    /** Starts sys-net, gives the outside its end of the uplink, then starts {@code qube} with the rest of its chain. */
    protected void startChain(String qube) {
        admin().start("sys-net");
        outside.uplinkUp();
        admin().start(qube);
    }

    /** Sets a configuration and waits until the role service shows it in its properties. */
    protected void configure(String pid, Map<String, String> settings, String roleFilter) throws IOException {
        awaitService("(objectClass=" + ConfigurationAdmin.class.getName() + ")");
        // held for the whole test: ConfigurationAdmin is a bundle-scoped service
        ConfigurationAdmin configAdmin = context.getService(context.getServiceReference(ConfigurationAdmin.class));
        Configuration config = configAdmin.getConfiguration(pid, "?");
        Dictionary<String, Object> props = new Hashtable<>(settings);
        config.update(props);
        configurations.put(pid, config);
        awaitService("(&(objectClass=dev.bulkhead.api.role.QubeRole)" + roleFilter + ")");
    }

    /**
     * Writes a wg-quick file as a VPN provider gives it, for the outside's WireGuard server, and
     * returns its path. Line 3 holds the private key, line 10 the endpoint.
     */
    protected Path wgQuick(String fileName, String privateKey, String serverPublicKey) throws IOException {
        if (files == null) {
            files = Files.createTempDirectory("bulkhead-wg-quick");
        }
        Path file = files.resolve(fileName);
        Files.writeString(file, """
                # sys-vpn at the test's VPN provider
                [Interface]
                PrivateKey = %s
                Address = %s/32
                DNS = %s

                [Peer]
                PublicKey = %s
                AllowedIPs = 0.0.0.0/0
                Endpoint = %s:%d
                """.formatted(privateKey, OutsideNetwork.TUNNEL_CLIENT, OutsideNetwork.TUNNEL_SERVER, serverPublicKey,
                OutsideNetwork.WG_ENDPOINT, OutsideNetwork.WG_PORT));
        return file;
    }

    protected static String publicKey(String privateKey) {
        return HostCommand.runWithInput(privateKey + "\n", "wg", "pubkey").stdout().strip();
    }

    /** sys-tor's established connections on tor's TransPort, with the process that holds each. */
    protected String transPortConnections(String torVm) {
        return host("ip", "netns", "exec", netnsOfRunning(torVm), "ss", "-tnpH", "state", "established", "( sport = :9040 )");
    }

    /** A qube's address on its link to its netvm. */
    protected String addressOf(String qube) {
        return host("ip", "-n", netnsOfRunning(qube), "-4", "-o", "address", "show", "eth0").split("\\s+")[3].split("/")[0];
    }

    @After
    public void tearDownTheNetwork() throws Exception {
        removeQubes();
        try {
            for (Configuration c : configurations.values()) {
                c.delete();
            }
        } finally {
            if (outside != null) {
                outside.close();
            }
            if (files != null) {
                try (var all = Files.walk(files)) {
                    all.sorted(Comparator.reverseOrder()).forEach(f -> f.toFile().delete());
                }
            }
        }
    }

    /** The page at {@code address}, fetched from the qube with a time limit. */
    protected ExecResult fetch(String qube, String address) {
        return run(qube, "timeout", "5", "wget", "-q", "-O", "-", "http://" + address + ":80/");
    }

    /**
     * The qube tries TCP, DNS (through its virtual DNS address and straight to the outside's),
     * ICMP and UDP; none of it gets through, and the outside counts nothing more of the given kinds.
     */
    protected void assertNothingLeaves(String qube, List<String> kinds) {
        Map<String, Long> before = outside.packetsByKind();
        assertNotEquals("TCP got through", 0, run(qube, "timeout", "3", "wget", "-q", "-O", "-", "http://" + OutsideNetwork.WEB + ":80/")
                .exitStatus());
        assertNotEquals("DNS got through", 0, run(qube, "timeout", "3", "nslookup", OutsideNetwork.WEB_NAME).exitStatus());
        assertNotEquals("DNS got through", 0,
                run(qube, "timeout", "3", "nslookup", OutsideNetwork.WEB_NAME, OutsideNetwork.DNS).exitStatus());
        assertNotEquals("ICMP got through", 0, HostCommand.run("ip", "netns", "exec", netnsOfRunning(qube), "busybox", "ping", "-c",
                "1", "-W", "1", OutsideNetwork.WEB).exitStatus());
        run(qube, "sh", "-c", "echo leak | nc -u -w 1 " + OutsideNetwork.WEB + " 9999");
        Map<String, Long> after = outside.packetsByKind();
        for (String kind : kinds) {
            assertEquals(kind + " from " + qube + " reached the outside: " + before + " then " + after, before.get(kind), after.get(kind));
        }
    }
}
