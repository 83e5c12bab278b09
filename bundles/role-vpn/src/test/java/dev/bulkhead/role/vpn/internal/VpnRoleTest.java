package dev.bulkhead.role.vpn.internal;

import static dev.bulkhead.role.vpn.internal.VpnRulesetTest.WORK;
import static dev.bulkhead.testing.RecordingRoleContext.failed;
import static dev.bulkhead.testing.RecordingRoleContext.ok;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import java.util.List;
import java.util.Set;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import dev.bulkhead.api.AdminException;
import dev.bulkhead.testing.RecordingRoleContext;
import dev.bulkhead.testing.RecordingRoleContext.Command;
import dev.bulkhead.testing.RecordingRoleContext.Shell;

class VpnRoleTest {
    private static final List<String> IP_BATCH = List.of(VpnScripts.IP, "-batch", "-");
    private static final List<String> NFT = List.of("nft", "-f", "-");

    @TempDir
    Path data;

    private VpnStore store() {
        return new VpnStore(data.resolve("vpn"));
    }

    private static RecordingRoleContext answering(Shell shell) {
        return new RecordingRoleContext("sys-vpn", 3, "vpn", shell);
    }

    @Test
    void theKillSwitchComesBeforeTheTunnelAndTheKeyTravelsOnStandardInputOnly() {
        VpnStore store = store();
        store.write("sys-vpn", WgQuickConfig.parse(WgQuickConfigTest.FILE));
        VpnRole role = new VpnRole(store);
        RecordingRoleContext sysVpn = answering((argv, stdin) -> ok(""));

        role.started(sysVpn);

        List<Command> c = sysVpn.commands;
        assertEquals(4, c.size(), c.toString());
        assertEquals(NFT, c.get(0).argv());
        assertTrue(c.get(0).stdin().contains("dnat ip to 10.64.0.1"), c.get(0).stdin());
        assertEquals(VpnScripts.route(), c.get(1).argv());
        assertEquals(VpnScripts.routing(), c.get(1).stdin());
        assertEquals(VpnScripts.tunnelUp(VpnLayout.QUBE), c.get(2).argv());
        assertTrue(c.get(2).stdin().contains("PrivateKey = " + WgQuickConfigTest.PRIVATE));
        assertTrue(c.get(2).stdin().contains("FwMark = 51820"));
        assertEquals(IP_BATCH, c.get(3).argv());
        assertTrue(c.get(3).stdin().contains("route add 0.0.0.0/0 dev wg0 table 51820"), c.get(3).stdin());
        for (Command command : c) {
            assertFalse(String.join(" ", command.argv()).contains(WgQuickConfigTest.PRIVATE), "the key is not an argument");
        }
        assertEquals(Set.of("sys-vpn"), role.running());
    }

    @Test
    void withoutAConfigurationTheKillSwitchAloneIsInPlace() {
        VpnRole role = new VpnRole(store());
        RecordingRoleContext sysVpn = answering((argv, stdin) -> ok(""));

        role.started(sysVpn);

        assertEquals(List.of(NFT, VpnScripts.route()), sysVpn.commands.stream().map(Command::argv).toList());
        assertFalse(sysVpn.commands.get(0).stdin().contains("dnat"), "no DNS for clients");
    }

    @Test
    void aTunnelThatCannotBeMadeFailsTheStartNamingWhy() {
        VpnStore store = store();
        store.write("sys-vpn", WgQuickConfig.parse(WgQuickConfigTest.FILE));
        VpnRole role = new VpnRole(store);
        RecordingRoleContext sysVpn = answering((argv, stdin) -> argv.equals(VpnScripts.tunnelUp(VpnLayout.QUBE))
                ? failed(3, "no WireGuard in this qube: the kernel has none and /usr/bin/wireguard-go is missing")
                : ok(""));

        AdminException e = assertThrows(AdminException.class, () -> role.started(sysVpn));

        assertTrue(e.getMessage().startsWith("cannot make the WireGuard tunnel in 'sys-vpn': no WireGuard"), e.getMessage());
        assertEquals(Set.of(), role.running());
    }

    @Test
    void aTemplateWithoutWireGuardIsNamedWithThePackages() {
        VpnStore store = store();
        store.write("sys-vpn", WgQuickConfig.parse(WgQuickConfigTest.FILE));
        VpnRole role = new VpnRole(store);
        RecordingRoleContext sysVpn = new RecordingRoleContext("sys-vpn", 3, "vpn", "bulkhead-base", (argv, stdin) -> {
            if (argv.equals(VpnScripts.tunnelUp(VpnLayout.QUBE))) {
                return failed(VpnScripts.MISSING, "there is no wg in this qube: /usr/bin/wg is missing");
            }
            return argv.get(0).equals("/bin/sh") && argv.contains(VpnScripts.WIREGUARD_GO) ? ok("/usr/bin/wg\n/usr/bin/wireguard-go\n")
                    : ok("");
        });

        AdminException e = assertThrows(AdminException.class, () -> role.started(sysVpn));

        assertEquals("sys-vpn's template bulkhead-base has no /usr/bin/wg (Debian package wireguard-tools),"
                + " no /usr/bin/wireguard-go (Debian package wireguard-go)", e.getMessage());
        assertEquals(Set.of(), role.running());
    }

