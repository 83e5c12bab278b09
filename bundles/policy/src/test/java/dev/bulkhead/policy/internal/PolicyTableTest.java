package dev.bulkhead.policy.internal;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.stream.Stream;

import org.junit.jupiter.api.DynamicTest;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestFactory;
import org.junit.jupiter.api.io.TempDir;

import dev.bulkhead.api.InvalidValueException;
import dev.bulkhead.api.QubeClass;
import dev.bulkhead.api.policy.PolicyAction;
import dev.bulkhead.api.policy.PolicyDecision;
import dev.bulkhead.api.policy.PolicyRequest;
import dev.bulkhead.api.policy.PolicySyntaxException;
import dev.bulkhead.policy.internal.SystemInfo.QubeFacts;

/**
 * The policy parser and evaluator against a table of cases written from qrexec's documented semantics
 * ({@code qrexec/policy/parser.py} and the Qubes policy documentation): tokens in each column, first match wins,
 * service and argument matching, {@code @default}, {@code @dispvm} and its variants, {@code ask} with the targets it
 * offers and {@code default_target}, {@code autostart} and {@code notify}, includes and file order, files refused with
 * their file and line, and the shipped default policy.
 * <p>
 * A decision is written {@code ACTION [TARGET | [TARGETS] default=D] [user=U] [autostart=no] [notify=yes|no] @LINE}
 * (the line of the deciding rule; none when no rule matched). Notify is written when it is not the action's default.
 */
class PolicyTableTest {
    /** dom0; running: work, untrusted, disp7; the others are halted. default-dvm and dvm-low are disposable templates. */
    static final SystemInfo SYSTEM = new SystemInfo(List.of(
            new QubeFacts("dom0", QubeClass.AdminVM, Set.of(), false, "default-dvm", true),
            new QubeFacts("work", QubeClass.AppVM, Set.of("work"), false, "default-dvm", true),
            new QubeFacts("personal", QubeClass.AppVM, Set.of(), false, "default-dvm", false),
            new QubeFacts("untrusted", QubeClass.AppVM, Set.of("low"), false, "dvm-low", true),
            new QubeFacts("vault", QubeClass.AppVM, Set.of("secret"), false, null, false),
            new QubeFacts("default-dvm", QubeClass.AppVM, Set.of("dvm"), true, "default-dvm", false),
            new QubeFacts("dvm-low", QubeClass.AppVM, Set.of("dvm", "low"), true, "dvm-low", false),
            new QubeFacts("debian", QubeClass.TemplateVM, Set.of(), false, null, false),
            new QubeFacts("std", QubeClass.StandaloneVM, Set.of(), false, "default-dvm", false),
            new QubeFacts("disp7", QubeClass.DispVM, Set.of(), false, "default-dvm", true)));

    /** Every qube but dom0, and both disposable templates: what {@code @anyvm} offers, before the caller is taken out. */
    private static final String ANY = "@dispvm:default-dvm,@dispvm:dvm-low,debian,default-dvm,disp7,dvm-low,personal,std,untrusted,vault,work";

    @TempDir
    Path tmp;
    private int dirs;

