package dev.bulkhead.policy.internal;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.stream.Stream;

import org.junit.jupiter.api.DynamicTest;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestFactory;
import org.junit.jupiter.api.io.TempDir;

import dev.bulkhead.api.InvalidValueException;
import dev.bulkhead.api.policy.PolicyAction;
import dev.bulkhead.api.policy.PolicyDecision;
import dev.bulkhead.api.policy.PolicyRequest;
import dev.bulkhead.api.policy.PolicySyntaxException;
import dev.bulkhead.fuzz.Fuzz;

/**
 * Fuzzes the policy reader with hostile directories: files of near-valid and hostile lines, includes of themselves,
 * of each other, of paths outside, of devices. Every directory is a policy or a {@link PolicySyntaxException} whose
 * one-line message starts with a file of the directory; never another exception, never a read outside. Every policy
 * read decides any request, hostile ones included, or refuses it as malformed; a decision is one of the three actions
 * and names a rule of the policy when it says it matched one. The corpus beside this class replays each hostile case,
 * one file each, as the directory's only file.
 */
class PolicyFilesFuzzTest {
    @TempDir
    Path tmp;
    private int dirs;

    private static final List<String> LINES = List.of(
            "qubes.Filecopy * @anyvm @anyvm ask", "qubes.OpenInVM * @anyvm @dispvm allow", "* * * * deny",
            "x.P +a work personal allow target=vault user=root notify=yes autostart=no",
            "x.P * @tag:low @dispvm:@tag:dvm ask default_target=@dispvm", "x.P * @type:AppVM @type:DispVM deny notify=no",
            "x.P * dom0 @adminvm allow", "x.P * work @default allow target=@dispvm:default-dvm",
            "!include include/a", "!include include/b", "!include 10-main.policy", "!include-dir include", "!include-dir .",
            "!include-dir ..", "!include /etc/passwd", "!include /dev/zero", "!include ../x", "!include-service x.S +a include/a",
            "!include-service * * include/b", "!compat-4.0", "$anyvm $anyvm allow,target=dom0", "$include:include/a",
            "x.P * work personal", "x.P * work personal allow target=", "x.P * work personal allow =", "x.P * @ @ allow",
            "x.P * @dispvm: @tag: allow", "x.P * work personal allow target=@dispvm:@tag:x", "x.P +a+ work personal allow",
            "#!include /dev/zero", "   ", "\t# c", "x.P * work personal ask default_target=nosuch notify=yes notify=no");
    private static final List<String> NAMES = List.of("10-main.policy", "20-b.policy", "include/a", "include/b",
            "include/c.policy", "Bad.policy", ".hidden.policy", "30-c.policy.bak", "more/10-x.policy");
    private static final List<String> WORDS = List.of("*", "@anyvm", "@adminvm", "@default", "@dispvm", "@dispvm:default-dvm",
            "@dispvm:@tag:dvm", "@tag:low", "@type:AppVM", "dom0", "work", "personal", "vault", "nosuch", "", "@", "+", "+a",
            "x.P", "qubes.Filecopy", "allow", "deny", "ask", "target=work", "../x", "\u0000", "\u202e");

    private static final List<String> VALID = LINES.subList(0, 8);
    private static int policies;

    @Test
    void anyDirectoryIsAPolicyOrARefusalNamingAFileAndEveryPolicyDecidesAnyRequest() {
        policies = 0;
        Fuzz.forAll(20261205L, 600, this::directory, PolicyFilesFuzzTest::loadOrRefuse);
        assertTrue(policies >= 100, "the generator makes policies that load too, not only refusals: " + policies);
    }

    @TestFactory
    Stream<DynamicTest> everyCorpusCaseIsAPolicyOrARefusal() {
        assertTrue(Fuzz.corpusFiles(PolicyFilesFuzzTest.class, "corpus").size() >= 10, "the corpus is there");
        return Fuzz.corpus(PolicyFilesFuzzTest.class, "corpus", bytes -> {
            Path dir = tmp.resolve("corpus" + dirs++).resolve("policy.d");
            Files.createDirectories(dir);
            Files.write(dir.resolve("10-main.policy"), bytes);
            loadOrRefuse(dir);
        });
    }