    @Test
    void aTunnelThatCannotBeAddressedIsRemoved() {
        VpnStore store = store();
        store.write("sys-vpn", WgQuickConfig.parse(WgQuickConfigTest.FILE));
        VpnRole role = new VpnRole(store);
        RecordingRoleContext sysVpn = answering((argv, stdin) -> argv.equals(IP_BATCH) && stdin.contains("address add")
                ? failed(1, "RTNETLINK answers: File exists") : ok(""));

        assertThrows(AdminException.class, () -> role.started(sysVpn));

        assertEquals(List.of(VpnScripts.IP, "link", "del", "wg0"), sysVpn.commands.get(sysVpn.commands.size() - 1).argv());
    }

    @Test
    void anImportReachesARunningVpnVmAndOnlyOneTheRoleKnows() {
        VpnRole role = new VpnRole(store());
        RecordingRoleContext sysVpn = answering((argv, stdin) -> ok(""));
        assertFalse(role.apply("sys-vpn", WgQuickConfig.parse(WgQuickConfigTest.FILE)));
        assertEquals(List.of(), sysVpn.commands);

        role.started(sysVpn);
        sysVpn.commands.clear();
        assertTrue(role.apply("sys-vpn", WgQuickConfig.parse(WgQuickConfigTest.FILE)));

        assertEquals(List.of(NFT, VpnScripts.tunnelUp(VpnLayout.QUBE), IP_BATCH),
                sysVpn.commands.stream().map(Command::argv).toList());
        assertTrue(sysVpn.commands.get(0).stdin().contains("dnat ip to 10.64.0.1"));

        sysVpn.attachClient(role, WORK);
        assertTrue(sysVpn.loaded().get(sysVpn.loaded().size() - 1).contains("dnat ip to 10.64.0.1"), "the DNS in force stays");
    }

    @Test
    void aVpnVmFromBeforeIsKnownOnceAClientComesWithItsStoredDns() {
        VpnStore store = store();
        store.write("sys-vpn", WgQuickConfig.parse(WgQuickConfigTest.FILE));
        VpnRole role = new VpnRole(store);
        RecordingRoleContext sysVpn = answering((argv, stdin) -> ok(""));

        sysVpn.attachClient(role, WORK);

        assertEquals(Set.of("sys-vpn"), role.running());
        assertEquals(List.of(NFT), sysVpn.commands.stream().map(Command::argv).toList());
        assertTrue(sysVpn.loaded().get(0).contains("\"vif4.0\" . 10.137.0.4") && sysVpn.loaded().get(0).contains("dnat ip to 10.64.0.1"));
    }

    /** It applies no per-qube rules: a client with rules of its own is left out of the filter, never served with them ignored. */
    @Test
    void aClientWithFirewallRulesOfItsOwnGetsNothingThroughAndIsToldWhy() {
        VpnRole role = new VpnRole(store());
        RecordingRoleContext sysVpn = answering((argv, stdin) -> ok(""));
        sysVpn.attachClient(role, WORK);
        assertTrue(sysVpn.lastLoaded().contains("\"vif4.0\" . 10.137.0.4"), sysVpn.lastLoaded());

        sysVpn.rules.put("work", List.of(dev.bulkhead.api.firewall.FirewallRule.parse("action=accept dsthost=192.0.2.7", java.time.Instant.now())));
        AdminException e = assertThrows(AdminException.class, () -> role.clientChanged(sysVpn, WORK));

        assertTrue(e.getMessage().contains("'work' has firewall rules of its own, which 'sys-vpn' (a VPN-VM) does not apply"), e.getMessage());
        assertFalse(sysVpn.lastLoaded().contains("vif4.0"), "work is still among the served clients: " + sysVpn.lastLoaded());
        assertTrue(sysVpn.commands.stream().anyMatch(c -> c.argv().equals(List.of("conntrack", "-D", "-s", "10.137.0.4"))),
                "its open connections are cut: " + sysVpn.commands);

        sysVpn.rules.remove("work");
        role.clientChanged(sysVpn, WORK);
        assertTrue(sysVpn.lastLoaded().contains("\"vif4.0\" . 10.137.0.4"), "served again once its rules are reset: " + sysVpn.lastLoaded());
        assertThrows(AdminException.class, () -> {
            sysVpn.rules.put("work", List.of(dev.bulkhead.api.firewall.FirewallRule.parse("action=drop", java.time.Instant.now())));
            sysVpn.detachClient(role, WORK);
            sysVpn.attachClient(role, WORK);
        }, "a client that comes with rules is refused its link");
    }
}