    private static final String FIRST_MATCH = """
            svc.A  +x  work  personal  allow
            svc.A  *   work  personal  deny
            svc.A  +y  work  personal  allow
            svc.B  *   *     *         deny notify=no
            *      *   work  vault     deny
            *      *   work  @anyvm    allow
            """;
    private static final String SOURCES = """
            s.Src * @adminvm          @anyvm   allow
            s.Src * @tag:low          @anyvm   deny
            s.Src * @type:TemplateVM  @anyvm   deny notify=no
            s.Src * @type:DispVM      @anyvm   allow target=vault
            s.Src * @anyvm            personal allow
            s.Src * *                 @adminvm allow
            s.Src * @dispvm:default-dvm *      deny
            """;
    private static final String TARGETS = """
            t.T * work @tag:secret          allow
            t.T * work @type:TemplateVM     allow autostart=no
            t.T * work @default             allow target=personal
            t.T * work @dispvm:dvm-low      deny
            t.T * work @dispvm              allow
            t.T * work @dispvm:@tag:dvm     allow
            t.T * work dom0                 allow user=root
            t.T * work *                    ask
            """;
    private static final String ASK = """
            qubes.Filecopy * untrusted vault   deny
            qubes.Filecopy * @anyvm    @dispvm allow
            qubes.Filecopy * @anyvm    @anyvm  ask default_target=personal
            """;
    private static final String ASK_PARAMS = """
            a.Ask * work      * ask target=personal
            a.Ask * untrusted * ask target=@dispvm default_target=@dispvm
            a.Ask * vault     * ask autostart=no
            a.Ask * personal  * ask target=nosuch
            a.Ask * disp7     * ask default_target=dom0
            """;
    private static final String ALLOW_PARAMS = """
            p.P * work   personal allow user=root notify=yes
            p.P * work   vault    allow autostart=no
            p.P * work   untrusted allow autostart=no
            p.P * work   @dispvm  allow autostart=no
            p.P * work   @anyvm   deny notify=no
            p.P * @anyvm @anyvm   deny
            """;
    private static final String DISPVMS = """
            d.D * @tag:low @dispvm             allow
            d.D * work     @dispvm:@tag:dvm    ask
            d.D * personal @dispvm:default-dvm allow
            d.D * vault    @dispvm             ask
            d.D * @anyvm   @anyvm              allow target=@dispvm:dvm-low
            """;
    private static final String ARGUMENTS = """
            arg.A +allowed work personal allow
            arg.A +        work personal ask
            arg.A +a+b     work personal allow target=vault
            arg.A *        work personal deny
            """;
    private static final String WILDCARD = """
            w.W * work * allow
            """;

