package dev.bulkhead.role.firewall.internal;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import dev.bulkhead.api.firewall.FirewallRule;
import dev.bulkhead.api.hypervisor.LinkEndpoint;
import dev.bulkhead.api.hypervisor.LinkSpec;

/** The rendered text, and its twin: the kernel accepts every shape (loaded into a scratch network namespace). */
class FirewallRulesetTest {
    static final LinkEndpoint WORK = new LinkEndpoint(new LinkSpec("work", 4, "sys-firewall", "10.137.0.4", "10.137.0.3"),
            "vif4.0", "eth0");
    static final LinkEndpoint BANK = new LinkEndpoint(new LinkSpec("bank", 5, "sys-firewall", "10.137.0.5", "10.137.0.3"),
            "vif5.0", "eth0");
    final String netns = "bh-test-fw-" + ProcessHandle.current().pid();

    static List<FirewallRule> rules(String... texts) {
        List<FirewallRule> rules = new ArrayList<>();
        for (String t : texts) {
            rules.add(FirewallRule.parse(t, Instant.EPOCH));
        }
        return rules;
    }

    @BeforeEach
    void scratchNamespace() throws Exception {
        run(null, "ip", "netns", "add", netns);
    }

    @AfterEach
    void removeNamespace() throws Exception {
        run(null, "ip", "netns", "delete", netns);
    }

    @Test
    void eachClientHasItsChainInOrderEndingInAReject() {
        ClientPolicy work = new ClientPolicy(WORK, rules("action=accept proto=tcp dstports=443", "action=drop"), Map.of(), null);
        List<String> statements = FirewallRuleset.rules(work);
        assertEquals(List.of("meta l4proto tcp th dport 443 accept", "reject with icmpx type admin-prohibited"), statements);
        String nft = FirewallRuleset.render(List.of(work));
        assertTrue(nft.contains("chain client-4 {\n    meta l4proto tcp th dport 443 accept\n"
                + "    reject with icmpx type admin-prohibited\n    reject with icmpx type admin-prohibited\n  }"), nft);
        assertTrue(nft.contains("iifname vmap { \"vif4.0\" : jump client-4 }"), nft);
    }

    @Test
    void consecutiveRulesOfOneShapeShareASet() {
        ClientPolicy work = new ClientPolicy(WORK, rules("action=accept proto=tcp dsthost=192.0.2.1 dstports=80",
                "action=accept proto=tcp dsthost=192.0.2.0/28 dstports=80", "action=drop proto=tcp dsthost=192.0.2.9 dstports=80",
                "action=accept specialtarget=dns", "action=accept dsthost=example.test"),
                Map.of("example.test", List.of("203.0.113.10", "2001:db8::10")), null);
        assertEquals(List.of("ip daddr { 192.0.2.1/32, 192.0.2.0/28 } meta l4proto tcp th dport 80 accept",
                "ip daddr 192.0.2.9/32 meta l4proto tcp th dport 80 reject with icmpx type admin-prohibited",
                "ip daddr { 10.139.1.1, 10.139.1.2 } meta l4proto { tcp, udp } th dport 53 accept",
                "ip daddr 203.0.113.10 accept", "ip6 daddr 2001:db8::10 accept"), FirewallRuleset.rules(work));
    }

    @Test
    void aBlockedClientHasOnlyTheReject() {
        ClientPolicy blocked = new ClientPolicy(WORK, rules("action=accept dsthost=nowhere.test"), Map.of(), "no such host");
        assertTrue(FirewallRuleset.render(List.of(blocked)).contains("chain client-4 {\n    reject with icmpx type admin-prohibited\n  }"));
    }

    @Test
    void theKernelTakesEveryFieldAndAThousandRules() throws Exception {
        List<FirewallRule> many = new ArrayList<>();
        for (int i = 0; i < 1000; i++) {
            many.add(FirewallRule.parse("action=accept proto=tcp dsthost=198.18." + (i / 250) + "." + (i % 250 + 1)
                    + " dstports=443", Instant.EPOCH));
        }
        many.addAll(rules("action=drop proto=icmp icmptype=8", "action=accept proto=udp dstports=1000-2000",
                "action=accept dsthost=2001:db8::/32 proto=tcp", "action=accept specialtarget=dns proto=udp",
                "action=drop dsthost=example.test", "action=accept"));
        ClientPolicy work = new ClientPolicy(WORK, many, Map.of("example.test", List.of("203.0.113.10")), null);
        ClientPolicy bank = new ClientPolicy(BANK, rules("action=accept"), Map.of(), null);
        for (String nft : List.of(FirewallRuleset.render(List.of(work, bank)), FirewallRuleset.render(List.of()))) {
            assertEquals("", run(nft, "ip", "netns", "exec", netns, "nft", "-f", "-"));
        }
    }

    @Test
    void nslookupAnswersAreRead() {
        String out = """
                Server:		10.139.1.1
                Address:	10.139.1.1:53

                Non-authoritative answer:
                Name:	example.test
                Address: 203.0.113.10
                Address 2: 2001:db8::10 example.test
                """;
        assertEquals(List.of("203.0.113.10", "2001:db8::10"), NslookupOutput.addresses(out));
        assertEquals(List.of(), NslookupOutput.addresses("Server: 10.139.1.1\nAddress: 10.139.1.1:53\n** server can't find x: NXDOMAIN\n"));
    }

    private static String run(String stdin, String... command) throws IOException, InterruptedException {
        Process p = new ProcessBuilder(command).redirectErrorStream(true).start();
        if (stdin != null) {
            p.getOutputStream().write(stdin.getBytes(StandardCharsets.UTF_8));
        }
        p.getOutputStream().close();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertTrue(p.waitFor(60, TimeUnit.SECONDS));
        assertEquals(0, p.exitValue(), String.join(" ", command) + ": " + out);
        return out;
    }
}
