package dev.bulkhead.it;

import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertFalse;
import static org.junit.Assert.assertNotEquals;
import static org.junit.Assert.assertTrue;

import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import javax.inject.Inject;

import org.junit.Before;
import org.junit.Test;
import org.osgi.service.cm.ConfigurationAdmin;

import dev.bulkhead.api.ExecResult;
import dev.bulkhead.api.Label;
import dev.bulkhead.api.QubeClass;
import dev.bulkhead.api.QubeSpec;
import dev.bulkhead.api.firewall.FirewallRule;

/**
 * The Qubes chain work → sys-firewall → sys-net → the outside with the real roles, every qube a QEMU virtual machine
 * (TCG here): work reaches a server outside; a firewall rule on work is enforced by sys-firewall's own kernel (its
 * ruleset is in the guest, none in the host's namespace of its QEMU), counted where the packets arrive outside; once
 * sys-firewall is killed not one packet of work's reaches the outside. The VMs boot once, for the one test.
 */
public class QemuNetworkIT extends GatewayTestSupport {
    /** Where the outside listens beside its web server: a stream of lines ({@link OutsideNetwork#startStreamServer}). */
    private static final int STREAM = OutsideNetwork.STREAM_PORT;
    private static final Pattern PACKETS = Pattern.compile("packets ([0-9]+)");

    @Inject
    private ConfigurationAdmin configAdmin;

    @Override
    protected List<String> bundles() {
        return QemuBackendIT.withQemu(BUNDLES);
    }

    @Before
    public void onQemu() throws Exception {
        QemuBackendIT.moveCoreToQemu(this, configAdmin);
    }

    /** The qubes go while the core still runs them on qemu; then the core is back on its default. */
    @Override
    public void tearDownTheNetwork() throws Exception {
        try {
            super.tearDownTheNetwork();
        } finally {
            QemuBackendIT.setCoreBackend(configAdmin, "auto");
        }
    }

    /** Packets that arrived at the outside from sys-net's uplink for the web server, by TCP port (0: any protocol). */
    private long packetsTo(String counter) {
        String listed = host("ip", "netns", "exec", outside.netns, "nft", "list", "counter", "inet", "qemu_chain", counter);
        Matcher m = PACKETS.matcher(listed);
        assertTrue(listed, m.find());
        return Long.parseLong(m.group(1));
    }

    /** Connects from work to the web server's port and returns the first line it answers, or the failure. */
    private ExecResult connect(int port, String request) {
        return run("work", "sh", "-c", "printf '" + request + "' | timeout 5 nc " + OutsideNetwork.WEB + " " + port + " | head -n 1");
    }

    private String qemuNetns(String qube) {
        return "bq-" + instanceTag() + "-" + qube;
    }

    @Test
    public void workReachesTheOutsideThroughTheFirewallVmsKernelAndNothingOnceItIsKilled() throws Exception {
        long begin = System.nanoTime();
        buildUpstream();
        outside.startStreamServer();
        HostCommand.Result counters = HostCommand.runWithInput("""
                table inet qemu_chain {
                  counter web {}
                  counter web_http {}
                  counter web_stream {}
                  chain prerouting {
                    type filter hook prerouting priority -300; policy accept;
                    iifname "%1$s" ip daddr %2$s counter name web
                    iifname "%1$s" ip daddr %2$s tcp dport 80 counter name web_http
                    iifname "%1$s" ip daddr %2$s tcp dport %3$d counter name web_stream
                  }
                }
                """.formatted(OutsideNetwork.UPLINK, OutsideNetwork.WEB, STREAM), "ip", "netns", "exec", outside.netns, "nft", "-f", "-");
        assertEquals(counters.stderr(), 0, counters.exitStatus());
        admin().create(new QubeSpec("work", QubeClass.AppVM, Label.BLUE, Map.of("netvm", "sys-firewall")));
        startChain("work");
        long booted = System.nanoTime();

        // work → sys-firewall → sys-net → outside, each hop a guest kernel
        ExecResult page = connect(80, "GET / HTTP/1.0\\r\\n\\r\\n");
        assertTrue("work fetching the outside's page: " + page.stdoutText() + page.stderrText(), page.stdoutText().startsWith("HTTP/1."));
        assertEquals("tick", connect(STREAM, "").stdoutText().strip());
        assertTrue(packetsTo("web_http") > 0 && packetsTo("web_stream") > 0);

        // a rule on work: the stream's port is dropped, the rest accepted
        admin().setFirewallRules("work", List.of(FirewallRule.parse("action=drop proto=tcp dstports=" + STREAM, Instant.now()),
                FirewallRule.parse("action=accept", Instant.now())));
        String guestRuleset = runOk("sys-firewall", "nft", "list", "ruleset");
        assertTrue("the rule is in sys-firewall's own kernel: " + guestRuleset, guestRuleset.contains(Integer.toString(STREAM)));
        String hostSide = host("ip", "netns", "exec", qemuNetns("sys-firewall"), "nft", "list", "ruleset");
        assertFalse("no filtering in the host's namespace of its QEMU, which only joins its tap to its links: " + hostSide,
                hostSide.contains("table inet") || hostSide.contains("table ip "));
        long streamBefore = packetsTo("web_stream");
        long httpBefore = packetsTo("web_http");
        ExecResult dropped = connect(STREAM, "");
        assertNotEquals("the dropped port answered: " + dropped.stdoutText(), "tick", dropped.stdoutText().strip());
        assertTrue(connect(80, "GET / HTTP/1.0\\r\\n\\r\\n").stdoutText().startsWith("HTTP/1."));
        assertEquals("packets to the dropped port reached the outside", streamBefore, packetsTo("web_stream"));
        assertTrue("the accepted port's packets reach the outside", packetsTo("web_http") > httpBefore);

        // sys-firewall killed: nothing of work's gets out any more
        admin().kill("sys-firewall");
        long before = packetsTo("web");
        ExecResult cut = connect(80, "GET / HTTP/1.0\\r\\n\\r\\n");
        assertFalse("work fetched the page with sys-firewall killed: " + cut.stdoutText(), cut.stdoutText().startsWith("HTTP/1."));
        run("work", "ping", "-c", "2", "-W", "1", OutsideNetwork.WEB);
        run("work", "sh", "-c", "echo leak | timeout 2 nc -u " + OutsideNetwork.WEB + " 9999");
        assertEquals("packets of work's reached the outside with sys-firewall killed", before, packetsTo("web"));
        System.out.printf("QemuNetworkIT: three TCG VMs booted in %d ms, the whole chain test took %d ms%n",
                Duration.ofNanos(booted - begin).toMillis(), Duration.ofNanos(System.nanoTime() - begin).toMillis());
    }
}