    private static final List<String[]> DECISIONS = List.of(
            // first match wins; service and argument
            c(FIRST_MATCH, "svc.A+x work personal", "allow personal @1"),
            c(FIRST_MATCH, "svc.A+y work personal", "deny @2"),
            c(FIRST_MATCH, "svc.A work personal", "deny @2"),
            c(FIRST_MATCH, "svc.A+x work vault", "deny @5"),
            c(FIRST_MATCH, "svc.A+x untrusted personal", "deny"),
            c(FIRST_MATCH, "svc.B work personal", "deny notify=no @4"),
            c(FIRST_MATCH, "svc.B dom0 work", "deny notify=no @4"),
            c(FIRST_MATCH, "svc.C work personal", "allow personal @6"),
            c(FIRST_MATCH, "svc.C work vault", "deny @5"),
            c(FIRST_MATCH, "svc.C work dom0", "deny"),
            c(FIRST_MATCH, "svc.C+anything work personal", "allow personal @6"),
            c(FIRST_MATCH, "svc.C work nosuch", "deny @6"),
            c(FIRST_MATCH, "svc.C work @default", "deny @6"),
            c(FIRST_MATCH, "svc.A+x work work", "deny @6"),
            c(FIRST_MATCH, "svc.a+x work personal", "allow personal @6"),
            // source tokens
            c(SOURCES, "s.Src dom0 personal", "allow personal @1"),
            c(SOURCES, "s.Src untrusted personal", "deny @2"),
            c(SOURCES, "s.Src dvm-low personal", "deny @2"),
            c(SOURCES, "s.Src debian personal", "deny notify=no @3"),
            c(SOURCES, "s.Src disp7 personal", "allow vault @4"),
            c(SOURCES, "s.Src work personal", "allow personal @5"),
            c(SOURCES, "s.Src work dom0", "allow dom0 @6"),
            c(SOURCES, "s.Src work @adminvm", "allow dom0 @6"),
            c(SOURCES, "s.Src work vault", "deny"),
            c(SOURCES, "s.Src nosuch personal", "allow personal @5"),
            c(SOURCES, "s.Src dom0 dom0", "deny @6"),
            c(SOURCES, "s.Src untrusted dom0", "allow dom0 @6"),
            // target tokens
            c(TARGETS, "t.T work vault", "allow vault @1"),
            c(TARGETS, "t.T work debian", "deny notify=no @2"),
            c(TARGETS, "t.T work @default", "allow personal @3"),
            c(TARGETS, "t.T work nosuch", "allow personal @3"),
            c(TARGETS, "t.T work @dispvm:dvm-low", "deny @4"),
            c(TARGETS, "t.T work @dispvm", "allow @dispvm:default-dvm @5"),
            c(TARGETS, "t.T work @dispvm:default-dvm", "allow @dispvm:default-dvm @6"),
            c(TARGETS, "t.T work @dispvm:work", "deny"),
            c(TARGETS, "t.T work @dispvm:nosuch", "deny"),
            c(TARGETS, "t.T work dom0", "allow dom0 user=root @7"),
            c(TARGETS, "t.T work @adminvm", "allow dom0 user=root @7"),
            c(TARGETS, "t.T work @anyvm", "deny"),
            c(TARGETS, "t.T work @tag:secret", "deny"),
            c(TARGETS, "t.T work personal",
                    "ask [@dispvm:default-dvm,debian,default-dvm,disp7,dom0,dvm-low,personal,std,untrusted,vault] @8"),
            // ask: the targets offered, a deny taking one away, default_target
            c(ASK, "qubes.Filecopy untrusted personal",
                    "ask [@dispvm:default-dvm,@dispvm:dvm-low,debian,default-dvm,disp7,dvm-low,personal,std,work] default=personal @3"),
            c(ASK, "qubes.Filecopy work personal",
                    "ask [@dispvm:default-dvm,@dispvm:dvm-low,debian,default-dvm,disp7,dvm-low,personal,std,untrusted,vault] default=personal @3"),
            c(ASK, "qubes.Filecopy untrusted vault", "deny @1"),
            c(ASK, "qubes.Filecopy personal @default",
                    "ask [@dispvm:default-dvm,@dispvm:dvm-low,debian,default-dvm,disp7,dvm-low,std,untrusted,vault,work] @3"),
            c(ASK, "qubes.Filecopy work @dispvm", "allow @dispvm:default-dvm @2"),
            c(ASK, "qubes.Filecopy vault @dispvm", "deny @2"),
            c(ASK, "qubes.Filecopy work dom0", "deny"),
            c(ASK, "qubes.Filecopy dom0 work", "deny"),
            c(ASK_PARAMS, "a.Ask work vault", "ask [personal] @1"),
            c(ASK_PARAMS, "a.Ask untrusted work", "ask [@dispvm:dvm-low] default=@dispvm:dvm-low @2"),
            c(ASK_PARAMS, "a.Ask vault work", "ask [disp7,dom0,untrusted,work] autostart=no @3"),
            c(ASK_PARAMS, "a.Ask personal work", "deny @4"),
            c(ASK_PARAMS, "a.Ask disp7 work",
                    "ask [@dispvm:default-dvm,@dispvm:dvm-low,debian,default-dvm,dom0,dvm-low,personal,std,untrusted,vault,work] default=dom0 @5"),
            // allow's parameters
            c(ALLOW_PARAMS, "p.P work personal", "allow personal user=root notify=yes @1"),
            c(ALLOW_PARAMS, "p.P work vault", "deny notify=no @2"),
            c(ALLOW_PARAMS, "p.P work untrusted", "allow untrusted autostart=no @3"),
            c(ALLOW_PARAMS, "p.P work @dispvm", "deny notify=no @4"),
            c(ALLOW_PARAMS, "p.P work debian", "deny notify=no @5"),
            c(ALLOW_PARAMS, "p.P personal work", "deny @6"),
            // @dispvm, @dispvm:NAME, @dispvm:@tag:TAG
            c(DISPVMS, "d.D untrusted @dispvm", "allow @dispvm:dvm-low @1"),
            c(DISPVMS, "d.D work @dispvm", "ask [@dispvm:default-dvm,@dispvm:dvm-low] @2"),
            c(DISPVMS, "d.D personal @dispvm", "allow @dispvm:default-dvm @3"),
            c(DISPVMS, "d.D personal @dispvm:default-dvm", "allow @dispvm:default-dvm @3"),
            c(DISPVMS, "d.D vault @dispvm", "ask [@dispvm:dvm-low] @4"),
            c(DISPVMS, "d.D vault personal", "allow @dispvm:dvm-low @5"),
            c(DISPVMS, "d.D work personal", "allow @dispvm:dvm-low @5"),
            c(DISPVMS, "d.D work @dispvm:nosuch", "deny"),
            c(DISPVMS, "d.D dom0 @dispvm", "deny"),
            // argument matching
            c(ARGUMENTS, "arg.A+allowed work personal", "allow personal @1"),
            c(ARGUMENTS, "arg.A work personal", "ask [personal] @2"),
            c(ARGUMENTS, "arg.A+ work personal", "ask [personal] @2"),
            c(ARGUMENTS, "arg.A+a+b work personal", "allow vault @3"),
            c(ARGUMENTS, "arg.A+other work personal", "deny @4"),
            c(ARGUMENTS, "arg.A+Allowed work personal", "deny @4"),
            // * as target: anything, dom0 and the keywords included
            c(WILDCARD, "w.W work dom0", "allow dom0 @1"),
            c(WILDCARD, "w.W work @dispvm", "allow @dispvm:default-dvm @1"),
            c(WILDCARD, "w.W work @default", "deny @1"),
            c(WILDCARD, "w.W work personal", "allow personal @1"),
            c(WILDCARD, "w.W work @dispvm:dvm-low", "allow @dispvm:dvm-low @1"),
            c(WILDCARD, "w.W work work", "deny @1"),
            c(WILDCARD, "w.X work personal", "deny"));

