package dev.bulkhead.role.tor.internal;

import static dev.bulkhead.role.tor.internal.TorRulesetTest.BANK;
import static dev.bulkhead.role.tor.internal.TorRulesetTest.WORK;
import static dev.bulkhead.testing.RecordingRoleContext.failed;
import static dev.bulkhead.testing.RecordingRoleContext.ok;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.lang.annotation.Annotation;
import java.util.HexFormat;
import java.util.List;
import java.util.Set;

import org.junit.jupiter.api.Test;

import dev.bulkhead.api.AdminException;
import dev.bulkhead.testing.RecordingRoleContext;
import dev.bulkhead.testing.RecordingRoleContext.Shell;

class TorRoleTest {
    static TorConfig config(String bridges) {
        return new TorConfig() {
            @Override
            public String bridges() {
                return bridges;
            }

            @Override
            public int status_interval() {
                return 1;
            }

            @Override
            public Class<? extends Annotation> annotationType() {
                return TorConfig.class;
            }
        };
    }

    private static RecordingRoleContext answering(Shell shell) {
        return new RecordingRoleContext("sys-tor", 3, "tor", shell);
    }

    @Test
    void theFilterIsLoadedBeforeTorStartsAndThePasswordTravelsOnStandardInputOnly() {
        TorRole role = new TorRole(config("203.0.113.30:443"));
        RecordingRoleContext sysTor = answering((argv, stdin) -> ok(""));

        role.started(sysTor);

        assertEquals(2, sysTor.commands.size());
        assertEquals(List.of("nft", "-f", "-"), sysTor.commands.get(0).argv());
        assertTrue(sysTor.commands.get(0).stdin().contains("redirect to :9040"));
        assertEquals(TorScripts.start(TorLayout.QUBE), sysTor.commands.get(1).argv());
        String stdin = sysTor.commands.get(1).stdin();
        String password = stdin.lines().findFirst().orElseThrow();
        String torrc = stdin.substring(password.length() + 1);
        assertTrue(torrc.lines().anyMatch(l -> l.equals("Bridge 203.0.113.30:443")), torrc);
        String hashed = torrc.lines().filter(l -> l.startsWith("HashedControlPassword ")).findFirst().orElseThrow().substring(22);
        assertEquals(hashed, ControlPassword.hash(password, HexFormat.of().parseHex(hashed.substring(3, 19))),
                "the torrc holds the hash of the password given to the qube");
        assertFalse(String.join(" ", sysTor.commands.get(1).argv()).contains(password), "the password is not an argument");
        assertEquals(Set.of("sys-tor"), role.running());
    }

    @Test
    void aTorThatDoesNotStartFailsTheStartWithTorsWords() {
        TorRole role = new TorRole(config(""));
        RecordingRoleContext sysTor = answering((argv, stdin) -> argv.get(0).equals("nft") ? ok("")
                : failed(4, "tor exited:\nNov 27 [err] Reading config failed\n"));

        AdminException e = assertThrows(AdminException.class, () -> role.started(sysTor));

        assertEquals("cannot start tor in 'sys-tor': tor exited: Nov 27 [err] Reading config failed", e.getMessage());
        assertEquals(Set.of(), role.running());
    }

    @Test
    void aFilterTheKernelRefusesStopsTheStartBeforeTorRuns() {
        TorRole role = new TorRole(config(""));
        RecordingRoleContext sysTor = answering((argv, stdin) -> failed(1, "Error: Could not process rule"));

        AdminException e = assertThrows(AdminException.class, () -> role.started(sysTor));

        assertTrue(e.getMessage().contains("cannot load the packet filter of 'sys-tor'"), e.getMessage());
        assertFalse(sysTor.commands.stream().anyMatch(c -> c.argv().equals(TorScripts.start(TorLayout.QUBE))), "tor was not started");
    }

    /** The filter names tor's user, so a template without it fails there: the start names the template and what it lacks. */
    @Test
    void aTemplateWithoutTorOrItsUserIsNamedWithWhereEachComesFrom() {
        TorRole role = new TorRole(config(""));
        RecordingRoleContext sysTor = new RecordingRoleContext("sys-tor", 3, "tor", "bulkhead-base", (argv, stdin) -> {
            if (argv.get(0).equals("nft")) {
                return failed(1, "Error: User does not exist\nadd rule ip tor output meta skuid \"tor\" accept");
            }
            return argv.get(0).equals("/bin/sh") && argv.contains("user:tor") ? ok("/usr/bin/tor\nuser:tor\n") : ok("");
        });

        AdminException e = assertThrows(AdminException.class, () -> role.started(sysTor));

        assertEquals("sys-tor's template bulkhead-base has no /usr/bin/tor (Debian package tor),"
                + " no user tor (the TorVM runs tor as it, and its packet filter names it)", e.getMessage());
        assertTrue(e.getCause().getMessage().contains("User does not exist"), "what failed stays as the cause");
        assertEquals(Set.of(), role.running());
    }

