package dev.bulkhead.it;

import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertFalse;
import static org.junit.Assert.assertNotEquals;
import static org.junit.Assert.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.stream.Stream;

import org.junit.AfterClass;
import org.junit.Before;
import org.junit.BeforeClass;
import org.junit.Test;

/**
 * {@code bin/client} against the running distribution: each argument reaches the command as given, and
 * nothing in it (';', '|', '&', newlines, '$(...)', '{...}', redirections) runs a second command or touches a
 * file. The old one-line form is there only behind {@code -c}.
 */
public class ClientIT {
    /** Generated vectors are the same at every run; a failure names the vector. */
    private static final long SEED = 0x5eed_c11e_77L;
    private static final int GENERATED_VECTORS = 24;

    private static Path home;
    private static Path victims;
    private static Path keep;

    @BeforeClass
    public static void startADistribution() throws IOException {
        home = DistroCopy.make("bulkhead-client-");
        victims = Files.createDirectories(home.resolve("victims"));
        keep = victims.resolve("keep.txt");
        check(HostCommand.run(home.resolve("bin/start").toString()));
        for (String qube : List.of("fz", "canary")) {
            check(client("qvm:create", "--label", "red", qube));
        }
    }

    @AfterClass
    public static void stopAndRemoveIt() throws IOException {
        if (home == null) {
            return;
        }
        try {
            if (Files.exists(home.resolve("data/run/bulkhead.pid"))) {
                HostCommand.run(home.resolve("bin/stop").toString());
            }
        } finally {
            DistroCopy.delete(home);
        }
    }

    @Before
    public void aFileToProtect() throws IOException {
        Files.writeString(keep, "keep me\n");
    }

    private static HostCommand.Result client(String... args) {
        String[] command = new String[args.length + 1];
        command[0] = home.resolve("bin/client").toString();
        System.arraycopy(args, 0, command, 1, args.length);
        return HostCommand.run(command);
    }

    private static HostCommand.Result check(HostCommand.Result r) {
        assertEquals("exit status; stdout: " + r.stdout() + " stderr: " + r.stderr(), 0, r.exitStatus());
        return r;
    }

    private static boolean exists(String qube) {
        return client("qvm:ls", qube).exitStatus() == 0;
    }

    /** Nothing a hostile argument could have done has happened. */
    private static void assertNothingElseRan(String what) throws IOException {
        assertTrue("the canary qube survives " + what, exists("canary"));
        assertEquals("the protected file is untouched by " + what, "keep me\n", Files.readString(keep));
        try (Stream<Path> files = Files.list(victims)) {
            assertEquals("no file appears because of " + what, List.of(keep), files.toList());
        }
    }

    @Test
    public void aSemicolonInAFeatureValueIsStoredNotRun() throws IOException {
        check(client("qvm:create", "--label", "blue", "fz2"));
        try {
            check(client("qvm:features", "fz", "note", "a; qvm:remove fz2"));
            assertTrue("fz2 survives", exists("fz2"));
            assertEquals("a; qvm:remove fz2\n", check(client("qvm:features", "fz", "note")).stdout());
        } finally {
            client("qvm:remove", "fz2");
        }
    }

    @Test
    public void aRedirectionInATagIsRefusedAsATagAndWritesNoFile() throws IOException {
        String truncating = "x>" + keep;
        String creating = "x>" + victims.resolve("created.txt");
        for (String tag : List.of(truncating, creating)) {
            HostCommand.Result r = client("qvm:tags", "fz", "add", tag);
            assertEquals("qvm:tags fz add " + tag + ": " + r.stderr(), 1, r.exitStatus());
            assertTrue(r.stderr(), r.stderr().contains("invalid tag '" + tag + "'"));
            assertNothingElseRan("qvm:tags fz add " + tag);
        }
        assertEquals("", check(client("qvm:tags", "fz", "list")).stdout());
    }

    @Test
    public void aHostileQubeNameNamesNoQubeAndRunsNothing() throws IOException {
        for (String name : List.of("nope; qvm:remove canary", "nope\nqvm:remove canary", "$(qvm:remove canary)",
                "{ qvm:remove canary }", "nope | qvm:remove canary", "nope && qvm:remove canary", "nope >" + keep)) {
            HostCommand.Result r = client("qvm:prefs", name, "label");
            assertNotEquals("qvm:prefs " + name + " label", 0, r.exitStatus());
            assertNothingElseRan("qvm:prefs '" + name + "' label");
        }
    }