    /** The shipped default policy (distro etc/policy.d/90-default.policy). */
    private static final List<String[]> DEFAULTS = List.of(
            c(null, "qubes.Filecopy work personal", "ask [" + ANY.replace(",work", "") + "] @7"),
            c(null, "qubes.Filecopy work dom0", "deny @22"),
            c(null, "qubes.OpenInVM work @dispvm", "allow @dispvm:default-dvm @11"),
            c(null, "qubes.OpenInVM vault @dispvm", "deny @11"),
            c(null, "qubes.OpenInVM work personal", "ask [" + ANY.replace(",work", "") + "] default=@dispvm:default-dvm @12"),
            c(null, "qubes.ClipboardPaste work personal", "ask [" + ANY.replace(",work", "") + "] @15"),
            c(null, "qubes.VMShell dom0 work", "allow work @18"),
            c(null, "qubes.VMShell work personal", "deny @19"),
            c(null, "qubes.VMShell work dom0", "deny @22"),
            c(null, "qubes.GetDate work personal", "deny @22"),
            c(null, "qubes.Filecopy+x work personal", "ask [" + ANY.replace(",work", "") + "] @7"));

    /** Files (name, text, name, text, ...) and the refusal each makes: FILE:LINE: what. */
    private static final List<String[]> REFUSALS = List.of(
            r("x.P * work personal alow", "t.policy:1: invalid action: 'alow' (allow, deny or ask)"),
            r("# comment\r\n\r\n  \t\nx.P * work personal", "t.policy:4: wrong number of fields: a rule is SERVICE +ARGUMENT SOURCE TARGET ACTION [PARAMS]"),
            r("x.P x work personal allow", "t.policy:1: argument 'x' does not start with +"),
            r("* +x work personal allow", "t.policy:1: only * argument allowed for * service"),
            r("q/s * work personal allow", "t.policy:1: service 'q/s' contains invalid characters: '/'"),
            r("q+s * work personal allow", "t.policy:1: service 'q+s' contains invalid characters: '+'"),
            r("x.P +a/b work personal allow", "t.policy:1: argument '+a/b' contains invalid characters: '/'"),
            r("x.P * @foo personal allow", "t.policy:1: invalid source token '@foo'"),
            r("x.P * @default personal allow", "t.policy:1: invalid source token '@default'"),
            r("x.P * @dispvm personal allow", "t.policy:1: invalid source token '@dispvm'"),
            r("x.P * work @tag: allow", "t.policy:1: invalid empty @tag: token in the target"),
            r("x.P * work @dispvm:@tag: allow", "t.policy:1: invalid empty @dispvm:@tag: token in the target"),
            r("x.P * work @dispvm:@foo allow", "t.policy:1: invalid target token '@dispvm:@foo'"),
            r("x.P * work @type:Foo allow", "t.policy:1: invalid target '@type:Foo': the class must be AdminVM, AppVM, DispVM, StandaloneVM or TemplateVM"),
            r("x.P * 1abc personal allow", "t.policy:1: invalid source '1abc': not a qube name (a letter, then letters, digits, '_', '.', '-'; at most 31) nor a token"),
            r("x.P * work personal allow target=@anyvm", "t.policy:1: invalid redirect token '@anyvm'"),
            r("x.P * work @default allow", "t.policy:1: allow action for @default rule must specify target= option"),
            r("x.P * work personal allow foo=bar", "t.policy:1: invalid parameter 'foo' for action allow (it takes autostart, notify, target, user)"),
            r("x.P * work personal deny target=work", "t.policy:1: invalid parameter 'target' for action deny (it takes notify)"),
            r("x.P * work personal allow default_target=work", "t.policy:1: invalid parameter 'default_target' for action allow (it takes autostart, notify, target, user)"),
            r("x.P * work personal allow notify=maybe", "t.policy:1: 'notify' is 'maybe', but can be only 'yes' or 'no'"),
            r("x.P * work personal ask autostart=1", "t.policy:1: 'autostart' is '1', but can be only 'yes' or 'no'"),
            r("x.P * work personal allow user=a user=b", "t.policy:1: parameter given twice: 'user'"),
            r("x.P * work personal allow user", "t.policy:1: invalid action parameter syntax: 'user' (KEY=VALUE)"),
            r("!include nosuch", "t.policy:1: no such file or directory: nosuch"),
            r("!include", "t.policy:1: invalid number of params"),
            r("!include a b", "t.policy:1: invalid number of params"),
            r("!include-dir nosuch", "t.policy:1: no such file or directory: nosuch"),
            r("ok.P * work personal allow\n!include ../outside", "t.policy:2: include outside the policy directory: " + "OUTSIDE"),
            r("!bogus x", "t.policy:1: invalid directive '!bogus' (!include, !include-dir or !include-service)"),
            r("!include-service x.S +a", "t.policy:1: invalid number of params"),
            r("ok.P * work personal allow\nx.P * work personal allow\u00a0target=\u202evault", "t.policy:2: invalid redirect '?vault': not a qube name (a letter, then letters, digits, '_', '.', '-'; at most 31) nor a token"));