    @Test
    void aTemplateWithoutTorIsNamedWhenTorCannotStart() {
        TorRole role = new TorRole(config(""));
        RecordingRoleContext sysTor = new RecordingRoleContext("sys-tor", 3, "tor", "bulkhead-base", (argv, stdin) -> {
            if (argv.equals(TorScripts.start(TorLayout.QUBE))) {
                return failed(TorScripts.NO_TOR, "there is no tor in this qube: /usr/bin/tor is missing");
            }
            return argv.get(0).equals("/bin/sh") && argv.contains("user:tor") ? ok("/usr/bin/tor\n") : ok("");
        });

        AdminException e = assertThrows(AdminException.class, () -> role.started(sysTor));

        assertEquals("sys-tor's template bulkhead-base has no /usr/bin/tor (Debian package tor)", e.getMessage());
    }

    @Test
    void wrongBridgesStartNoTorVmUntilTheyAreRight() {
        TorRole role = new TorRole(config("bridge.test:443"));
        RecordingRoleContext sysTor = answering((argv, stdin) -> ok(""));

        AdminException e = assertThrows(AdminException.class, () -> role.started(sysTor));
        assertTrue(e.getMessage().contains("invalid bridges 'bridge.test:443'"), e.getMessage());
        assertEquals(List.of(), sysTor.commands);

        role.configure(config("203.0.113.30:443"));
        role.started(sysTor);
        assertEquals(2, sysTor.commands.size());
    }

    @Test
    void clientsComeAndGoFromTheFilterAndATorVmFromBeforeBecomesKnown() {
        TorRole role = new TorRole(config(""));
        RecordingRoleContext sysTor = answering((argv, stdin) -> ok(""));

        sysTor.attachClient(role, WORK);
        assertEquals(Set.of("sys-tor"), role.running(), "a TorVM running from before is known once a client comes");
        sysTor.attachClient(role, BANK);
        assertTrue(sysTor.loaded().get(1).contains("\"vif4.0\" . 10.137.0.4, \"vif5.0\" . 10.137.0.5"));
        sysTor.detachClient(role, WORK);
        assertTrue(sysTor.loaded().get(2).contains("elements = { \"vif5.0\" . 10.137.0.5 }"));

        role.stopping(sysTor);
        assertEquals(Set.of(), role.running());
    }

    /** It applies no per-qube rules: a client with rules of its own is left out of the filter, never served with them ignored. */
    @Test
    void aClientWithFirewallRulesOfItsOwnGetsNothingThroughAndIsToldWhy() {
        TorRole role = new TorRole(config(""));
        RecordingRoleContext sysTor = answering((argv, stdin) -> ok(""));
        sysTor.attachClient(role, WORK);
        assertTrue(sysTor.lastLoaded().contains("\"vif4.0\" . 10.137.0.4"), sysTor.lastLoaded());

        sysTor.rules.put("work", List.of(dev.bulkhead.api.firewall.FirewallRule.parse("action=accept dsthost=192.0.2.7", java.time.Instant.now())));
        AdminException e = assertThrows(AdminException.class, () -> role.clientChanged(sysTor, WORK));

        assertTrue(e.getMessage().contains("'work' has firewall rules of its own, which 'sys-tor' (a TorVM) does not apply"), e.getMessage());
        assertFalse(sysTor.lastLoaded().contains("vif4.0"), "work is still among the served clients: " + sysTor.lastLoaded());
        assertTrue(sysTor.commands.stream().anyMatch(c -> c.argv().equals(List.of("conntrack", "-D", "-s", "10.137.0.4"))),
                "its open connections are cut: " + sysTor.commands);

        sysTor.rules.remove("work");
        role.clientChanged(sysTor, WORK);
        assertTrue(sysTor.lastLoaded().contains("\"vif4.0\" . 10.137.0.4"), "served again once its rules are reset: " + sysTor.lastLoaded());
        assertThrows(AdminException.class, () -> {
            sysTor.rules.put("work", List.of(dev.bulkhead.api.firewall.FirewallRule.parse("action=drop", java.time.Instant.now())));
            sysTor.detachClient(role, WORK);
            sysTor.attachClient(role, WORK);
        }, "a client that comes with rules is refused its link");
    }
}
