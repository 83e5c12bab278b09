package dev.bulkhead.role.firewall.internal;

import static dev.bulkhead.role.firewall.internal.FirewallRulesetTest.BANK;
import static dev.bulkhead.role.firewall.internal.FirewallRulesetTest.REJECT;
import static dev.bulkhead.role.firewall.internal.FirewallRulesetTest.WORK;
import static dev.bulkhead.role.firewall.internal.FirewallRulesetTest.rules;
import static dev.bulkhead.testing.RecordingRoleContext.failed;
import static dev.bulkhead.testing.RecordingRoleContext.ok;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import dev.bulkhead.api.AdminException;
import dev.bulkhead.api.ExecResult;
import dev.bulkhead.api.Settings;
import dev.bulkhead.testing.Await;
import dev.bulkhead.testing.RecordingRoleContext;

/**
 * The role against a FirewallVM that answers with canned output: what it loads, what it looks up
 * and when, and what it says. {@link FirewallTrafficTest} is its twin with real namespaces and packets.
 */
class FirewallRoleTest {
    /** Host names the FirewallVM's resolver knows. */
    final Map<String, String> dns = new ConcurrentHashMap<>(Map.of("a.test", "203.0.113.10", "b.test", "203.0.113.20"));
    final AtomicInteger nftRefusals = new AtomicInteger();
    /** What the FirewallVM's filter holds, after the rulesets it accepted. */
    final LoadedFilter filter = new LoadedFilter();
    volatile boolean lookupBroken;
    /** Lookups wait for it: a resolver that does not answer until it is opened. */
    volatile CountDownLatch lookupGate = new CountDownLatch(0);
    final CountDownLatch lookupStarted = new CountDownLatch(1);
    ExecResult forgetting = failed(1, "conntrack v1.4.7 (conntrack-tools): 0 flow entries have been deleted.");
    /** What the FirewallVM's root lacks, as asked after a command failed: one program a line. */
    volatile String lacking = "";
    final FirewallRole role = new FirewallRole(Settings.of(FirewallConfig.class, Map.of()));
    RecordingRoleContext firewall;

    @BeforeEach
    void firewallVm() {
        firewall = new RecordingRoleContext("sys-firewall", 3, "firewall", this::answer);
    }

    @AfterEach
    void stopRole() {
        lookupGate.countDown();
        role.deactivate();
    }

    private ExecResult answer(List<String> argv, String stdin) {
        return answer(argv, stdin, filter);
    }

    private ExecResult answer(List<String> argv, String stdin, LoadedFilter filter) {
        if (argv.equals(List.of("nft", "-f", "-"))) {
            return load(stdin, filter) ? ok("") : failed(1, "Error: syntax error");
        }
        if (argv.size() == 5 && argv.get(0).equals("/bin/sh") && argv.get(2).equals(FilterLoader.LOAD_THEN_CUT)) {
            return load(stdin, filter) ? forgetting : failed(FilterLoader.NFT_REFUSED, "Error: syntax error");
        }
        if (argv.get(0).equals("conntrack")) {
            return forgetting;
        }
        if (argv.get(0).equals("/bin/sh") && argv.get(2).equals(HostNameLookup.SCRIPT)) {
            lookupStarted.countDown();
            try {
                lookupGate.await();
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return failed(124, "timed out");
            }
            if (lookupBroken) {
                return failed(1, "mktemp: No space left on device");
            }
            StringBuilder out = new StringBuilder();
            for (String name : argv.subList(4, argv.size())) {
                out.append("### ").append(name).append("\nServer:\t\t10.139.1.1\nAddress:\t10.139.1.1:53\n\n");
                String address = dns.get(name);
                out.append(address == null ? "** server can't find " + name + ": NXDOMAIN\n" : "Name:\t" + name + "\nAddress: " + address + "\n");
            }
            return ok(out.toString());
        }
        if (argv.get(0).equals("/bin/sh") && argv.containsAll(List.of("nft", "conntrack"))) {
            return ok(lacking);
        }
        throw new AssertionError("unexpected command " + argv);
    }