    private static String[] c(String policy, String call, String expected) {
        return new String[] { policy, call, expected };
    }

    private static String[] r(String text, String expected) {
        return new String[] { text, expected };
    }

    @Test
    void theTableHasAtLeastAHundredCases() {
        assertTrue(DECISIONS.size() + DEFAULTS.size() + REFUSALS.size() >= 100, DECISIONS.size() + DEFAULTS.size() + REFUSALS.size() + " cases");
    }

    @TestFactory
    Stream<DynamicTest> eachCallIsDecidedAsQrexecDecidesIt() {
        return DECISIONS.stream().map(k -> DynamicTest.dynamicTest(k[1] + " -> " + k[2], () ->
                assertEquals(k[2], decide(load(Map.of("t.policy", k[0])), k[1]), "under\n" + k[0])));
    }

    @TestFactory
    Stream<DynamicTest> theShippedDefaultPolicyDecidesAsQubesDefaults() {
        Path shipped = Path.of("../../distro/src/main/dist/etc/policy.d").toAbsolutePath().normalize();
        List<Rule> rules = PolicyFiles.load(shipped).rules();
        return DEFAULTS.stream().map(k -> DynamicTest.dynamicTest(k[1] + " -> " + k[2], () -> assertEquals(k[2], decide(rules, k[1]))));
    }

