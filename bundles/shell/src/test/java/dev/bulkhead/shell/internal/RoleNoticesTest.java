package dev.bulkhead.shell.internal;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.List;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import dev.bulkhead.api.RoleInfo;

/** What a role says about its qubes (a NetVM with no uplink) is a warning where those qubes are listed or started. */
class RoleNoticesTest {
    private static final String NO_UPLINK = "no uplink: none is configured";
    private final RecordingAdmin admin = new RecordingAdmin("sys-net", "sys-firewall", "work", "personal", "vault");
    private final QvmShell shell = new QvmShell(admin.proxy());

    @BeforeEach
    void network() {
        admin.roleOf.put("sys-net", "netvm");
        admin.roleOf.put("sys-firewall", "firewall");
        admin.netvms.put("sys-firewall", "sys-net");
        admin.netvms.put("work", "sys-firewall");
        admin.netvms.put("personal", "sys-firewall");
        admin.roles = List.of(new RoleInfo("firewall", "filters", true, List.of("sys-firewall")),
                new RoleInfo("netvm", "owns the uplink", true, List.of("sys-net"), List.of(NO_UPLINK)));
    }

    @AfterEach
    void close() {
        shell.close();
    }

    @Test
    void lsWarnsOfTheNoticesOfTheQubesItShowsAndStillExits0() {
        QvmShell.Result all = shell.run("qvm:ls");
        assertEquals("warning: sys-net: " + NO_UPLINK + "\n", all.err());
        assertEquals(0, all.status());

        assertEquals("", shell.run("qvm:ls work vault").err(), "sys-net is not shown");
    }

    @Test
    void startWarnsOnceOfWhatTheNetvmChainOfTheStartedQubesLacks() {
        QvmShell.Result r = shell.run("qvm:start work personal");

        assertEquals(List.of("start work", "start personal"), admin.calls);
        assertEquals("warning: sys-net: " + NO_UPLINK + "\n", r.err());
        assertEquals(0, r.status());
    }

    @Test
    void aQubeOutsideTheChainHearsNothing() {
        assertEquals(new QvmShell.Result("", "", 0), shell.run("qvm:start vault"));
    }

    @Test
    void withoutNoticesNothingIsSaid() {
        admin.roles = List.of(new RoleInfo("netvm", "owns the uplink", true, List.of("sys-net")));

        assertEquals(new QvmShell.Result("", "", 0), shell.run("qvm:start work"));
        assertEquals("", shell.run("qvm:ls").err());
    }
}
