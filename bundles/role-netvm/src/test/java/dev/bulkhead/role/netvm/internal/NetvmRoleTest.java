package dev.bulkhead.role.netvm.internal;

import static dev.bulkhead.role.netvm.internal.NetvmRulesetTest.WORK;
import static dev.bulkhead.role.netvm.internal.UplinkTest.VETH;
import static dev.bulkhead.role.netvm.internal.UplinkTest.config;
import static dev.bulkhead.role.netvm.internal.UplinkTest.veth;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.HashSet;
import java.util.List;
import java.util.Set;

import org.junit.jupiter.api.Test;

import dev.bulkhead.api.AdminException;

/**
 * The role against a NetVM that answers with canned output: what it loads and asks the backend
 * for, in which order, and what it says when the settings are wrong. {@link NetvmTrafficTest} is
 * its twin with real namespaces and packets.
 */
class NetvmRoleTest {
    /** Programs that fail in the qube. */
    final Set<String> failing = new HashSet<>();
    final TestRoleContext sysNet = new TestRoleContext("sys-net", 2,
            (argv, stdin) -> failing.contains(argv.get(0)) ? TestRoleContext.failed(2, "Error: Nexthop has invalid gateway.")
                    : TestRoleContext.ok());

    private List<String> storySince(int calls) {
        return sysNet.story().subList(calls, sysNet.commands.size());
    }

    @Test
    void withoutSettingsANetvmHasAFilterAndNoUplink() {
        NetvmRole role = new NetvmRole(config());
        role.started(sysNet);
        assertEquals(List.of("nft"), sysNet.story());
        assertFalse(sysNet.lastLoaded().contains("masquerade") || sysNet.lastLoaded().contains("oifname \"uplink0\""),
                sysNet.lastLoaded());
    }

    @Test
    void theFilterIsInPlaceBeforeTheUplinkIsAttachedAndAddressed() {
        NetvmRole role = new NetvmRole(config(VETH));
        role.started(sysNet);
        assertEquals(List.of("nft", "attach", "ip"), sysNet.story());
        assertEquals(List.of("/sbin/ip", "-batch", "-"), sysNet.commands.get(2).argv());
        assertEquals(Uplink.of(config(VETH)).ipCommands(), sysNet.commands.get(2).stdin());
        String nft = sysNet.lastLoaded();
        assertTrue(nft.contains("oifname \"uplink0\" masquerade") && nft.contains("dnat ip to 203.0.113.54"), nft);
    }

    /** After a restart of the platform: the uplink the running NetVM has stays, its filter and address are set again. */
    @Test
    void aNetvmTakenOverKeepsTheUplinkItHas() {
        NetvmRole role = new NetvmRole(config(VETH));
        role.adopted(sysNet);
        assertEquals(List.of("ip", "nft", "ip"), sysNet.story(), "no uplink attached anew");
        assertEquals(List.of("/sbin/ip", "link", "show", "uplink0"), sysNet.commands.get(0).argv());
        assertEquals(Uplink.of(config(VETH)).ipCommands(), sysNet.commands.get(2).stdin());
        assertTrue(sysNet.lastLoaded().contains("oifname \"uplink0\" masquerade"), sysNet.lastLoaded());
        sysNet.attachClient(role, WORK);
        assertTrue(sysNet.lastLoaded().contains("oifname \"uplink0\" masquerade"), "the uplink is known: " + sysNet.lastLoaded());
    }

    @Test
    void aNetvmTakenOverWithoutAnUplinkGetsOneAsAtStart() {
        TestRoleContext bare = new TestRoleContext("sys-net", 2, (argv, stdin) -> argv.contains("show")
                ? TestRoleContext.failed(2, "Device \"uplink0\" does not exist.") : TestRoleContext.ok());
        NetvmRole role = new NetvmRole(config(VETH));
        role.adopted(bare);
        assertEquals(List.of("ip", "nft", "attach", "ip"), bare.story());
    }

    @Test
    void wrongSettingsGiveNoUplinkAndNameTheSetting() {
        NetvmRole role = new NetvmRole(config(veth("uplink.address=198.51.100.2/33")));
        AdminException e = assertThrows(AdminException.class, () -> role.started(sysNet));
        assertTrue(e.getMessage().contains("uplink.address '198.51.100.2/33'"), e.getMessage());
        assertEquals(List.of("nft"), sysNet.story(), "a filter that forwards nothing, and no uplink");
        assertFalse(sysNet.lastLoaded().contains("masquerade"));
    }