    @TestFactory
    Stream<DynamicTest> aFileWithAnErrorIsRefusedWithItsFileAndLine() {
        return REFUSALS.stream().filter(k -> k[1] != null).map(k -> DynamicTest.dynamicTest(k[1], () -> {
            Path dir = directory(Map.of("t.policy", k[0]));
            PolicySyntaxException e = assertThrows(PolicySyntaxException.class, () -> PolicyFiles.load(dir));
            assertEquals(k[1].replace("OUTSIDE", dir.resolve("../outside").normalize().toString()), e.getMessage());
            assertEquals("t.policy", e.file());
        }));
    }

    // ---- includes and file order -----------------------------------------------------------------------------------

    @Test
    void anIncludedFileStandsWhereItIsIncludedAndItsRulesNameIt() {
        List<Rule> rules = load(files("10-a.policy", "!include include/extra\ni.I * work personal deny",
                "include/extra", "# included\ni.I * work personal allow"));
        assertEquals("allow personal @2", decide(rules, "i.I work personal"));
        assertEquals("include/extra", PolicyEvaluator.evaluate(rules, SYSTEM, PolicyRequest.of("i.I", "work", "personal")).rule().file());
        assertEquals(List.of("include/extra:2: i.I * work personal allow", "10-a.policy:2: i.I * work personal deny"),
                rules.stream().map(x -> x.origin().toString()).toList());
    }

    @Test
    void filesAreReadInLexicalOrderSoThatOneHundredComesBeforeThirty() {
        List<Rule> rules = load(files("30-a.policy", "o.O * work personal allow", "100-z.policy", "o.O * work personal deny"));
        assertEquals("deny @1", decide(rules, "o.O work personal"));
        assertEquals("100-z.policy", rules.get(0).origin().file());
    }

    @Test
    void includeDirReadsThePolicyFilesOfADirectoryInOrderAndSkipsOthers() {
        List<Rule> rules = load(files("10-a.policy", "!include-dir more",
                "more/20-x.policy", "m.M * work personal deny",
                "more/10-y.policy", "m.M * work personal allow",
                "more/readme", "not a policy",
                "more/.hidden.policy", "m.M * work personal ask"));
        assertEquals(List.of("more/10-y.policy:1: m.M * work personal allow", "more/20-x.policy:1: m.M * work personal deny"),
                rules.stream().map(x -> x.origin().toString()).toList());
    }

    @Test
    void includeServiceReadsTheOldFormatForOneServiceAndArgument() {
        List<Rule> rules = load(files("10-a.policy", "!include-service old.S +arg include/old",
                "include/old", "$anyvm $anyvm allow,target=personal"));
        assertEquals("allow personal @1", decide(rules, "old.S+arg work vault"));
        assertEquals("deny", decide(rules, "old.S+other work vault"));
        assertEquals("old.S +arg @anyvm @anyvm allow target=personal", rules.get(0).origin().text());
    }

