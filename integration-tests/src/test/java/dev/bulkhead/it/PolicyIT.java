package dev.bulkhead.it;

import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertNull;
import static org.junit.Assert.assertThrows;
import static org.junit.Assert.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

import org.junit.Test;

import dev.bulkhead.api.Label;
import dev.bulkhead.api.QubeClass;
import dev.bulkhead.api.QubeSpec;
import dev.bulkhead.api.policy.PolicyAction;
import dev.bulkhead.api.policy.PolicyRequest;
import dev.bulkhead.api.policy.QrexecPolicy;

/**
 * The qrexec policy in the real platform: the policy bundle reads etc/policy.d under the platform's etc directory,
 * {@code qvm:policy reload} puts the shipped default policy and a user's file in force, {@code qvm:policy check}
 * prints the decision and the rule (file:line and text) that made it, with the qubes' facts from the admin service,
 * {@code qvm:policy list} lists the rules in order, and a file with an error is refused whole, naming its file and
 * line, while the previous policy stays in force for the shell and for the service. {@code --help} and one-line
 * errors come from the shell's front for every qvm command.
 */
public class PolicyIT extends BulkheadTestSupport {
    @Override
    protected List<String> bundles() {
        List<String> bundles = new ArrayList<>(BUNDLES);
        bundles.add("dev.bulkhead.policy");
        return bundles;
    }

    @Test
    public void reloadPutsFilesInForceCheckNamesTheDecidingRuleAndABadFileLeavesThePreviousPolicy() throws Exception {
        awaitService("(&(osgi.command.scope=qvm)(osgi.command.function=policy))");
        QrexecPolicy policy = service(QrexecPolicy.class, null);
        Path dir = etcDir().resolve("policy.d");
        assertEquals("the policy directory is etc/policy.d", dir.toString(), policy.status().directory());
        assertEquals("without files there are no rules", "deny", shell("qvm:policy check qubes.Filecopy dom0 " + FIRST_TEMPLATE)
                .lines().findFirst().orElseThrow().split(" +")[1]);

        admin().create(new QubeSpec("work", QubeClass.AppVM, Label.BLUE, Map.of()));
        admin().create(new QubeSpec("personal", QubeClass.AppVM, Label.YELLOW, Map.of()));
        admin().addTag("personal", "mine");
        Files.createDirectories(dir);
        Files.copy(workspace().resolve("distro/src/main/dist/etc/policy.d/90-default.policy"), dir.resolve("90-default.policy"));
        Files.writeString(dir.resolve("30-user.policy"), "# mine\nqubes.Filecopy  *  work  @tag:mine  allow\n");

        String loaded = shell("qvm:policy reload");
        assertTrue(loaded, loaded.matches("loaded 8 rules from 2 files in " + java.util.regex.Pattern.quote(dir.toString())
                + ": 30-user.policy, 90-default.policy\n"));

        assertEquals("""
                decision    allow
                target      personal
                user        DEFAULT
                autostart   yes
                notify      no
                reason      allowed by policy 30-user.policy:2
                rule        30-user.policy:2: qubes.Filecopy * work @tag:mine allow
                """, shell("qvm:policy check qubes.Filecopy work personal"));
        String ask = shell("qvm:policy check qubes.Filecopy personal work");
        assertTrue(ask, ask.startsWith("decision    ask\ntargets     " + FIRST_TEMPLATE + ", work\ndefault     -\n"));
        assertTrue(ask, ask.endsWith("rule        90-default.policy:7: qubes.Filecopy * @anyvm @anyvm ask\n"));
        String shellFromDom0 = shell("qvm:policy check qubes.VMShell dom0 work");
        assertTrue(shellFromDom0, shellFromDom0.startsWith("decision    allow\ntarget      work\n"));
        assertTrue(shellFromDom0, shellFromDom0.endsWith("rule        90-default.policy:18: qubes.VMShell * @adminvm @anyvm allow\n"));
        String noSuchTarget = shell("qvm:policy check qubes.VMShell work nosuch");
        assertTrue(noSuchTarget, noSuchTarget.startsWith("decision    deny\n"));

        String list = shell("qvm:policy list");
        List<String> lines = list.lines().toList();
        assertEquals(list, 9, lines.size());
        assertEquals(list, "30-user.policy:2" + " ".repeat(6) + "qubes.Filecopy * work @tag:mine allow", lines.get(1));
        assertEquals(list, "90-default.policy:22  * * * * deny", lines.get(8));

        Files.writeString(dir.resolve("50-bad.policy"), "qubes.Filecopy * work personal deny\n\nqubes.Filecopy * work @anyvm alow\n");
        Exception refused = assertThrows(Exception.class, () -> shell("qvm:policy reload"));
        assertEquals("qvm:policy: 50-bad.policy:3: invalid action: 'alow' (allow, deny or ask); the policy is refused whole and the 8 rules in"
                + " force stay", refused.getMessage());
        assertTrue("the previous policy decides", shell("qvm:policy check qubes.Filecopy work personal")
                .startsWith("decision    allow\ntarget      personal\n"));
        assertEquals(PolicyAction.ALLOW, policy.evaluate(PolicyRequest.of("qubes.Filecopy", "work", "personal")).action());
        assertEquals(8, policy.rules().size());
        assertEquals("50-bad.policy:3: invalid action: 'alow' (allow, deny or ask)", policy.status().problem());
        assertTrue(shell("qvm:policy list"), shell("qvm:policy list").contains(
                "last reload refused, these rules stay in force: 50-bad.policy:3: invalid action: 'alow'"));

        Files.writeString(dir.resolve("50-bad.policy"), "qubes.Filecopy * work personal deny\n");
        assertTrue(shell("qvm:policy reload").startsWith("loaded 9 rules from 3 files"));
        assertNull(policy.status().problem());
        assertTrue("30-user.policy still comes first", shell("qvm:policy check qubes.Filecopy work personal").startsWith("decision    allow\n"));
        Files.writeString(dir.resolve("20-first.policy"), "qubes.Filecopy * work personal deny notify=no\n");
        shell("qvm:policy reload");
        assertTrue(shell("qvm:policy check qubes.Filecopy work personal").endsWith(
                "rule        20-first.policy:1: qubes.Filecopy * work personal deny notify=no\n"));
    }

    @Test
    public void theCommandHasHelpAndFailsOnOneLine() throws Exception {
        awaitService("(&(osgi.command.scope=qvm)(osgi.command.function=policy))");
        String help = shell("qvm:policy --help");
        assertTrue(help, help.startsWith("Usage: qvm:policy list | check SERVICE[+ARG] SOURCE TARGET | reload | ask [list]"
                + " | ask allow ID TARGET | ask deny ID | log [N]\n"));
        assertTrue(help, help.contains("reload  reads the files again"));
        assertTrue(help, help.contains("ask     the calls that wait for the user"));
        assertTrue(help, help.contains("log     the last N calls"));
        assertEquals("no prompt waits\n", shell("qvm:policy ask"));
        assertEquals("no calls logged\n", shell("qvm:policy log 5"));
        Exception unknown = assertThrows(Exception.class, () -> shell("qvm:policy frob"));
        assertEquals("qvm:policy: invalid action 'frob': list, check, reload, ask or log: qvm:policy list | check SERVICE[+ARG] SOURCE"
                + " TARGET | reload | ask [list] | ask allow ID TARGET | ask deny ID | log [N]", unknown.getMessage());
        Exception bad = assertThrows(Exception.class, () -> shell("qvm:policy check 'a/b' dom0 work"));
        assertEquals("qvm:policy: invalid service 'a/b': it contains invalid characters: '/'", bad.getMessage());
    }
}
