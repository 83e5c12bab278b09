package dev.bulkhead.role.netvm.internal;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.concurrent.TimeUnit;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import dev.bulkhead.api.hypervisor.LinkEndpoint;
import dev.bulkhead.api.hypervisor.LinkSpec;

/** The rendered text, and its twin: the kernel accepts it (loaded for real into a scratch network namespace). */
class NetvmRulesetTest {
    static final List<LinkEndpoint> CLIENTS = List.of(
            new LinkEndpoint(new LinkSpec("sys-firewall", 3, "sys-net", "10.137.0.3", "10.137.0.2"), "vif3.0", "eth0"),
            new LinkEndpoint(new LinkSpec("work", 4, "sys-net", "10.137.0.4", "10.137.0.2"), "vif4.0", "eth0"));
    final String netns = "bh-test-netvm-" + ProcessHandle.current().pid();

    @BeforeEach
    void scratchNamespace() throws Exception {
        run(null, "ip", "netns", "add", netns);
    }

    @AfterEach
    void removeNamespace() throws Exception {
        run(null, "ip", "netns", "delete", netns);
    }

    @Test
    void clientsAreKeptApartAndDnsGoesUpstream() {
        String nft = NetvmRuleset.render("uplink0", List.of("198.51.100.53"), CLIENTS);
        assertTrue(nft.contains("elements = { \"vif3.0\" . 10.137.0.3, \"vif4.0\" . 10.137.0.4 }"), nft);
        assertTrue(nft.contains("dnat ip to 198.51.100.53"), nft);
        assertTrue(nft.contains("oifname \"uplink0\" masquerade"), nft);
        assertTrue(nft.contains("iifname \"vif*\" oifname \"vif*\" drop"), nft);
        assertTrue(nft.startsWith("table inet bulkhead {}\ndelete table inet bulkhead\n"), "replaced in one transaction");
    }

    @Test
    void withoutResolversDnsIsDroppedAndWithoutUplinkNothingIsForwarded() {
        String nft = NetvmRuleset.render(null, List.of(), CLIENTS);
        assertFalse(nft.contains("dnat"), nft);
        assertFalse(nft.contains("accept\n  }\n  chain input"), nft);
        assertFalse(nft.contains("masquerade"), nft);
    }

    @Test
    void theKernelTakesEveryShapeAndAReloadReplacesIt() throws Exception {
        for (String nft : List.of(NetvmRuleset.render("uplink0", List.of("198.51.100.53"), CLIENTS),
                NetvmRuleset.render(null, List.of(), List.of()),
                NetvmRuleset.render("uplink0", List.of(), CLIENTS.subList(0, 1)))) {
            assertEquals("", run(nft, "ip", "netns", "exec", netns, "nft", "-f", "-"));
        }
        String listed = run(null, "ip", "netns", "exec", netns, "nft", "list", "table", "inet", "bulkhead");
        assertTrue(listed.contains("\"vif3.0\" . 10.137.0.3") && !listed.contains("vif4.0"), listed);
    }

    private static String run(String stdin, String... command) throws IOException, InterruptedException {
        Process p = new ProcessBuilder(command).redirectErrorStream(true).start();
        if (stdin != null) {
            p.getOutputStream().write(stdin.getBytes(StandardCharsets.UTF_8));
        }
        p.getOutputStream().close();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertTrue(p.waitFor(30, TimeUnit.SECONDS));
        assertEquals(0, p.exitValue(), String.join(" ", command) + ": " + out);
        return out;
    }
}