    @Test
    void onlyPolicyFilesOfTheTopDirectoryAreReadAndHiddenOnesAreSkipped() {
        PolicyFiles.Loaded loaded = PolicyFiles.load(directory(files("50-b.policy", "b.B * work personal allow",
                ".50-a.policy", "garbage", "README", "garbage", "60-c.policy.orig", "garbage")));
        assertEquals(List.of("50-b.policy"), loaded.files());
        assertEquals(1, loaded.rules().size());
    }

    @Test
    void aCircularIncludeIsRefusedAtTheIncludeThatCloses() {
        Path dir = directory(files("10-a.policy", "!include include/b", "include/b", "!include 10-a.policy"));
        PolicySyntaxException e = assertThrows(PolicySyntaxException.class, () -> PolicyFiles.load(dir));
        assertEquals("include/b:1: circular include: 10-a.policy -> include/b -> 10-a.policy", e.getMessage());
    }

    @Test
    void anErrorInAnIncludedFileNamesThatFileAndLine() {
        Path dir = directory(files("10-a.policy", "ok.P * work personal allow\n!include include/b", "include/b", "\n\nbad.P * work"));
        PolicySyntaxException e = assertThrows(PolicySyntaxException.class, () -> PolicyFiles.load(dir));
        assertEquals("include/b", e.file());
        assertEquals(3, e.line());
    }

    @Test
    void aFileNameOutsideQubesCharactersRefusesTheWholePolicy() {
        Path dir = directory(files("10-a.policy", "ok.P * work personal allow", "20-Bad.policy", "ok.P * work personal deny"));
        PolicySyntaxException e = assertThrows(PolicySyntaxException.class, () -> PolicyFiles.load(dir));
        assertEquals("20-Bad.policy: invalid file name: only a-z, 0-9, '_', '.' and '-' are allowed", e.getMessage());
    }

    @Test
    void aSymbolicLinkLeavingTheDirectoryIsRefused() throws IOException {
        Path dir = directory(files("10-a.policy", "ok.P * work personal allow"));
        Path outside = Files.writeString(tmp.resolve("elsewhere.policy"), "ok.P * work personal deny");
        Files.createSymbolicLink(dir.resolve("20-link.policy"), outside);
        PolicySyntaxException e = assertThrows(PolicySyntaxException.class, () -> PolicyFiles.load(dir));
        assertTrue(e.getMessage().startsWith("20-link.policy: include outside the policy directory"), e.getMessage());
    }

    @Test
    void aFileThatIsNoUtf8TextOrTooLargeIsRefused() throws IOException {
        Path dir = directory(files("10-a.policy", "ok.P * work personal allow"));
        Files.write(dir.resolve("20-b.policy"), new byte[] { 'o', 'k', (byte) 0xff, '\n' });
        assertEquals("20-b.policy: not UTF-8 text", assertThrows(PolicySyntaxException.class, () -> PolicyFiles.load(dir)).getMessage());
        Files.writeString(dir.resolve("20-b.policy"), "# x\n".repeat(PolicyFiles.MAX_FILE_BYTES / 4 + 1));
        assertEquals("20-b.policy: larger than " + PolicyFiles.MAX_FILE_BYTES + " bytes",
                assertThrows(PolicySyntaxException.class, () -> PolicyFiles.load(dir)).getMessage());
    }

    @Test
    void aMissingDirectoryIsAnEmptyPolicyThatDeniesEverything() {
        List<Rule> rules = PolicyFiles.load(tmp.resolve("none")).rules();
        assertEquals(List.of(), rules);
        assertEquals("deny", decide(rules, "qubes.Filecopy work personal"));
    }