    @Test
    public void aCommandNameIsOneNameNotALine() throws IOException {
        HostCommand.Result r = client("qvm:ls; qvm:remove canary");
        assertEquals(r.stderr(), 2, r.exitStatus());
        assertTrue(r.stderr(), r.stderr().contains("no such command: 'qvm:ls; qvm:remove canary'"));
        assertNothingElseRan("a command name with a ';'");
    }

    @Test
    public void theLineFormNeedsMinusCAndStopsAtTheFirstFailure() throws IOException {
        HostCommand.Result r = client("-c", "qvm:features fz lineform one; qvm:features fz lineform");
        assertEquals("one\n", check(r).stdout());

        r = client("-c", "qvm:prefs nope label; qvm:features fz lineform two");
        assertEquals(r.stderr(), 1, r.exitStatus());
        assertTrue(r.stderr(), r.stderr().contains("nope"));
        assertEquals("what follows the failure did not run", "one\n", check(client("qvm:features", "fz", "lineform")).stdout());
    }

    /**
     * A command over several qubes tries each: every failure is one line {@code qube: reason}, the
     * qubes after it are still done, and the exit status says that something failed.
     */
    @Test
    public void aCommandOverSeveralQubesNamesEachFailureAndFinishesTheRest() throws IOException {
        check(client("qvm:create", "--label", "red", "gone1"));
        check(client("qvm:create", "--label", "red", "gone2"));

        HostCommand.Result remove = client("qvm:remove", "gone1", "nope", "gone2");
        assertEquals(remove.stderr(), 1, remove.exitStatus());
        assertEquals("nope: no such qube: 'nope'\n", remove.stderr());
        assertFalse("gone1 was removed", exists("gone1"));
        assertFalse("gone2, after the failure, was removed too", exists("gone2"));

        HostCommand.Result kill = client("qvm:kill", "canary", "nada");
        assertEquals(kill.stderr(), 1, kill.exitStatus());
        assertEquals("canary: 'canary' is not running\nnada: no such qube: 'nada'\n", kill.stderr());
        assertNothingElseRan("qvm:kill canary nada");
    }

    /**
     * As in Qubes, a rule whose host name does not resolve is saved, with a warning that it allows
     * nothing until it resolves, and the command exits 0; it does not make later commands fail. A
     * refused add exits 1 and saves nothing, and an add that an earlier rule leaves nothing to match
     * is saved with a warning naming that rule.
     */
    @Test
    public void firewallEditsEitherSaveAndExit0OrRefuseAndSaveNothing() throws IOException {
        try {
            check(client("qvm:create", "--label", "green", "--property", "provides_network=True", "fw-sys"));
            check(client("qvm:features", "fw-sys", "role", "firewall"));
            check(client("qvm:create", "--label", "blue", "--property", "netvm=fw-sys", "fw-work"));
            check(client("qvm:start", "fw-work"));
            check(client("qvm:firewall", "fw-work", "del", "0"));

            HostCommand.Result unresolvable = client("qvm:firewall", "fw-work", "add", "action=accept", "dsthost=nonexistent.invalid");
            assertEquals(unresolvable.stderr(), 0, unresolvable.exitStatus());
            assertTrue(unresolvable.stderr(), unresolvable.stderr().startsWith("warning: rule 0 of 'fw-work'")
                    && unresolvable.stderr().contains("'nonexistent.invalid'") && unresolvable.stderr().contains("until it resolves"));

            HostCommand.Result unrelated = client("qvm:firewall", "fw-work", "add", "action=accept", "specialtarget=dns");
            assertEquals(unrelated.stderr(), 0, unrelated.exitStatus());
            assertEquals("action=accept dsthost=nonexistent.invalid\naction=accept specialtarget=dns\n",
                    check(client("qvm:firewall", "--raw", "fw-work")).stdout());

            HostCommand.Result refused = client("qvm:firewall", "fw-work", "add", "action=accept", "dsthost=no_such!host");
            assertEquals(refused.stderr(), 1, refused.exitStatus());
            assertTrue(refused.stderr(), refused.stderr().contains("no_such!host"));
            assertFalse(refused.stderr(), refused.stderr().contains("warning"));

            check(client("qvm:firewall", "fw-work", "add", "action=accept"));
            HostCommand.Result shadowed = client("qvm:firewall", "fw-work", "add", "action=drop", "proto=tcp", "dstports=25");
            assertEquals(shadowed.stderr(), 0, shadowed.exitStatus());
            assertTrue(shadowed.stderr(), shadowed.stderr().contains("warning: rule 3 can never match: rule 2 (action=accept)")
                    && shadowed.stderr().contains("--before 2"));
            assertEquals("action=accept dsthost=nonexistent.invalid\naction=accept specialtarget=dns\naction=accept\n"
                    + "action=drop proto=tcp dstports=25\n", check(client("qvm:firewall", "--raw", "fw-work")).stdout());
        } finally {
            client("qvm:kill", "fw-work", "fw-sys");
            client("qvm:remove", "fw-work", "fw-sys");
        }
    }

