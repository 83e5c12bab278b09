package dev.bulkhead.it;

import static org.junit.Assert.assertArrayEquals;
import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertTrue;
import static org.junit.Assert.fail;

import java.nio.charset.StandardCharsets;
import java.util.Map;
import java.util.Set;

import org.junit.Before;
import org.junit.Test;

import dev.bulkhead.api.AdminException;
import dev.bulkhead.api.Label;
import dev.bulkhead.api.PowerState;
import dev.bulkhead.api.QubeClass;
import dev.bulkhead.api.QubeSpec;

/**
 * Every refused request names what it refused, and leaves the state file byte for byte, the qube
 * list and the data directory as they were.
 */
public class ValidationIT extends BulkheadTestSupport {

    /** alpha, bravo: plain AppVMs; relay, relay2: give network; client uses relay; tpl2: a second template. */
    @Before
    public void createQubes() {
        admin().create(new QubeSpec("tpl2", QubeClass.TemplateVM, Label.BLACK, Map.of()));
        admin().create(new QubeSpec("alpha", QubeClass.AppVM, Label.RED, Map.of()));
        admin().create(new QubeSpec("bravo", QubeClass.AppVM, Label.ORANGE, Map.of()));
        admin().create(new QubeSpec("relay", QubeClass.AppVM, Label.GRAY, Map.of("provides_network", "True")));
        admin().create(new QubeSpec("relay2", QubeClass.AppVM, Label.GRAY, Map.of("provides_network", "True")));
        admin().setProperty("relay", "netvm", "relay2");
        admin().create(new QubeSpec("client", QubeClass.AppVM, Label.GREEN, Map.of("netvm", "relay")));
    }

    @Test
    public void badNamesAreRefused() {
        String tooLong = "n" + "x".repeat(31);
        for (String name : new String[] { "1abc", "a b", tooLong, "none", "default", "Domain-0", "x-dm", "alpha" }) {
            assertRefused("create " + name, () -> admin().create(new QubeSpec(name, QubeClass.AppVM, Label.RED, Map.of())),
                    "'" + name + "'");
        }
        assertRefused("clone to 1abc", () -> admin().clone("alpha", "1abc"), "'1abc'");
        assertRefused("clone to bravo", () -> admin().clone("alpha", "bravo"), "'bravo'");
    }

    @Test
    public void badLabelsAndClassesAreRefused() {
        assertRefused("label pink", () -> admin().setProperty("alpha", "label", "pink"), "'pink'");
        assertRefused("a second AdminVM", () -> admin().create(new QubeSpec("admin2", QubeClass.AdminVM, Label.RED, Map.of())),
                "AdminVM");
        assertRefused("class HyperVM through the shell", () -> shell("qvm:create --class HyperVM --label red hyper"),
                "'HyperVM'");
        assertRefused("label pink through the shell", () -> shell("qvm:create --label pink hyper"), "'pink'");
    }

    @Test
    public void badNumbersAreRefused() {
        for (String memory : new String[] { "abc", "-1", "0" }) {
            assertRefused("memory " + memory, () -> admin().setProperty("alpha", "memory", memory), "'" + memory + "'");
        }
        assertRefused("vcpus 0", () -> admin().setProperty("alpha", "vcpus", "0"), "'0'");
        assertRefused("create with memory abc",
                () -> admin().create(new QubeSpec("numbers", QubeClass.AppVM, Label.RED, Map.of("memory", "abc"))), "'abc'");
    }

    @Test
    public void networkRulesAreKept() {
        assertRefused("netvm without provides_network", () -> admin().setProperty("alpha", "netvm", "bravo"), "'bravo'");
        assertRefused("netvm loop relay -> relay2 -> relay", () -> admin().setProperty("relay2", "netvm", "relay"), "loop",
                "relay2 -> relay");
        assertRefused("provides_network off while client uses relay",
                () -> admin().setProperty("relay", "provides_network", "False"), "provides_network", "'relay'", "client");
        assertRefused("netvm naming no qube", () -> admin().setProperty("alpha", "netvm", "nowhere"), "'nowhere'");
    }

    @Test
    public void templateRulesAreKept() {
        assertRefused("AppVM template set to an AppVM", () -> admin().setProperty("alpha", "template", "bravo"), "'bravo'");
        assertRefused("AppVM created on an AppVM",
                () -> admin().create(new QubeSpec("onapp", QubeClass.AppVM, Label.RED, Map.of("template", "bravo"))), "'bravo'");
    }

    @Test
    public void templateOfARunningQubeCannotChange() {
        admin().start("alpha");
        assertEquals(PowerState.Running, admin().get("alpha").state());
        assertRefused("template change while running", () -> admin().setProperty("alpha", "template", "tpl2"), "'alpha'",
                "template");
        assertRefused("template reset while running", () -> admin().resetProperty("alpha", "template"), "'alpha'");
    }

    @Test
    public void readOnlyAndUnknownPropertiesAreRefused() {
        for (String[] change : new String[][] { { "name", "omega" }, { "qid", "42" }, { "klass", "TemplateVM" } }) {
            assertRefused("set " + change[0], () -> admin().setProperty("alpha", change[0], change[1]), "'" + change[0] + "'");
        }
        assertRefused("unknown property", () -> admin().setProperty("alpha", "colour", "red"), "'colour'");
    }

    private interface Request {
        void run() throws Exception;
    }

    /**
     * Asserts that the request throws an {@link AdminException} whose message holds every expected
     * text, and that nothing changed: the state file's bytes, the qube list, the data directory.
     */
    private void assertRefused(String what, Request request, String... expected) {
        byte[] bytes = stateBytes();
        String qubes = describeQubes();
        Set<String> tree = dataTree();
        try {
            request.run();
            fail(what + ": accepted; qubes now:\n" + describeQubes());
        } catch (Exception e) {
            // through the shell, the refusal is one line naming the command, with the platform's refusal as its cause
            if (!(e instanceof AdminException) && !(e.getCause() instanceof AdminException)) {
                throw new AssertionError(what + ": refused with " + e + " rather than an AdminException", e);
            }
            for (String text : expected) {
                assertTrue(what + ": the message does not name " + text + ": " + e.getMessage(), e.getMessage().contains(text));
            }
        }
        assertArrayEquals(what + ": qubes.json changed; now:\n" + new String(stateBytes(), StandardCharsets.UTF_8), bytes,
                stateBytes());
        assertEquals(what + ": the qube list changed", qubes, describeQubes());
        assertEquals(what + ": the data directory changed", tree, dataTree());
    }
}