    @Test
    void aMalformedRequestIsRefusedNamingWhatIsWrong() {
        List<Rule> rules = load(Map.of("t.policy", WILDCARD));
        assertEquals("invalid service 'a/b': it contains invalid characters: '/'",
                assertThrows(InvalidValueException.class, () -> decide(rules, "a/b work personal")).getMessage());
        assertEquals("invalid argument '+a b': it contains invalid characters: ' '",
                assertThrows(InvalidValueException.class, () -> PolicyEvaluator.evaluate(rules, SYSTEM,
                        new PolicyRequest("w.W", "+a b", "work", "personal"))).getMessage());
        assertTrue(assertThrows(InvalidValueException.class, () -> decide(rules, "w.W+" + "a".repeat(70) + " work personal"))
                .getMessage().endsWith("at most 64 characters with the argument"));
        assertEquals("invalid source '../x': a qube name",
                assertThrows(InvalidValueException.class, () -> decide(rules, "w.W ../x personal")).getMessage());
        assertEquals("invalid service '': a service name is required",
                assertThrows(InvalidValueException.class, () -> PolicyEvaluator.evaluate(rules, SYSTEM,
                        new PolicyRequest("", "+", "work", "personal"))).getMessage());
    }

    @Test
    void anUnknownTargetAndADeniedOneGetTheSameAnswer() {
        List<Rule> rules = load(Map.of("t.policy", "x.X * work vault deny\nx.X * work personal allow"));
        PolicyDecision unknown = PolicyEvaluator.evaluate(rules, SYSTEM, PolicyRequest.of("x.X", "work", "nosuch"));
        PolicyDecision denied = PolicyEvaluator.evaluate(rules, SYSTEM, PolicyRequest.of("x.X", "work", "vault"));
        assertEquals(PolicyAction.DENY, unknown.action());
        assertEquals(PolicyAction.DENY, denied.action());
        assertEquals(unknown.target(), denied.target());
        assertEquals(unknown.targetsForAsk(), denied.targetsForAsk());
    }

    // ---- helpers -----------------------------------------------------------------------------------------------------

    private static Map<String, String> files(String... nameAndText) {
        Map<String, String> m = new LinkedHashMap<>();
        for (int i = 0; i < nameAndText.length; i += 2) {
            m.put(nameAndText[i], nameAndText[i + 1]);
        }
        return m;
    }

    private Path directory(Map<String, String> files) {
        Path dir = tmp.resolve("policy" + dirs++).resolve("policy.d");
        try {
            for (Map.Entry<String, String> f : files.entrySet()) {
                Path p = dir.resolve(f.getKey());
                Files.createDirectories(p.getParent());
                Files.writeString(p, f.getValue(), StandardCharsets.UTF_8);
            }
            Files.createDirectories(dir);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return dir;
    }

    private List<Rule> load(Map<String, String> files) {
        return PolicyFiles.load(directory(files)).rules();
    }

    /** The decision in the table's notation, for a call written {@code SERVICE[+ARG] SOURCE TARGET}. */
    static String decide(List<Rule> rules, String call) {
        String[] w = call.split(" ");
        PolicyDecision d = PolicyEvaluator.evaluate(rules, SYSTEM, PolicyRequest.of(w[0], w[1], w[2]));
        return notation(d);
    }

    static String notation(PolicyDecision d) {
        List<String> parts = new ArrayList<>();
        parts.add(d.action().word());
        if (d.action() == PolicyAction.ALLOW) {
            parts.add(d.target());
        }
        if (d.action() == PolicyAction.ASK) {
            parts.add("[" + String.join(",", d.targetsForAsk()) + "]");
            if (d.defaultTarget() != null) {
                parts.add("default=" + d.defaultTarget());
            }
        }
        if (d.user() != null) {
            parts.add("user=" + d.user());
        }
        if (d.action() != PolicyAction.DENY && !d.autostart()) {
            parts.add("autostart=no");
        }
        if (d.notifyUser() != (d.action() == PolicyAction.DENY)) {
            parts.add("notify=" + (d.notifyUser() ? "yes" : "no"));
        }
        d.matchedRule().ifPresent(r -> parts.add("@" + r.line()));
        return String.join(" ", parts);
    }
}
