package dev.bulkhead.policy.internal;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.PrintStream;
import java.lang.reflect.Proxy;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Set;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.osgi.framework.BundleContext;

import dev.bulkhead.api.Label;
import dev.bulkhead.api.PowerState;
import dev.bulkhead.api.PropertyValue;
import dev.bulkhead.api.Qube;
import dev.bulkhead.api.QubeAdmin;
import dev.bulkhead.api.QubeClass;
import dev.bulkhead.api.policy.PolicyAction;
import dev.bulkhead.api.policy.PolicyRequest;
import dev.bulkhead.api.policy.PolicyStatus;
import dev.bulkhead.api.policy.PolicySyntaxException;

/**
 * The policy service: the policy directory under bulkhead.etc, a reload that puts a good policy in force whole and
 * refuses a bad one naming file and line while the rules in force stay, a bad policy at start that denies everything,
 * the qube facts taken from the admin service, and what qvm:policy prints.
 */
class PolicyServiceTest {
    @TempDir
    Path etc;

    @Test
    void aReloadRefusedForAnErrorLeavesThePreviousRulesInForceAndSaysWhy() throws IOException {
        Path dir = Files.createDirectories(etc.resolve("policy.d"));
        Files.writeString(dir.resolve("50-a.policy"), "x.X * work personal allow\n");
        PolicyService service = service();
        assertEquals(dir.toString(), service.status().directory());
        assertEquals(PolicyAction.ALLOW, service.evaluate(PolicyRequest.of("x.X", "work", "personal")).action());

        Files.writeString(dir.resolve("10-first.policy"), "x.X * work personal deny\n");
        Files.writeString(dir.resolve("60-b.policy"), "# fine so far\nx.X * work personal alow\n");
        PolicySyntaxException e = assertThrows(PolicySyntaxException.class, service::reload);
        assertEquals("60-b.policy:2: invalid action: 'alow' (allow, deny or ask)", e.getMessage());
        assertEquals(List.of("50-a.policy:1: x.X * work personal allow"), service.rules().stream().map(Object::toString).toList());
        assertEquals(PolicyAction.ALLOW, service.evaluate(PolicyRequest.of("x.X", "work", "personal")).action(),
                "10-first.policy, good as it is, is not in force either: the policy is refused whole");
        assertEquals(e.getMessage(), service.status().problem());

        Files.writeString(dir.resolve("60-b.policy"), "x.X * work personal allow\n");
        PolicyStatus s = service.reload();
        assertNull(s.problem());
        assertEquals(List.of("10-first.policy", "50-a.policy", "60-b.policy"), s.files());
        assertEquals(3, s.rules());
        assertEquals(PolicyAction.DENY, service.evaluate(PolicyRequest.of("x.X", "work", "personal")).action());
    }

    @Test
    void aBadPolicyAtStartLeavesNoRulesSoEveryCallIsDenied() throws IOException {
        Path dir = Files.createDirectories(etc.resolve("policy.d"));
        Files.writeString(dir.resolve("50-a.policy"), "x.X * work personal allow\nx.X\n");
        PolicyService service = service();
        assertEquals(List.of(), service.rules());
        assertEquals("50-a.policy:2: wrong number of fields: a rule is SERVICE +ARGUMENT SOURCE TARGET ACTION [PARAMS]", service.status().problem());
        assertEquals(PolicyAction.DENY, service.evaluate(PolicyRequest.of("x.X", "work", "personal")).action());
    }

    @Test
    void theQubeFactsComeFromTheAdminServiceAndDom0sDisposableTemplateIsTheGlobalOne() throws IOException {
        Path dir = Files.createDirectories(etc.resolve("policy.d"));
        Files.writeString(dir.resolve("50-a.policy"), "x.X * @tag:t @type:AppVM allow\nx.X * * @dispvm allow\n");
        PolicyService service = service();
        assertEquals("personal", service.evaluate(PolicyRequest.of("x.X", "work", "personal")).target());
        assertEquals(PolicyAction.DENY, service.evaluate(PolicyRequest.of("x.X", "personal", "work")).action(), "personal has no tag t");
        assertEquals("@dispvm:dvm", service.evaluate(PolicyRequest.of("x.X", "dom0", "@dispvm")).target());
        assertEquals("@dispvm:dvm", service.evaluate(PolicyRequest.of("x.X", "work", "@dispvm")).target());
    }