    private static void loadOrRefuse(Path dir) {
        PolicyFiles.Loaded loaded;
        try {
            loaded = PolicyFiles.load(dir);
        } catch (PolicySyntaxException e) {
            String m = e.getMessage();
            assertFalse(m.contains("\n") || m.contains("\r"), "one line: " + m);
            assertTrue(m.length() < 600, "bounded: " + m.length());
            assertNotNull(e.file());
            assertTrue(e.line() >= 0);
            assertTrue(Files.exists(dir.resolve(e.file())) || e.file().startsWith(dir.toString()), "names a file of the directory: " + m);
            return;
        }
        policies++;
        assertTrue(loaded.rules().stream().allMatch(x -> loaded.files().contains(x.origin().file())), "each rule comes from a file read");
        Random r = new Random(loaded.rules().size());
        for (int i = 0; i < 20; i++) {
            String service = i == 0 ? "x.P" : Fuzz.oneOf(r, WORDS);
            PolicyRequest request = new PolicyRequest(service, Fuzz.oneOf(r, "+", "+a", "", "a", Fuzz.oneOf(r, WORDS)),
                    Fuzz.oneOf(r, "work", "dom0", "disp7", Fuzz.oneOf(r, WORDS)), Fuzz.oneOf(r, WORDS));
            PolicyDecision d;
            try {
                d = PolicyEvaluator.evaluate(loaded.rules(), PolicyTableTest.SYSTEM, request);
            } catch (InvalidValueException e) {
                assertFalse(e.getMessage().contains("\n"), e.getMessage());
                continue;
            }
            assertNotNull(d.reason());
            d.matchedRule().ifPresent(rule -> assertTrue(loaded.rules().stream().anyMatch(x -> x.origin().equals(rule)), "a rule of the policy"));
            if (d.action() == PolicyAction.ALLOW) {
                assertNotNull(d.target());
            }
            if (d.action() == PolicyAction.ASK) {
                assertFalse(d.targetsForAsk().isEmpty(), "ask offers something");
                assertTrue(d.defaultTarget() == null || d.targetsForAsk().contains(d.defaultTarget()), "the default is offered");
            }
        }
    }

    // ---- generators ------------------------------------------------------------------------------------------------

    private Path directory(Random r) {
        Map<String, String> files = new LinkedHashMap<>();
        files.put("10-main.policy", text(r));
        for (int n = r.nextInt(4); n > 0; n--) {
            files.put(Fuzz.oneOf(r, NAMES), text(r));
        }
        Path dir = tmp.resolve("fuzz" + dirs++).resolve("policy.d");
        try {
            Files.createDirectories(dir);
            for (Map.Entry<String, String> f : files.entrySet()) {
                Path p = dir.resolve(f.getKey());
                Files.createDirectories(p.getParent());
                // now and then bytes that are no UTF-8
                Files.write(p, r.nextInt(20) == 0 ? Fuzz.bytes(r, 200) : f.getValue().getBytes(java.nio.charset.StandardCharsets.UTF_8));
            }
            if (r.nextInt(8) == 0) {
                Files.createSymbolicLink(dir.resolve("50-link.policy"), Fuzz.oneOf(r, Path.of("/etc/passwd"), dir.resolve("10-main.policy"),
                        dir.resolve("include"), Path.of("/dev/zero")));
            }
        } catch (IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
        return dir;
    }

    private static String text(Random r) {
        List<String> lines = new ArrayList<>();
        if (r.nextInt(3) == 0) {
            for (int n = 1 + r.nextInt(8); n > 0; n--) {
                lines.add(Fuzz.oneOf(r, VALID));
            }
            return String.join("\n", lines);
        }
        for (int n = 1 + r.nextInt(8); n > 0; n--) {
            lines.add(switch (r.nextInt(6)) {
                case 0, 1 -> Fuzz.oneOf(r, LINES);
                case 2 -> Fuzz.mutate(r, Fuzz.oneOf(r, LINES));
                case 3 -> String.join(Fuzz.oneOf(r, " ", "\t", "  ", "\u00a0"), words(r));
                case 4 -> Fuzz.hostileString(r, 60);
                default -> Fuzz.oneOf(r, LINES) + " " + Fuzz.oneOf(r, WORDS);
            });
        }
        return String.join(Fuzz.oneOf(r, "\n", "\r\n", "\r"), lines);
    }

    private static List<String> words(Random r) {
        List<String> w = new ArrayList<>();
        for (int n = r.nextInt(9); n > 0; n--) {
            w.add(Fuzz.oneOf(r, WORDS));
        }
        return w;
    }
}
