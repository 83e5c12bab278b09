package dev.bulkhead.policy.internal;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.io.IOException;
import java.lang.reflect.Proxy;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.Stream;

import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.osgi.framework.BundleContext;

import dev.bulkhead.api.InvalidValueException;
import dev.bulkhead.api.policy.PolicyAction;
import dev.bulkhead.api.policy.PolicyRequest;
import dev.bulkhead.api.policy.PolicyStatus;
import dev.bulkhead.api.policy.PolicySyntaxException;

/**
 * The editor's files: names the loader reads and nothing else (no traversal), a check that loads the whole policy with
 * the change and names file:line, a save that changes nothing when the check fails and otherwise puts the policy in
 * force, and a remove refused while another file includes the one removed.
 */
class PolicyFileEditorTest {
    @TempDir
    Path etc;
    private Path dir;
    private PolicyService policy;
    private PolicyFileEditor editor;

    @BeforeEach
    void setUp() throws IOException {
        dir = Files.createDirectories(etc.resolve("policy.d"));
        Files.writeString(dir.resolve("50-a.policy"), "x.X * work personal allow\n!include inc/b\n");
        Files.createDirectories(dir.resolve("inc"));
        Files.writeString(dir.resolve("inc/b"), "y.Y * work personal deny\n");
        Files.writeString(dir.resolve("90-default.policy"), "* * @anyvm @anyvm deny\n");
        policy = service();
        editor = new PolicyFileEditor(policy);
    }

    @ParameterizedTest
    @ValueSource(strings = { "../x.policy", "inc/b", "inc/../50-a.policy", "/etc/passwd", ".hidden.policy", "a.txt", "A.policy",
            "a b.policy", "a\nb.policy", "", ".policy" })
    void aNameThatIsNoPlainPolicyFileNameIsRefusedBeforeAnythingIsTouched(String name) throws IOException {
        assertThrows(InvalidValueException.class, () -> editor.check(name, "x.X * work personal allow\n"));
        assertThrows(InvalidValueException.class, () -> editor.save(name, "x.X * work personal allow\n"));
        assertThrows(InvalidValueException.class, () -> editor.read(name));
        assertThrows(InvalidValueException.class, () -> editor.remove(name));
        assertFalse(Files.exists(etc.resolve("x.policy")));
        try (Stream<Path> files = Files.list(dir)) {
            assertEquals(List.of("50-a.policy", "90-default.policy", "inc"), files.map(p -> p.getFileName().toString()).sorted().toList());
        }
    }

    @Test
    void listAndReadShowTheTopLevelPolicyFiles() {
        assertEquals(List.of("50-a.policy", "90-default.policy"), editor.list());
        assertEquals("* * @anyvm @anyvm deny\n", editor.read("90-default.policy"));
        assertThrows(InvalidValueException.class, () -> editor.read("10-none.policy"));
    }

    @Test
    void aTextWithAnErrorIsRefusedNamingFileAndLineAndNothingChanges() throws IOException {
        String before = Files.readString(dir.resolve("50-a.policy"));
        String bad = "x.X * work personal allow\n\nx.X * work personal alow\n";
        PolicySyntaxException e = assertThrows(PolicySyntaxException.class, () -> editor.check("50-a.policy", bad));
        assertEquals("50-a.policy:3: invalid action: 'alow' (allow, deny or ask)", e.getMessage());
        e = assertThrows(PolicySyntaxException.class, () -> editor.save("50-a.policy", bad));
        assertEquals("50-a.policy", e.file());
        assertEquals(3, e.line());
        assertEquals(before, Files.readString(dir.resolve("50-a.policy")));
        assertEquals(3, policy.status().rules());
        assertEquals(null, policy.status().problem(), "a refused save is no refused reload: the policy in force was never touched");
        try (Stream<Path> files = Files.list(dir)) {
            assertEquals(List.of("50-a.policy", "90-default.policy", "inc"), files.map(p -> p.getFileName().toString()).sorted().toList(),
                    "no temporary file is left");
        }
    }

    @Test
    void theCheckLoadsTheWholePolicySoAnErrorElsewhereOrABrokenIncludeIsFound() throws IOException {
        PolicySyntaxException e = assertThrows(PolicySyntaxException.class,
                () -> editor.check("60-new.policy", "!include inc/missing\n"));
        assertEquals("60-new.policy:1: no such file or directory: inc/missing", e.getMessage());
        e = assertThrows(PolicySyntaxException.class, () -> editor.check("60-new.policy", "!include ../../x\n"));
        assertEquals(1, e.line());
        Files.writeString(dir.resolve("70-broken.policy"), "nonsense\n");
        e = assertThrows(PolicySyntaxException.class, () -> editor.check("60-new.policy", "x.X * work personal allow\n"));
        assertEquals("70-broken.policy", e.file());
    }

    @Test
    void aGoodTextIsSavedAndInForceAtOnce() throws IOException {
        assertEquals(PolicyAction.ALLOW, policy.evaluate(PolicyRequest.of("x.X", "work", "personal")).action());
        PolicyStatus s = editor.save("10-first.policy", "x.X * work personal deny\n");
        assertEquals(List.of("10-first.policy", "50-a.policy", "inc/b", "90-default.policy"), s.files());
        assertEquals(PolicyAction.DENY, policy.evaluate(PolicyRequest.of("x.X", "work", "personal")).action());
        assertEquals("x.X * work personal deny\n", Files.readString(dir.resolve("10-first.policy")));
        editor.save("10-first.policy", "x.X * work personal ask\n");
        assertEquals(PolicyAction.ASK, policy.evaluate(PolicyRequest.of("x.X", "work", "personal")).action());
        assertEquals(List.of("10-first.policy", "50-a.policy", "90-default.policy"), editor.list());
    }

    @Test
    void aTextOverTheLimitIsRefused() {
        String big = "#".repeat(PolicyFileEditor.MAX_TEXT_BYTES) + "\n";
        assertThrows(InvalidValueException.class, () -> editor.save("10-big.policy", big));
        assertFalse(Files.exists(dir.resolve("10-big.policy")));
    }

    @Test
    void removeTakesAFileOutOfForceUnlessAnotherIncludesIt() throws IOException {
        Files.writeString(dir.resolve("20-shared.policy"), "z.Z * work personal allow\n");
        editor.save("30-user.policy", "!include 20-shared.policy\n");
        PolicySyntaxException e = assertThrows(PolicySyntaxException.class, () -> editor.remove("20-shared.policy"));
        assertEquals("30-user.policy:1: no such file or directory: 20-shared.policy", e.getMessage());
        assertEquals(List.of("20-shared.policy", "30-user.policy", "50-a.policy", "90-default.policy"), editor.list());
        editor.remove("30-user.policy");
        PolicyStatus s = editor.remove("20-shared.policy");
        assertEquals(List.of("50-a.policy", "inc/b", "90-default.policy"), s.files());
        assertEquals(PolicyAction.DENY, policy.evaluate(PolicyRequest.of("z.Z", "work", "personal")).action());
    }

    private PolicyService service() {
        BundleContext context = (BundleContext) Proxy.newProxyInstance(getClass().getClassLoader(), new Class<?>[] { BundleContext.class },
                (p, m, a) -> m.getName().equals("getProperty") && PolicyService.ETC_PROPERTY.equals(a[0]) ? etc.toString() : null);
        PolicyConfig config = (PolicyConfig) Proxy.newProxyInstance(getClass().getClassLoader(), new Class<?>[] { PolicyConfig.class },
                (p, m, a) -> m.getName().equals("directory") ? "" : null);
        return new PolicyService(context, PolicyServiceTest.admin(), config);
    }
}
