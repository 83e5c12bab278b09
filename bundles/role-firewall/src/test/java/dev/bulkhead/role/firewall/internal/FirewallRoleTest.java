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
import java.util.concurrent.atomic.AtomicInteger;

import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import dev.bulkhead.api.AdminException;
import dev.bulkhead.api.ExecResult;
import dev.bulkhead.testing.RecordingRoleContext;

/**
 * The role against a FirewallVM that answers with canned output: what it loads, what it looks up
 * and when, and what it says. {@link FirewallTrafficTest} is its twin with real namespaces and packets.
 */
class FirewallRoleTest {
    /** Host names the FirewallVM's resolver knows. */
    final Map<String, String> dns = new ConcurrentHashMap<>(Map.of("a.test", "203.0.113.10", "b.test", "203.0.113.20"));
    final AtomicInteger nftRefusals = new AtomicInteger();
    boolean lookupBroken;
    ExecResult forgetting = failed(1, "conntrack v1.4.7 (conntrack-tools): 0 flow entries have been deleted.");
    final FirewallRole role = new FirewallRole();
    RecordingRoleContext firewall;

    @BeforeEach
    void firewallVm() {
        firewall = new RecordingRoleContext("sys-firewall", 3, "firewall", this::answer);
    }

    private ExecResult answer(List<String> argv, String stdin) {
        if (argv.equals(List.of("nft", "-f", "-"))) {
            return nftRefusals.getAndDecrement() > 0 ? failed(1, "Error: syntax error") : ok("");
        }
        if (argv.get(0).equals("conntrack")) {
            return forgetting;
        }
        if (argv.get(0).equals("/bin/sh") && argv.get(2).equals(HostNameLookup.SCRIPT)) {
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
        throw new AssertionError("unexpected command " + argv);
    }

    /** The names each lookup asked for, in order. */
    private List<List<String>> lookups() {
        return firewall.commands.stream().filter(c -> c.argv().get(0).equals("/bin/sh")).map(c -> c.argv().subList(4, c.argv().size()))
                .toList();
    }

    @Test
    void startingLoadsAFilterWithoutClientsAndAClientGetsItsChain() {
        role.started(firewall);
        assertFalse(firewall.lastLoaded().contains("chain client-"));
        firewall.attachClient(role, WORK);
        assertTrue(firewall.lastLoaded().contains("chain client-4 {\n    comment \"work\"\n    accept\n  }"),
                "the core's default rule list accepts all: " + firewall.lastLoaded());
        firewall.rules.put("work", rules("action=accept proto=tcp dstports=443"));
        role.clientChanged(firewall, WORK);
        assertTrue(firewall.lastLoaded().contains("    tcp dport 443 accept\n    " + REJECT + "\n  }"), firewall.lastLoaded());
        assertEquals(List.of(), lookups(), "no host names, no lookups");
    }

    @Test
    void onlyTheClientThatChangedHasItsNamesLookedUpAgain() {
        role.started(firewall);
        firewall.rules.put("work", rules("action=accept dsthost=a.test"));
        firewall.rules.put("bank", rules("action=accept dsthost=b.test"));
        firewall.attachClient(role, WORK);
        firewall.attachClient(role, BANK);
        dns.put("b.test", "203.0.113.99");
        firewall.rules.put("work", rules("action=accept dsthost=a.test proto=tcp"));
        role.clientChanged(firewall, WORK);
        assertEquals(List.of(List.of("a.test"), List.of("b.test"), List.of("a.test")), lookups());
        String nft = firewall.lastLoaded();
        assertTrue(nft.contains("ip daddr 203.0.113.10 meta l4proto tcp accept") && nft.contains("ip daddr 203.0.113.20 accept"),
                "bank keeps what was looked up for it: " + nft);
        role.clientChanged(firewall, BANK);
        assertTrue(firewall.lastLoaded().contains("ip daddr 203.0.113.99 accept"), "and gets new answers when it changes");
    }

    @Test
    void aNameThatDoesNotResolveCutsOnlyItsClientOffAndSaysWhich() {
        role.started(firewall);
        firewall.attachClient(role, WORK);
        firewall.attachClient(role, BANK);
        firewall.rules.put("work", rules("action=accept dsthost=a.test", "action=drop dsthost=nowhere.test", "action=accept"));
        AdminException e = assertThrows(AdminException.class, () -> role.clientChanged(firewall, WORK));
        assertTrue(e.getMessage().contains("'nowhere.test'") && e.getMessage().contains("'work'"), e.getMessage());
        String nft = firewall.lastLoaded();
        assertTrue(nft.contains("chain client-4 {\n    comment \"work\"\n    " + REJECT + "\n  }"), nft);
        assertTrue(nft.contains("chain client-5 {\n    comment \"bank\"\n    accept\n  }"), nft);
        assertEquals(List.of("conntrack", "-D", "-s", "10.137.0.4"), firewall.commands.get(firewall.commands.size() - 1).argv(),
                "its open connections are cut as well");

        dns.put("nowhere.test", "198.51.100.7");
        role.clientChanged(firewall, BANK);
        assertTrue(firewall.lastLoaded().contains("ip daddr 198.51.100.7 " + REJECT), "a blocked client is looked up again at the next change");
    }

    @Test
    void aClientAttachedWithANameThatDoesNotResolveIsRefusedWithTheName() {
        role.started(firewall);
        firewall.rules.put("work", rules("action=accept dsthost=nowhere.test"));
        AdminException e = assertThrows(AdminException.class, () -> firewall.attachClient(role, WORK));
        assertTrue(e.getMessage().contains("nowhere.test"), e.getMessage());
        assertTrue(firewall.lastLoaded().contains("chain client-4 {\n    comment \"work\"\n    " + REJECT + "\n  }"));
    }

    @Test
    void whenNothingCanBeLookedUpClientsWithNamesAreCutOff() {
        role.started(firewall);
        lookupBroken = true;
        firewall.rules.put("work", rules("action=accept dsthost=a.test"));
        AdminException e = assertThrows(AdminException.class, () -> firewall.attachClient(role, WORK));
        assertTrue(e.getMessage().contains("No space left on device") && e.getMessage().contains("a.test"), e.getMessage());
        assertTrue(firewall.lastLoaded().contains("chain client-4 {\n    comment \"work\"\n    " + REJECT + "\n  }"));
    }

    @Test
    void whenTheKernelRefusesAFilterEveryClientIsCutOffRatherThanLeftOnTheOldRules() {
        role.started(firewall);
        firewall.attachClient(role, WORK);
        nftRefusals.set(1);
        firewall.rules.put("work", rules("action=drop proto=tcp dstports=25", "action=accept"));
        AdminException e = assertThrows(AdminException.class, () -> role.clientChanged(firewall, WORK));
        assertTrue(e.getMessage().contains("syntax error") && e.getMessage().contains("cut off"), e.getMessage());
        String nft = firewall.lastLoaded();
        assertTrue(nft.contains("chain client-4 {\n    comment \"work\"\n    " + REJECT + "\n  }"), nft);
    }

    @Test
    void aClientThatLeavesLeavesTheFilter() {
        role.started(firewall);
        firewall.attachClient(role, WORK);
        firewall.attachClient(role, BANK);
        firewall.detachClient(role, WORK);
        String nft = firewall.lastLoaded();
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
        assertTrue(firewall.lastLoaded().contains("chain client-4 {\n    comment \"work\"\n    " + REJECT + "\n  }"));
    }
}
