package dev.bulkhead.shell.internal;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.time.ZoneId;
import java.util.List;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import dev.bulkhead.api.AdminException;
import dev.bulkhead.api.firewall.FirewallRule;

/** qvm:firewall either saves and exits 0, or refuses, exits 1 and saves nothing; and says what will not work as written. */
class QvmFirewallCommandTest {
    private static final Instant NOW = Instant.now();
    private final RecordingAdmin admin = new RecordingAdmin("work");
    private final QvmShell shell = new QvmShell(admin.proxy());

    @AfterEach
    void close() {
        shell.close();
    }

    private static FirewallRule rule(String text) {
        return FirewallRule.parse(text, NOW);
    }

    @Test
    void anAddAfterTheDefaultAcceptIsSavedWithAWarningNamingThatRuleAndBefore0() {
        QvmShell.Result r = shell.run("qvm:firewall work add action=drop proto=tcp dstports=25");

        assertEquals(List.of(FirewallRule.ACCEPT_ALL, rule("action=drop proto=tcp dstports=25")), admin.rules);
        assertEquals(0, r.status());
        assertEquals("warning: rule 1 can never match: rule 0 (action=accept) comes first and matches everything it would;"
                + " to put it ahead: qvm:firewall work del 1, then add it again with --before 0\n", r.err());
    }

    @Test
    void anAddWithBefore0GoesFirstWithoutAWarning() {
        QvmShell.Result r = shell.run("qvm:firewall work add --before 0 action=drop proto=tcp dstports=25");

        assertEquals(List.of(rule("action=drop proto=tcp dstports=25"), FirewallRule.ACCEPT_ALL), admin.rules);
        assertEquals(new QvmShell.Result("", "", 0), r);
    }

    @Test
    void theWarningNamesTheFirstEarlierRuleThatMatchesAllTheNewOneWould() {
        admin.rules = List.of(rule("action=accept specialtarget=dns"), rule("action=drop proto=tcp"), rule("action=accept"));

        QvmShell.Result r = shell.run("qvm:firewall work add action=accept proto=tcp dsthost=192.0.2.1 dstports=443");

        assertEquals(0, r.status());
        assertTrue(r.err().startsWith("warning: rule 3 can never match: rule 1 (action=drop proto=tcp) comes first"), r.err());
        assertTrue(r.err().endsWith("--before 1\n"), r.err());
        assertEquals(4, admin.rules.size());
    }

    @Test
    void anAddThatCanMatchWarnsNothing() {
        admin.rules = List.of(rule("action=accept specialtarget=dns"));

        assertEquals(new QvmShell.Result("", "", 0), shell.run("qvm:firewall work add action=accept proto=tcp dsthost=192.0.2.1 dstports=443"));
        assertEquals(2, admin.rules.size());
    }

    /** The role's problems are asked after the rules are saved: failing to ask them does not turn a saved add into a refusal. */
    @Test
    void aSavedAddWhoseProblemsCannotBeToldExits0WithAWarning() {
        admin.firewallProblems = () -> {
            throw new IllegalStateException("sys-firewall's role went away");
        };

        QvmShell.Result r = shell.run("qvm:firewall work add --before 0 action=drop dsthost=192.0.2.9");

        assertEquals(rule("action=drop dsthost=192.0.2.9"), admin.rules.get(0));
        assertEquals(0, r.status());
        assertEquals("warning: cannot tell whether the rules of 'work' are all in force: sys-firewall's role went away\n", r.err());
    }

    @Test
    void aRefusedEditExits1AndSavesNothing() {
        admin.editRefusal = new AdminException("cannot put the firewall rules of 'work' in force: no; its previous rules are back");

        QvmShell.Result r = shell.run("qvm:firewall work add --before 0 action=drop dsthost=192.0.2.9");

        assertEquals(List.of(FirewallRule.ACCEPT_ALL), admin.rules);
        assertEquals(1, r.status());
        assertEquals("cannot put the firewall rules of 'work' in force: no; its previous rules are back\n", r.err());
    }

    /** A host name that does not resolve yet: saved, a warning while it does not resolve, exit 0; later adds are not held against it. */
    @Test
    void anUnresolvableHostIsSavedWithAWarningAndALaterUnrelatedAddExits0() {
        admin.rules = List.of(rule("action=accept specialtarget=dns"));
        admin.firewallProblems = () -> admin.rules.stream().filter(r -> "nonexistent.invalid".equals(r.dsthost()))
                .map(r -> "rule " + admin.rules.indexOf(r) + " of 'work': host name 'nonexistent.invalid' does not resolve").toList();

        QvmShell.Result added = shell.run("qvm:firewall work add action=accept dsthost=nonexistent.invalid");
        assertEquals(new QvmShell.Result("", "warning: rule 1 of 'work': host name 'nonexistent.invalid' does not resolve\n", 0), added);
        assertEquals(rule("action=accept dsthost=nonexistent.invalid"), admin.rules.get(1));

        QvmShell.Result later = shell.run("qvm:firewall work add action=accept proto=tcp dsthost=192.0.2.1 dstports=443");
        assertEquals(0, later.status());
        assertEquals(3, admin.rules.size());
    }

    @Test
    void expireIsShownAsLocalTimeToTheSecond() {
        FirewallRule expiring = new FirewallRule(FirewallRule.Action.ACCEPT, null, null, null, null, null,
                Instant.ofEpochSecond(1_900_000_000L, 123_456_789), null);
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        QvmFirewallCommand.rulesTable(List.of(expiring), ZoneId.of("Europe/Berlin")).print(new PrintStream(bytes, true, StandardCharsets.UTF_8));

        assertEquals("""
                NO  ACTION  HOST  PROTOCOL  PORT(S)  SPECIAL TARGET  ICMP TYPE  EXPIRE               COMMENT
                0   accept  -     -         -        -               -          2030-03-17 18:46:40  -
                """, bytes.toString(StandardCharsets.UTF_8));
    }

    @Test
    void theListingShowsLocalTimeAndTheRawListingEpochSecondsWhichAddReadsBack() {
        admin.rules = List.of();
        assertEquals(0, shell.run("qvm:firewall work add action=accept proto=tcp dstports=22 expire=+3600 comment=for an hour").status());
        FirewallRule added = admin.rules.get(0);

        String table = shell.run("qvm:firewall work").out();
        assertTrue(table.lines().skip(1).findFirst().orElseThrow()
                .contains("  " + QvmFirewallCommand.expireText(added.expire(), ZoneId.systemDefault()) + "  "), table);
        assertTrue(table.matches("(?s).*\\s\\d{4}-\\d\\d-\\d\\d \\d\\d:\\d\\d:\\d\\d\\s.*"), table);

        String raw = shell.run("qvm:firewall --raw work").out();
        assertEquals("action=accept proto=tcp dstports=22 expire=" + added.expire().getEpochSecond() + " comment=for an hour\n", raw);

        admin.rules = List.of();
        assertEquals(0, shell.run("qvm:firewall work add " + raw.strip()).status());
        assertEquals(List.of(added), admin.rules);
    }
}
