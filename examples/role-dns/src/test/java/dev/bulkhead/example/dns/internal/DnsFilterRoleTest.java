package dev.bulkhead.example.dns.internal;

import static dev.bulkhead.example.dns.internal.DnsFilterRulesetTest.BANK;
import static dev.bulkhead.example.dns.internal.DnsFilterRulesetTest.WORK;
import static dev.bulkhead.example.dns.internal.TestRoleContext.config;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;

import org.junit.jupiter.api.Test;

import dev.bulkhead.api.AdminException;
import dev.bulkhead.api.ExecResult;

/** The role against qubes whose shell gives canned answers; its twin is {@link DnsFilterTrafficTest}. */
class DnsFilterRoleTest {
    private String dnsmasqRefuses;
    /** What the qube's root lacks, as asked after a command failed: one program a line. */
    private String lacking = "";

    private ExecResult answer(List<String> argv, String stdin) {
        if (argv.equals(List.of("nft", "-f", "-"))) {
            return TestRoleContext.ok();
        }
        if (argv.get(0).equals("/bin/sh") && argv.get(2).equals(Dnsmasq.SCRIPT)) {
            return argv.get(4).equals("start") && dnsmasqRefuses != null ? TestRoleContext.failed(1, dnsmasqRefuses) : TestRoleContext.ok();
        }
        if (argv.get(0).equals("/bin/sh") && argv.contains("dnsmasq")) {
            return TestRoleContext.ok(lacking);
        }
        throw new AssertionError("unexpected command " + argv);
    }

    private TestRoleContext qube(String name, int qid) {
        return new TestRoleContext(name, qid, this::answer);
    }

    @Test
    void aNetworkRoleNamedDnsFilter() {
        DnsFilterRole role = new DnsFilterRole(config(""));
        assertEquals("dns-filter", role.id());
        assertTrue(role.providesNetwork());
    }

    @Test
    void theFilterIsLoadedBeforeDnsmasqStartsWithTheList() {
        DnsFilterRole role = new DnsFilterRole(config("ads.test"));
        TestRoleContext sysDns = qube("sys-dns", 3);
        role.started(sysDns);
        assertEquals(List.of("nft", "start"), sysDns.steps());
        assertTrue(sysDns.lastDnsmasqConfig().contains("address=/ads.test/\n"));
    }

    @Test
    void clientsChangeTheFilterOnlyAndDnsmasqKeepsRunning() {
        DnsFilterRole role = new DnsFilterRole(config(""));
        TestRoleContext sysDns = qube("sys-dns", 3);
        role.started(sysDns);
        sysDns.attachClient(role, WORK);
        sysDns.attachClient(role, BANK);
        sysDns.detachClient(role, WORK);
        role.clientChanged(sysDns, BANK);
        assertEquals(List.of("nft", "start", "nft", "nft", "nft"), sysDns.steps());
        assertTrue(sysDns.lastLoaded().contains("elements = { \"vif5.0\" . 10.137.0.5 }"), sysDns.lastLoaded());
    }

    @Test
    void aNewListRestartsDnsmasqInEveryRunningQubeAndNotInStoppedOnes() {
        DnsFilterRole role = new DnsFilterRole(config("ads.test"));
        TestRoleContext one = qube("sys-dns", 3);
        TestRoleContext two = qube("sys-dns2", 6);
        TestRoleContext stopped = qube("sys-dns3", 7);
        role.started(one);
        role.started(two);
        role.started(stopped);
        role.stopping(stopped);
        role.modified(config("tracker.test, ads.test"));
        for (TestRoleContext q : List.of(one, two)) {
            assertEquals(List.of("nft", "start", "start"), q.steps());
            assertTrue(q.lastDnsmasqConfig().endsWith("address=/tracker.test/\naddress=/ads.test/\n"), q.lastDnsmasqConfig());
        }
        assertEquals(List.of("nft", "start"), stopped.steps());
    }

    @Test
    void aWrongListStopsDnsmasqSaysWhichEntryAndARightOneBringsItBack() {
        DnsFilterRole role = new DnsFilterRole(config("ads.test"));
        TestRoleContext sysDns = qube("sys-dns", 3);
        role.started(sysDns);
        role.modified(config("ads.test, *.tracker.test"));
        assertEquals(List.of("nft", "start", "stop"), sysDns.steps(), "no DNS rather than the old list or none");
        assertTrue(role.problem().contains("'*.tracker.test'"), role.problem());

        role.modified(config("tracker.test"));
        assertEquals(List.of("nft", "start", "stop", "start"), sysDns.steps());
        assertNull(role.problem());
    }

    @Test
    void aQubeStartedWithAWrongListIsRefusedNamingTheEntryWithItsFilterLoaded() {
        DnsFilterRole role = new DnsFilterRole(config("ads test"));
        TestRoleContext sysDns = qube("sys-dns", 3);
        AdminException e = assertThrows(AdminException.class, () -> role.started(sysDns));
        assertTrue(e.getMessage().contains("'sys-dns'") && e.getMessage().contains("'ads test'"), e.getMessage());
        assertEquals(List.of("nft", "stop"), sysDns.steps());

        role.modified(config("ads.test"));
        assertEquals(List.of("nft", "stop"), sysDns.steps(), "a qube whose start was refused is not running");
    }

    @Test
    void dnsmasqRefusingToStartFailsTheQubeStartWithItsWords() {
        dnsmasqRefuses = "dnsmasq: failed to create listening socket for port 53: Address in use";
        DnsFilterRole role = new DnsFilterRole(config(""));
        TestRoleContext sysDns = qube("sys-dns", 3);
        AdminException e = assertThrows(AdminException.class, () -> role.started(sysDns));
        assertTrue(e.getMessage().contains("Address in use"), e.getMessage());

        dnsmasqRefuses = null;
        role.modified(config("ads.test"));
        assertEquals(List.of("nft", "start", "/bin/sh", "stop"), sysDns.steps(), "it is not running, so a new list does not touch it");
    }

    @Test
    void aTemplateWithoutDnsmasqIsNamedWithItsPackage() {
        dnsmasqRefuses = "sh: exec: dnsmasq: not found";
        lacking = "dnsmasq\n";
        DnsFilterRole role = new DnsFilterRole(config(""));
        TestRoleContext sysDns = new TestRoleContext("sys-dns", 3, "bulkhead-base", this::answer);

        AdminException e = assertThrows(AdminException.class, () -> role.started(sysDns));

        assertEquals("sys-dns's template bulkhead-base has no dnsmasq (Debian package dnsmasq-base)", e.getMessage());
    }
}