    @Test
    void anUplinkTheBackendCannotAttachNamesTheSettings() {
        NetvmRole role = new NetvmRole(config(VETH));
        sysNet.onAttach(spec -> {
            throw new AdminException("host interface 'bhup0' exists already");
        });
        AdminException e = assertThrows(AdminException.class, () -> role.started(sysNet));
        assertTrue(e.getMessage().contains("uplink.host_interface=bhup0") && e.getMessage().contains("exists already"), e.getMessage());
        assertEquals(List.of("nft", "attach"), sysNet.story());
    }

    @Test
    void anUplinkThatCannotBeAddressedIsTakenAwayAgain() {
        NetvmRole role = new NetvmRole(config(VETH));
        failing.add("/sbin/ip");
        AdminException e = assertThrows(AdminException.class, () -> role.started(sysNet));
        assertTrue(e.getMessage().contains("uplink.gateway 198.51.100.1") && e.getMessage().contains("invalid gateway"), e.getMessage());
        assertEquals(List.of("nft", "attach", "ip", "detach", "/bin/sh"), sysNet.story(), "then what it lacks is asked");
    }

    @Test
    void aTemplateWithoutNftIsNamedWithItsPackage() {
        NetvmRole role = new NetvmRole(config());
        TestRoleContext bare = new TestRoleContext("sys-net", 2, "bulkhead-base", (argv, stdin) -> switch (argv.get(0)) {
            case "nft" -> TestRoleContext.failed(127, "sh: nft: not found");
            case "/bin/sh" -> TestRoleContext.ok(argv.contains("nft") ? "nft\n" : "");
            default -> TestRoleContext.ok();
        });

        AdminException e = assertThrows(AdminException.class, () -> role.started(bare));

        assertEquals("sys-net's template bulkhead-base has no nft (Debian package nftables)", e.getMessage());
    }

    @Test
    void aNetvmWithoutAnUplinkSaysSoUntilOneIsConfigured() {
        NetvmRole role = new NetvmRole(config());
        assertEquals(List.of(NetvmRole.NO_UPLINK), role.notices());
        assertTrue(NetvmRole.NO_UPLINK.startsWith("no uplink: none is configured (uplink.mode=none in etc/dev.bulkhead.role.netvm.cfg)"),
                NetvmRole.NO_UPLINK);

        role.modified(config(VETH));
        assertEquals(List.of(), role.notices());

        role.modified(config(veth("uplink.gateway=203.0.113.1")));
        assertEquals(1, role.notices().size());
        assertTrue(role.notices().get(0).startsWith("no uplink: the NetVM settings in etc/dev.bulkhead.role.netvm.cfg are wrong: ")
                && role.notices().get(0).contains("uplink.gateway '203.0.113.1'"), role.notices().get(0));
    }

    @Test
    void clientsComeAndGoInTheFilter() {
        NetvmRole role = new NetvmRole(config(VETH));
        role.started(sysNet);
        sysNet.attachClient(role, WORK);
        assertTrue(sysNet.lastLoaded().contains("elements = { \"vif4.0\" . 10.137.0.4 }"), sysNet.lastLoaded());
        sysNet.detachClient(role, WORK);
        assertFalse(sysNet.lastLoaded().contains("vif4.0"), sysNet.lastLoaded());
        assertEquals(List.of("nft", "attach", "ip", "nft", "nft"), sysNet.story(), "the uplink stays as it is");
    }

    @Test
    void newSettingsReachRunningNetvms() {
        NetvmRole role = new NetvmRole(config(VETH));
        role.started(sysNet);

        int calls = sysNet.commands.size();
        role.modified(config(veth("dns=203.0.113.99")));
        assertEquals(List.of("nft"), storySince(calls), "another resolver: the same uplink, a new filter");
        assertTrue(sysNet.lastLoaded().contains("dnat ip to 203.0.113.99"));

        calls = sysNet.commands.size();
        role.modified(config(veth("uplink.address=198.51.100.3/24")));
        assertEquals(List.of("detach", "nft", "attach", "ip"), storySince(calls), "another address: the uplink is replaced");

        calls = sysNet.commands.size();
        role.modified(config(veth("uplink.mode=bridge")));
        assertEquals(List.of("detach", "nft"), storySince(calls), "wrong settings: no uplink, nothing forwarded");
        assertFalse(sysNet.lastLoaded().contains("masquerade"));

        calls = sysNet.commands.size();
        role.modified(config(VETH));
        assertEquals(List.of("nft", "attach", "ip"), storySince(calls));

        calls = sysNet.commands.size();
        role.stopping(sysNet);
        assertEquals(List.of("detach"), storySince(calls));
        role.modified(config());
        assertEquals(calls + 1, sysNet.commands.size(), "a stopped NetVM is left alone");
    }
}