    /** Whether the kernel takes the ruleset; if it does, the filter holds it. */
    private boolean load(String ruleset, LoadedFilter filter) {
        if (nftRefusals.getAndDecrement() > 0) {
            return false;
        }
        filter.accept(ruleset);
        return true;
    }

    /** The names each lookup asked for, in order. */
    private List<List<String>> lookups() {
        return firewall.commands.stream().filter(c -> c.argv().get(0).equals("/bin/sh") && c.argv().get(2).equals(HostNameLookup.SCRIPT)).map(c -> c.argv().subList(4, c.argv().size()))
                .toList();
    }

    @Test
    void startingLoadsAFilterWithoutClientsAndAClientGetsItsChain() {
        role.started(firewall);
        assertFalse(filter.now().contains("chain client-"));
        firewall.attachClient(role, WORK);
        assertTrue(filter.now().contains("chain client-4 {\n    comment \"work\"\n    accept\n  }"),
                "the core's default rule list accepts all: " + filter.now());
        firewall.rules.put("work", rules("action=accept proto=tcp dstports=443"));
        role.clientChanged(firewall, WORK);
        assertTrue(filter.now().contains("    tcp dport 443 accept\n    " + REJECT + "\n  }"), filter.now());
        assertEquals(List.of(), lookups(), "no host names, no lookups");
    }

    @Test
    void onlyTheClientThatChangedHasItsNamesLookedUpAgain() {
        role.started(firewall);
        firewall.rules.put("work", rules("action=accept dsthost=a.test"));
        firewall.rules.put("bank", rules("action=accept dsthost=b.test"));
        firewall.attachClient(role, WORK);
        Await.until("work's name to be in force", () -> filter.now().contains("ip daddr 203.0.113.10 accept"));
        firewall.attachClient(role, BANK);
        Await.until("bank's name to be in force", () -> filter.now().contains("ip daddr 203.0.113.20 accept"));
        dns.put("b.test", "203.0.113.99");
        firewall.rules.put("work", rules("action=accept dsthost=a.test proto=tcp"));
        role.clientChanged(firewall, WORK);
        Await.until("work's name to be looked up again", () -> lookups().size() == 3);
        assertEquals(List.of(List.of("a.test"), List.of("b.test"), List.of("a.test")), lookups());
        String nft = filter.now();
        assertTrue(nft.contains("ip daddr 203.0.113.10 meta l4proto tcp accept") && nft.contains("ip daddr 203.0.113.20 accept"),
                "bank keeps what was looked up for it: " + nft);
        role.clientChanged(firewall, BANK);
        Await.until("bank's new answer to be in force", () -> filter.now().contains("ip daddr 203.0.113.99 accept"));
    }

