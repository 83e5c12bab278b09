package dev.bulkhead.shell.internal;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import java.util.Map;
import java.util.Set;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import dev.bulkhead.api.PowerState;
import dev.bulkhead.api.QubeClass;
import dev.bulkhead.api.VolumeInfo;

/** qvm:ls as qvm-ls: columns by preset or by name, names only, and the filters. */
class QvmLsCommandTest {
    private final FakeAdmin fake = new FakeAdmin()
            .qube("dom0", 0, QubeClass.AdminVM, PowerState.Running, Map.of("label", "black"), Map.of(), Set.of())
            .qube("minimal", 1, QubeClass.TemplateVM, PowerState.Halted, Map.of("label", "black", "netvm", "", "memory", "400"), Map.of(), Set.of())
            .qube("sys-net", 2, QubeClass.AppVM, PowerState.Running, Map.of("label", "red", "template", "minimal", "netvm", ""), Map.of(),
                    Set.of("net"))
            .qube("work", 3, QubeClass.AppVM, PowerState.Running,
                    Map.of("label", "blue", "template", "minimal", "netvm", "sys-net", "memory", "400"), Map.of(), Set.of("b", "a"))
            .qube("vault", 4, QubeClass.AppVM, PowerState.Halted, Map.of("label", "black", "template", "minimal", "netvm", ""), Map.of(),
                    Set.of("a"));
    private final GogoShell shell;

    QvmLsCommandTest() {
        fake.memory.put("work", 300L * 1024 * 1024);
        fake.volumes.put("work", List.of(volume("work", "private", 50L << 20), volume("work", "volatile", 10L << 20)));
        shell = new GogoShell().qvm(new QvmLsCommand(fake.admin()), "ls");
    }

    private static VolumeInfo volume(String qube, String name, long usage) {
        return new VolumeInfo(qube, name, "lite", qube + "/" + name, true, "", true, false, 1L << 30, usage, 0, List.of());
    }

    @AfterEach
    void close() {
        shell.close();
    }

    private String ls(String args) {
        GogoShell.Result r = shell.run("qvm:ls " + args);
        assertNull(r.failure(), () -> "qvm:ls " + args + ": " + r.failure());
        return r.out();
    }

    @Test
    void theDefaultColumnsAreQubes() {
        assertEquals("""
                NAME     STATE    CLASS       LABEL  TEMPLATE  NETVM
                dom0     Running  AdminVM     black  -         -
                minimal  Halted   TemplateVM  black  -         -
                sys-net  Running  AppVM       red    minimal   -
                work     Running  AppVM       blue   minimal   sys-net
                vault    Halted   AppVM       black  minimal   -
                """, ls(""));
    }

    @Test
    void columnsByNameShowAddressMemoryDiskAndTags() {
        assertEquals("""
                NAME   IP          MEMORY  DISK  TAGS  QID
                work   10.137.0.3  300     60    a,b   3
                vault  -           0       0     a     4
                """, ls("-O name,ip,memory,disk,tags,qid --tags a"));
    }

    @Test
    void presetsAndRawForms() {
        assertEquals("NAME  STATE    NETVM    IP\nwork  Running  sys-net  10.137.0.3\n", ls("--format network work"));
        assertEquals("sys-net\nwork\nvault\n", ls("--raw-list --class AppVM"));
        assertEquals("work|blue|sys-net\n", ls("--raw-data -O name,label,netvm --label blue"));
    }

    @Test
    void statesAndLabelsCombineAsQubesDoes() {
        assertEquals("minimal\nvault\n", ls("--raw-list --halted"));
        assertEquals("dom0\nminimal\nsys-net\nwork\nvault\n", ls("--raw-list --running --halted"));
        assertEquals("dom0\nminimal\nwork\nvault\n", ls("--raw-list --label black,blue"));
        assertEquals("sys-net\nwork\n", ls("--raw-list --tags net --tags b"));
    }

    @Test
    void anUnknownColumnOrQubeIsRefusedNamingIt() {
        String column = shell.run("qvm:ls -O name,colour").failure().toString();
        assertTrue(column.startsWith("qvm:ls: invalid column 'colour': columns among NAME, STATE"), column);
        assertEquals("qvm:ls: no such qube: 'nosuch'", shell.run("qvm:ls nosuch").failure().toString());
    }
}
