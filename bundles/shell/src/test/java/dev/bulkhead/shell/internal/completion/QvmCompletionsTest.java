package dev.bulkhead.shell.internal.completion;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import java.util.Map;
import java.util.Set;

import org.junit.jupiter.api.Test;

import dev.bulkhead.api.PowerState;
import dev.bulkhead.api.QubeClass;
import dev.bulkhead.api.RoleInfo;
import dev.bulkhead.shell.internal.FakeAdmin;

/** What Tab offers after each kind of qvm command. */
class QvmCompletionsTest {
    private final FakeAdmin fake = new FakeAdmin()
            .qube("minimal", 1, QubeClass.TemplateVM, PowerState.Halted, Map.of("label", "black"), Map.of(), Set.of())
            .qube("sys-net", 2, QubeClass.AppVM, PowerState.Running, Map.of("label", "red", "provides_network", "True"), Map.of("role", "netvm"),
                    Set.of())
            .qube("work", 3, QubeClass.AppVM, PowerState.Halted, Map.of("label", "blue", "netvm", "sys-net", "memory", "400"),
                    Map.of("note", "x"), Set.of("blue-tag"));
    private final QvmCompletions completions;

    QvmCompletionsTest() {
        fake.roles.add(new RoleInfo("netvm", "gives its clients the network", true, List.of("sys-net")));
        completions = new QvmCompletions(fake.admin());
    }

    private List<String> values(String function, String usage, List<String> before, String current) {
        return completions.complete(function, usage, before, current).stream().map(Completion::value).toList();
    }

    @Test
    void qubeNamesAfterCommandsThatTakeQubes() {
        assertEquals(List.of("minimal", "sys-net", "work"), values("start", "qvm:start NAME...", List.of(), "w"));
        assertEquals(List.of("minimal", "sys-net", "work"), values("start", "qvm:start NAME...", List.of("work"), ""), "NAME... repeats");
        assertEquals(List.of(), values("create", "qvm:create --label LABEL NAME", List.of("--label", "red"), ""), "a new name is not offered");
    }

    @Test
    void prefsOffersTheQubesPropertiesThenValuesOfTheirType() {
        assertEquals(List.of("label", "memory", "netvm"), values("prefs", "qvm:prefs NAME [PROP [VALUE]]", List.of("work"), ""));
        assertTrue(values("prefs", "", List.of("work", "label"), "").containsAll(List.of("red", "blue", "black")));
        assertEquals(List.of("sys-net"), values("prefs", "", List.of("work", "netvm"), ""), "only qubes that provide network");
        assertEquals(List.of("minimal"), values("prefs", "", List.of("work", "template"), ""), "only templates");
        assertEquals(List.of("True", "False"), values("prefs", "", List.of("work", "autostart"), ""));
        assertEquals(List.of(), values("prefs", "", List.of("nosuch"), ""), "an unknown qube has no properties to offer");
    }

    @Test
    void featuresOfferTheQubesKeysAndRoleIds() {
        assertEquals(List.of("note", "role"), values("features", "", List.of("work"), ""));
        assertEquals(List.of("netvm"), values("features", "", List.of("work", "role"), ""));
    }

    @Test
    void subcommandsThenWhatEachTakes() {
        assertEquals(List.of("add", "del", "list"), values("tags", "", List.of("work"), ""));
        assertEquals(List.of("blue-tag"), values("tags", "", List.of("work", "del"), ""));
        List<Completion> keys = completions.complete("firewall", "", List.of("work", "add"), "");
        assertTrue(keys.stream().anyMatch(c -> c.value().equals("dsthost=") && !c.whole()), "a rule key goes on with its value");
        assertEquals(List.of("action=accept", "action=drop"), values("firewall", "", List.of("work", "add", "proto=tcp"), "action="));
        assertEquals(List.of("minimal:", "sys-net:", "work:"), values("volume", "", List.of("info"), "w"));
    }

    @Test
    void optionsAndTheirValuesComeFromTheUsage() {
        String usage = "qvm:ls [--running] [--class CLASS]... [-O COLUMNS] [NAME...]";
        assertEquals(List.of("--running", "--class", "-O"), values("ls", usage, List.of(), "-"));
        assertTrue(values("ls", usage, List.of("--class"), "").containsAll(List.of("AppVM", "TemplateVM")));
        assertTrue(values("ls", usage, List.of("-O"), "").containsAll(List.of("NAME", "IP", "MEMORY", "DISK", "TAGS")));
        assertEquals(List.of("minimal", "sys-net", "work"), values("ls", usage, List.of("--class", "AppVM"), ""), "after an option's value");
        assertFalse(values("ls", usage, List.of("work"), "-").contains("--running"), "options come before the operands");
        assertEquals(List.of("simple", "network", "kernel", "disk", "perf", "full"),
                values("ls", "  -o, --format FORMAT  a preset", List.of("-o"), ""), "a short spelling takes the long one's values");
    }
}