    @Test
    void checkPrintsTheDecisionAndTheRuleThatMadeIt() throws IOException {
        Path dir = Files.createDirectories(etc.resolve("policy.d"));
        Files.writeString(dir.resolve("50-a.policy"), "# c\nqubes.Filecopy * work @anyvm ask default_target=personal\n");
        PolicyService service = service();
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        PolicyCommand.print(service.evaluate(PolicyRequest.of("qubes.Filecopy", "work", "personal")), new PrintStream(out, true, StandardCharsets.UTF_8));
        assertEquals("""
                decision    ask
                targets     @dispvm:dvm, dvm, personal
                default     personal
                user        DEFAULT
                autostart   yes
                notify      no
                reason      ask the user, by policy 50-a.policy:2
                rule        50-a.policy:2: qubes.Filecopy * work @anyvm ask default_target=personal
                """, out.toString(StandardCharsets.UTF_8));
        out.reset();
        PolicyCommand.list(service.status(), service.rules(), new PrintStream(out, true, StandardCharsets.UTF_8));
        assertEquals("1 rule from 1 file in " + dir + ", loaded " + service.status().loaded() + "\n"
                + "50-a.policy:2  qubes.Filecopy * work @anyvm ask default_target=personal\n", out.toString(StandardCharsets.UTF_8));
    }

    private PolicyService service() {
        BundleContext context = (BundleContext) Proxy.newProxyInstance(getClass().getClassLoader(), new Class<?>[] { BundleContext.class },
                (p, m, a) -> m.getName().equals("getProperty") && PolicyService.ETC_PROPERTY.equals(a[0]) ? etc.toString() : null);
        PolicyConfig config = (PolicyConfig) Proxy.newProxyInstance(getClass().getClassLoader(), new Class<?>[] { PolicyConfig.class },
                (p, m, a) -> m.getName().equals("directory") ? "" : null);
        return new PolicyService(context, admin(), config);
    }

    /** dom0, work (tag t, running), personal, and dvm, a disposable template that the global default_dispvm names. */
    static QubeAdmin admin() {
        List<Qube> qubes = List.of(
                qube("dom0", 0, QubeClass.AdminVM, Set.of(), Map.of()),
                qube("work", 1, QubeClass.AppVM, Set.of("t"), Map.of("default_dispvm", "dvm")),
                qube("personal", 2, QubeClass.AppVM, Set.of(), Map.of("default_dispvm", "dvm")),
                qube("dvm", 3, QubeClass.AppVM, Set.of(), Map.of("template_for_dispvms", "True")));
        return (QubeAdmin) Proxy.newProxyInstance(PolicyServiceTest.class.getClassLoader(), new Class<?>[] { QubeAdmin.class },
                (p, m, a) -> switch (m.getName()) {
                    case "list" -> qubes;
                    case "globalProperties" -> Map.of("default_dispvm", PropertyValue.set("dvm"));
                    default -> throw new UnsupportedOperationException(m.getName());
                });
    }

    private static Qube qube(String name, int qid, QubeClass klass, Set<String> tags, Map<String, String> properties) {
        Map<String, PropertyValue> p = new java.util.HashMap<>();
        properties.forEach((k, v) -> p.put(k, PropertyValue.set(v)));
        p.put("label", PropertyValue.set(Label.RED.name().toLowerCase()));
        return new Qube(name, qid, klass, name.equals("work") ? PowerState.Running : PowerState.Halted, p, Map.of(), tags);
    }
}