    @Test
    public void aFailureIsOneLineNamingTheCommandWithStatusOne() {
        HostCommand.Result r = client("start", "nosuch");
        assertEquals(r.stderr(), 1, r.exitStatus());
        assertEquals("a plain start is qvm:start, not Felix's bundle start", "qvm:start: no such qube: 'nosuch'\n", r.stderr());
        assertEquals("", r.stdout());
    }

    @Test
    public void qubesToolNamesAndHelpPointToTheQvmCommands() {
        HostCommand.Result r = client("qvm-ls");
        assertEquals(r.stderr(), 2, r.exitStatus());
        assertEquals("no such command: 'qvm-ls'; use qvm:ls\n", r.stderr());
        HostCommand.Result help = check(client("qvm:ls", "--help"));
        assertTrue(help.stdout(), help.stdout().startsWith("Usage: qvm:ls "));
        assertEquals(help.stdout(), check(client("help", "qvm:ls")).stdout());
    }

    /** Log lines go to data/log/bulkhead.log, never into what a command prints, even one whose work is logged. */
    @Test
    public void theOutputCarriesNoLogLinesWhichGoToTheLogFile() throws IOException {
        HostCommand.Result install = check(client("feature:install", "vpn"));
        HostCommand.Result uninstall = check(client("feature:uninstall", "vpn"));
        for (HostCommand.Result r : List.of(install, uninstall)) {
            String printed = r.stdout() + r.stderr();
            assertFalse(printed, printed.matches("(?s).*\\b(INFO|WARNING|SEVERE)\\b.*"));
        }
        String log = Files.readString(home.resolve("data/log/bulkhead.log"));
        assertTrue(log, log.contains("INFO dev.bulkhead.features.internal.FeatureService: feature vpn installed"));
        assertTrue(log, log.contains("Client channel listening on " + home.resolve("data/run/client.sock")));
    }

    /** Fragments a hostile caller would mix into an argument. */
    private static final List<String> FRAGMENTS = List.of(";", "|", "&", "&&", "||", "$(", ")", "${", "}", "{", "[", "]", "<", ">",
            ">>", "2>", "<<", "'", "\"", "\\", "`", "$", "#", "*", "?", "~", "=", " ", "  ", "qvm:remove canary", "qvm:kill canary",
            "gogo:sh", "$SCOPE", "$(qvm:remove canary)", "{ qvm:remove canary }", "é", "✓", "\u00a0", "𝄞", "-", "--", "--unset");

    private static String hostile(Random random, List<String> extra) {
        List<String> pool = new ArrayList<>(FRAGMENTS);
        pool.addAll(extra);
        StringBuilder value = new StringBuilder();
        for (int n = 1 + random.nextInt(8); n > 0; n--) {
            value.append(pool.get(random.nextInt(pool.size())));
        }
        return value.toString();
    }

    @Test
    public void generatedHostileValuesArriveByteForByteAndRunNothing() throws IOException {
        Random random = new Random(SEED);
        List<String> files = List.of(">" + keep, ">" + victims.resolve("v1"), ">>" + victims.resolve("v2"), "<" + keep);
        for (int i = 0; i < GENERATED_VECTORS; i++) {
            String value = hostile(random, files);
            HostCommand.Result set = client("qvm:features", "fz", "note", value);
            assertEquals("vector " + i + " " + value + ": " + set.stderr(), 0, set.exitStatus());
            assertEquals("vector " + i + " reads back as given", value + "\n", check(client("qvm:features", "fz", "note")).stdout());
            assertNothingElseRan("vector " + i + " " + value);
        }
    }

    @Test
    public void generatedHostileValuesWithControlCharactersAreRefusedAndRunNothing() throws IOException {
        Random random = new Random(SEED + 1);
        check(client("qvm:features", "fz", "control", "before"));
        for (int i = 0; i < GENERATED_VECTORS / 4; i++) {
            String value = hostile(random, List.of(">" + victims.resolve("v3"))) + "\nqvm:remove canary\t" + hostile(random, List.of());
            HostCommand.Result set = client("qvm:features", "fz", "control", value);
            assertEquals("vector " + i + ": " + set.stderr(), 1, set.exitStatus());
            assertTrue(set.stderr(), set.stderr().contains("invalid feature value"));
            assertEquals("a refused value changes nothing", "before\n", check(client("qvm:features", "fz", "control")).stdout());
            assertNothingElseRan("control vector " + i);
        }
        assertFalse(exists("nope"));
    }
}
