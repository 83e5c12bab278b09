package dev.bulkhead.example.dns.internal;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;

import org.junit.jupiter.api.Test;

import dev.bulkhead.api.AdminException;

class DnsmasqTest {
    private final Dnsmasq dnsmasq = new Dnsmasq("/run/dns-filter");

    @Test
    void blockedNamesGetNoAddressAndTheRestGoesToTheVirtualDnsOfTheNetvm() {
        String conf = dnsmasq.config(BlockList.parse("ads.test,tracker.test"));
        assertEquals(List.of("no-resolv", "no-hosts", "interface=vif*", "user=root", "group=", "pid-file=/run/dns-filter/dnsmasq.pid",
                "log-facility=/run/dns-filter/dnsmasq.log", "server=10.139.1.1", "server=10.139.1.2", "address=/ads.test/",
                "address=/tracker.test/"), conf.lines().toList());
    }

    @Test
    void startRunsTheControlScriptWithTheConfigurationAsItsInput() {
        TestRoleContext qube = new TestRoleContext("sys-dns", 3, (argv, stdin) -> TestRoleContext.ok());
        dnsmasq.start(qube, BlockList.parse("ads.test"));
        assertEquals(List.of("/bin/sh", "-c", Dnsmasq.SCRIPT, "sh", "start", "/run/dns-filter"), qube.commands.get(0).argv());
        assertEquals(dnsmasq.config(BlockList.parse("ads.test")), qube.commands.get(0).stdin());
    }

    @Test
    void aStartThatFailsSaysWhyAndLeavesNoDnsmasq() {
        TestRoleContext qube = new TestRoleContext("sys-dns", 3, (argv, stdin) -> argv.get(4).equals("start")
                ? TestRoleContext.failed(2, "dnsmasq: failed to create listening socket for port 53: Address in use")
                : TestRoleContext.ok());
        AdminException e = assertThrows(AdminException.class, () -> dnsmasq.start(qube, BlockList.parse("")));
        assertTrue(e.getMessage().contains("'sys-dns'") && e.getMessage().contains("Address in use"), e.getMessage());
        assertEquals(List.of("start", "/bin/sh", "stop"), qube.steps(), "what the root lacks is asked in between");
    }
}