    /**
     * Qubes' sys-firewall keeps a rule whose name does not resolve and blocks what it would allow:
     * the change is no refusal, the rule allows nothing (a drop rule drops to every address), the
     * rest of the client's rules and the other clients are as ever, and clientProblems says why.
     */
    @Test
    void aNameThatDoesNotResolveAllowsNothingAndIsReportedNotRefused() {
        role.started(firewall);
        firewall.attachClient(role, WORK);
        firewall.attachClient(role, BANK);
        firewall.rules.put("work", rules("action=accept dsthost=a.test", "action=accept dsthost=nowhere.test", "action=accept proto=udp"));
        role.clientChanged(firewall, WORK);
        String nft = filter.now();
        assertTrue(nft.contains("comment \"work\"\n    ip daddr 203.0.113.10 accept\n    meta l4proto udp accept\n    " + REJECT + "\n  }"), nft);
        assertTrue(nft.contains("chain client-5 {\n    comment \"bank\"\n    accept\n  }"), nft);
        assertTrue(firewall.commands.stream().anyMatch(c -> c.argv().equals(List.of("/bin/sh", "-c", FilterLoader.LOAD_THEN_CUT, "sh", "10.137.0.4"))),
                "its open connections are cut as well");
        List<String> problems = role.clientProblems(firewall, WORK);
        assertEquals(1, problems.size(), problems.toString());
        assertTrue(problems.get(0).contains("rule 1 of 'work'") && problems.get(0).contains("'nowhere.test' does not resolve in 'sys-firewall'")
                && problems.get(0).contains("allows nothing"), problems.get(0));
        assertEquals(List.of(), role.clientProblems(firewall, BANK));

        firewall.rules.put("work", rules("action=drop dsthost=nowhere.test", "action=accept"));
        role.clientChanged(firewall, WORK);
        assertTrue(filter.now().contains("comment \"work\"\n    " + REJECT + "\n  }"), filter.now());
        assertTrue(role.clientProblems(firewall, WORK).get(0).contains("drops to every address"), role.clientProblems(firewall, WORK).toString());
        Await.until("the name to be looked up again after the change", () -> lookups().size() == 2);

        dns.put("nowhere.test", "198.51.100.7");
        role.clientChanged(firewall, WORK);
        Await.until("the name to be in force once it resolves", () -> filter.now().contains("ip daddr 198.51.100.7 " + REJECT));
        assertEquals(List.of(), role.clientProblems(firewall, WORK));
    }

    @Test
    void aClientAttachedWithANameThatDoesNotResolveIsAttachedWithTheRuleAllowingNothing() {
        role.started(firewall);
        firewall.rules.put("work", rules("action=accept dsthost=nowhere.test"));
        firewall.attachClient(role, WORK);
        assertTrue(filter.now().contains("chain client-4 {\n    comment \"work\"\n    " + REJECT + "\n  }"));
        Await.until("the lookup to end", () -> !role.clientProblems(firewall, WORK).get(0).contains("still being looked up"));
        assertTrue(role.clientProblems(firewall, WORK).get(0).contains("'nowhere.test' does not resolve"));
    }

    @Test
    void whenNothingCanBeLookedUpRulesWithNamesAllowNothingAndSayWhy() {
        role.started(firewall);
        lookupBroken = true;
        firewall.rules.put("work", rules("action=accept dsthost=a.test", "action=accept proto=tcp dstports=22"));
        firewall.attachClient(role, WORK);
        assertTrue(filter.now().contains("comment \"work\"\n    tcp dport 22 accept\n    " + REJECT + "\n  }"), filter.now());
        Await.until("the lookup to fail", () -> role.clientProblems(firewall, WORK).get(0).contains("No space left on device"));
    }

    /**
     * A resolver that never answers: the calls the core makes while it holds its lifecycle lock
     * (a start, a client's link) return while the lookup is still pending, the client gets nothing
     * its names would allow meanwhile, and the answer, once it comes, is put in force by itself.
     */
    @Test
    void aLookupThatIsNeverAnsweredHoldsUpNoCallOfTheCore() throws Exception {
        role.started(firewall);
        firewall.rules.put("work", rules("action=accept dsthost=a.test", "action=accept proto=udp"));
        lookupGate = new CountDownLatch(1);
        ExecutorService core = Executors.newSingleThreadExecutor();
        try {
            core.submit(() -> firewall.attachClient(role, WORK)).get(10, TimeUnit.SECONDS);
            assertTrue(lookupStarted.await(10, TimeUnit.SECONDS), "the name is looked up");
            core.submit(() -> firewall.attachClient(role, BANK)).get(10, TimeUnit.SECONDS);
            core.submit(() -> role.started(otherFirewall())).get(10, TimeUnit.SECONDS);
            // a change bringing no new name (as when expired rules go) does not wait for the pending answer
            core.submit(() -> role.clientChanged(firewall, WORK)).get(FirewallRole.ANSWER_WAIT.toSeconds() / 2, TimeUnit.SECONDS);
            assertEquals(1, lookupGate.getCount(), "the lookup is still pending");
            assertTrue(filter.now().contains("comment \"work\"\n    meta l4proto udp accept\n    " + REJECT + "\n  }"),
                    filter.now());
            assertTrue(role.clientProblems(firewall, WORK).get(0).contains("still being looked up"));
        } finally {
            core.shutdownNow();
        }
        lookupGate.countDown();
        Await.until("the answer to be in force", () -> filter.now().contains("ip daddr 203.0.113.10 accept"));
        assertEquals(List.of(), role.clientProblems(firewall, WORK));
    }

    /** Nobody asks again: the background lookup finds the name resolving now, and the filter follows. */
    @Test
    void aNameThatStartsToResolveIsPutInForceByItself() {
        FirewallRole eager = new FirewallRole(Settings.of(FirewallConfig.class, Map.of("dns.retry", "1")));
        try {
            eager.started(firewall);
            firewall.rules.put("work", rules("action=accept dsthost=later.test"));
            firewall.attachClient(eager, WORK);
            Await.until("the first lookup to end", () -> !eager.clientProblems(firewall, WORK).get(0).contains("still being looked up"));
            dns.put("later.test", "198.51.100.8");
            Await.until("the name to be in force", () -> filter.now().contains("ip daddr 198.51.100.8 accept"));
            assertEquals(List.of(), eager.clientProblems(firewall, WORK));
        } finally {
            eager.deactivate();
        }
    }

    @Test
    void badSettingsAreRefusedNamingThem() {
        FirewallRoleProvider provider = new FirewallRoleProvider();
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> provider.create(Map.of("dns.retry", "0")));
        assertTrue(e.getMessage().contains("dns_retry '0'"), e.getMessage());
        e = assertThrows(IllegalArgumentException.class, () -> provider.create(Map.of("dns.refresh", "soon")));
        assertTrue(e.getMessage().contains("dns.refresh") && e.getMessage().contains("soon"), e.getMessage());
        e = assertThrows(IllegalArgumentException.class, () -> provider.create(Map.of("ttl", "5")));
        assertTrue(e.getMessage().contains("[ttl]"), e.getMessage());
    }

    private RecordingRoleContext otherFirewall() {
        LoadedFilter its = new LoadedFilter();
        return new RecordingRoleContext("sys-firewall2", 6, "firewall", (argv, stdin) -> answer(argv, stdin, its));
    }

    @Test
    void whenTheKernelRefusesAFilterEveryClientIsCutOffRatherThanLeftOnTheOldRules() {
        role.started(firewall);
        firewall.attachClient(role, WORK);
        // the change, then the whole filter
        nftRefusals.set(2);
        firewall.rules.put("work", rules("action=drop proto=tcp dstports=25", "action=accept"));
        AdminException e = assertThrows(AdminException.class, () -> role.clientChanged(firewall, WORK));
        assertTrue(e.getMessage().contains("syntax error") && e.getMessage().contains("cut off"), e.getMessage());
        String nft = filter.now();
        assertTrue(nft.contains("chain client-4 {\n    comment \"work\"\n    " + REJECT + "\n  }"), nft);
    }

    /**
     * A change to one client is one command in the FirewallVM: a transaction that flushes and refills that client's
     * chain alone, then the cut of its connections. The other client's chain and elements are not in it.
     */
    @Test
    void aChangeToOneClientReplacesItsChainAloneInOneCommand() {
        role.started(firewall);
        firewall.attachClient(role, WORK);
        firewall.attachClient(role, BANK);
        int before = firewall.commands.size();
        firewall.rules.put("work", rules("action=accept proto=tcp dstports=443"));
        role.clientChanged(firewall, WORK);

        assertEquals(1, firewall.commands.size() - before, firewall.commands.subList(before, firewall.commands.size()).toString());
        String change = filter.loads().get(filter.loads().size() - 1);
        assertEquals("flush chain inet bulkhead client-4\ntable inet bulkhead {\n  chain client-4 {\n    tcp dport 443 accept\n    " + REJECT
                + "\n  }\n}\n", change);
        String nft = filter.now();
        assertTrue(nft.contains("chain client-4 {\n    comment \"work\"\n    tcp dport 443 accept\n    " + REJECT + "\n  }"), nft);
        assertTrue(nft.contains("chain client-5 {\n    comment \"bank\"\n    accept\n  }"), nft);
    }

    /** A change the kernel refuses (the table altered inside the qube, say) is loaded again as the whole filter. */
    @Test
    void aChangeTheKernelRefusesIsLoadedWhole() {
        role.started(firewall);
        firewall.attachClient(role, WORK);
        firewall.attachClient(role, BANK);
        nftRefusals.set(1);
        firewall.rules.put("work", rules("action=accept proto=udp"));
        role.clientChanged(firewall, WORK);
        String last = filter.loads().get(filter.loads().size() - 1);
        assertTrue(last.startsWith("table inet bulkhead {}\ndelete table inet bulkhead\n"), last);
        assertTrue(last.contains("chain client-4 {\n    comment \"work\"\n    meta l4proto udp accept\n    " + REJECT + "\n  }"), last);
        assertTrue(last.contains("chain client-5 {\n    comment \"bank\"\n    accept\n  }"), last);
        assertTrue(firewall.commands.stream().filter(c -> c.argv().get(0).equals("/bin/sh") && c.argv().get(2).equals(FilterLoader.LOAD_THEN_CUT))
                .count() == 2, "the cut comes with the whole filter: " + firewall.commands);
    }

    /** Answers that change nothing in the filter, or a client attached again as it was, load nothing. */
    @Test
    void aReloadThatChangesNothingRunsNothing() {
        role.started(firewall);
        firewall.attachClient(role, WORK);
        int before = firewall.commands.size();
        role.clientAttached(firewall, WORK);
        assertEquals(before, firewall.commands.size(), firewall.commands.toString());
    }

    @Test
    void aClientThatLeavesLeavesTheFilter() {
        role.started(firewall);
        firewall.attachClient(role, WORK);
        firewall.attachClient(role, BANK);
        firewall.detachClient(role, WORK);
        String nft = filter.now();
        assertFalse(nft.contains("vif4.0") || nft.contains("client-4"), nft);
        assertTrue(nft.contains("\"vif5.0\" . 10.137.0.5 : jump client-5"), nft);
    }

    @Test
    void openConnectionsThatCannotBeCutAreReportedAfterTheNewRulesAreLoaded() {
        role.started(firewall);
        firewall.attachClient(role, WORK);
        forgetting = failed(1, "conntrack v1.4.7 (conntrack-tools): Operation failed: Permission denied");
        firewall.rules.put("work", rules("action=drop"));
        AdminException e = assertThrows(AdminException.class, () -> role.clientChanged(firewall, WORK));
        assertTrue(e.getMessage().contains("could not be cut") && e.getMessage().contains("Permission denied"), e.getMessage());
        assertTrue(filter.now().contains("chain client-4 {\n    comment \"work\"\n    " + REJECT + "\n  }"));
    }

    @Test
    void aTemplateWithoutConntrackIsNamedWithItsPackage() {
        firewall = new RecordingRoleContext("sys-firewall", 3, "firewall", "bulkhead-base", this::answer);
        role.started(firewall);
        firewall.attachClient(role, WORK);
        forgetting = failed(127, "sh: conntrack: not found");
        lacking = "conntrack\n";
        firewall.rules.put("work", rules("action=drop"));

        AdminException e = assertThrows(AdminException.class, () -> role.clientChanged(firewall, WORK));

        assertEquals("sys-firewall's template bulkhead-base has no conntrack (Debian package conntrack)", e.getMessage());
    }
}
