package dev.bulkhead.it;

import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertFalse;
import static org.junit.Assert.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Hashtable;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;

import org.junit.Before;
import org.junit.Test;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;

import dev.bulkhead.api.ExecResult;
import dev.bulkhead.api.policy.CallLog;
import dev.bulkhead.api.policy.CallRecord;
import dev.bulkhead.api.policy.PolicyAction;
import dev.bulkhead.api.policy.PolicyDecision;
import dev.bulkhead.api.policy.PolicyPrompts;
import dev.bulkhead.api.policy.PolicyRequest;
import dev.bulkhead.api.policy.PromptAnswer;
import dev.bulkhead.api.policy.QrexecPolicy;

/**
 * The policy resources of the Admin API in the real platform, over HTTP on loopback: a prompt opened through
 * PolicyPrompts is listed, refused an answer naming a target it does not offer, answered (the caller's stage completes
 * with the console's answer) and then gone (409); a session's answer needs its CSRF token; a recorded call is listed;
 * a policy file with an error is refused naming file:line and nothing is written, the fixed text is saved and in
 * force for {@code qvm:policy check}. And real calls that ask: a {@code qvm-copy} in a lite qube waits while its
 * prompt is listed, and the console's allow sends the file to the target chosen; its deny refuses the call (126, nothing
 * arrives), and so does the daemon's ask timeout for a prompt left unanswered.
 */
public class ConsolePolicyApiIT extends ConsoleTestSupport {
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final Duration LONG_RUN = Duration.ofMinutes(3);
    private int port;
    private String token;

    @Override
    protected List<String> bundles() {
        List<String> bundles = new ArrayList<>(BUNDLES);
        bundles.add("dev.bulkhead.policy");
        bundles.add("dev.bulkhead.qrexec");
        return bundles;
    }

    @Before
    public void startConsole() {
        port = startConsoleOnLoopback();
        token = apiToken();
        awaitTrue("the policy API to answer", QUBE_TIMEOUT, () -> json(bearer("GET", "/api/policy/prompts").send()).path("available").asBoolean(),
                () -> bearer("GET", "/api/policy/prompts").send().toString());
    }

    private HttpExchange bearer(String method, String path) {
        return new HttpExchange("127.0.0.1", port).request(method, path).header("Authorization", "Bearer " + token);
    }

    private static JsonNode json(HttpExchange.Response r) {
        try {
            return JSON.readTree(r.body());
        } catch (IOException e) {
            throw new AssertionError("not JSON: " + r, e);
        }
    }

    @Test
    public void aPromptIsListedAnsweredWithOneOfItsTargetsOnlyAndThenGone() throws Exception {
        PolicyPrompts prompts = service(PolicyPrompts.class, null);
        PolicyDecision ask = new PolicyDecision(PolicyAction.ASK, null, List.of("personal", "@dispvm:dvm"), "personal", null, true,
                false, null, "ask the user, by policy 90-default.policy:7");
        CompletableFuture<PromptAnswer> answer = prompts
                .ask(new PolicyRequest("qubes.Filecopy", "+", "work", "@default"), ask, Duration.ofMinutes(2)).toCompletableFuture();

        JsonNode listed = json(bearer("GET", "/api/policy/prompts").send());
        assertEquals(listed.toString(), 1, listed.path("prompts").size());
        JsonNode p = listed.path("prompts").get(0);
        String id = p.path("id").asText();
        assertEquals("work", p.path("source").asText());
        assertEquals("qubes.Filecopy", p.path("service").asText());
        assertEquals("@default", p.path("target_asked").asText());
        assertEquals("the default first", "[\"personal\",\"@dispvm:dvm\"]", p.path("targets").toString());
        assertTrue(p.toString(), p.path("seconds_left").asInt() > 60);

        HttpExchange.Response wrong = bearer("POST", "/api/policy/prompts/" + id).json("{\"allow\": true, \"target\": \"vault\"}").send();
        assertEquals(wrong.toString(), 422, wrong.status());
        assertFalse(answer.isDone());

        HttpExchange.Response ok = bearer("POST", "/api/policy/prompts/" + id).json("{\"allow\": true, \"target\": \"@dispvm:dvm\"}").send();
        assertEquals(ok.toString(), 204, ok.status());
        assertEquals(PromptAnswer.allowed("@dispvm:dvm", "console"), answer.get(10, TimeUnit.SECONDS));
        assertEquals("[]", json(bearer("GET", "/api/policy/prompts").send()).path("prompts").toString());
        HttpExchange.Response again = bearer("POST", "/api/policy/prompts/" + id).json("{\"allow\": false}").send();
        assertEquals(again.toString(), 409, again.status());
    }

    @Test
    public void aRealCallThatAsksIsAllowedDeniedOrTimedOutThroughTheApi() throws Exception {
        QrexecPolicy policy = service(QrexecPolicy.class, null);
        Path mine = Path.of(policy.status().directory()).resolve("10-ask.policy");
        Files.createDirectories(mine.getParent());
        Files.writeString(mine, "qubes.Filecopy * work @anyvm ask default_target=personal\n* * @anyvm @anyvm deny\n");
        policy.reload();
        org.osgi.service.cm.Configuration qrexec = configAdmin().getConfiguration("dev.bulkhead.qrexec", "?");
        try {
            awaitService("(&(osgi.command.scope=qvm)(osgi.command.function=call))");
            shell("qvm:template install " + TemplatesIT.defaultTemplate());
            shell("qvm:create --label red --template " + TemplatesIT.BASE + " work");
            shell("qvm:create --label yellow --template " + TemplatesIT.BASE + " personal");
            admin().start("work");
            admin().start("personal");
            runOk("work", "sh", "-c", "echo 'the allowed copy' > /tmp/allowed.txt && echo no > /tmp/denied.txt && echo no > /tmp/late.txt");
            String incoming = "/home/user/QubesIncoming/work";

            CompletableFuture<ExecResult> allowed = inQubeLater("work", "qvm-copy /tmp/allowed.txt");
            JsonNode first = awaitApiPrompt();
            assertEquals("work", first.path("source").asText());
            assertEquals("qubes.Filecopy", first.path("service").asText());
            assertEquals("@default", first.path("target_asked").asText());
            assertEquals("the default first", "personal", first.path("targets").get(0).asText());
            assertFalse("the call waits for the answer", allowed.isDone());
            HttpExchange.Response allow = bearer("POST", "/api/policy/prompts/" + first.path("id").asText())
                    .json("{\"allow\": true, \"target\": \"personal\"}").send();
            assertEquals(allow.toString(), 204, allow.status());
            ExecResult copied = allowed.get(LONG_RUN.toSeconds(), TimeUnit.SECONDS);
            assertEquals(copied.stderrText(), 0, copied.exitStatus());
            assertEquals("the allowed copy\n", asUser("personal", "cat " + incoming + "/allowed.txt"));

            CompletableFuture<ExecResult> denied = inQubeLater("work", "qvm-copy-to-vm personal /tmp/denied.txt");
            JsonNode second = awaitApiPrompt();
            assertEquals("personal", second.path("target_asked").asText());
            HttpExchange.Response deny = bearer("POST", "/api/policy/prompts/" + second.path("id").asText()).json("{\"allow\": false}").send();
            assertEquals(deny.toString(), 204, deny.status());
            assertRefused(denied.get(LONG_RUN.toSeconds(), TimeUnit.SECONDS));
            assertEquals("nothing arrived", "", asUser("personal", "ls " + incoming + " | grep -v allowed.txt || true"));

            qrexec.update(new Hashtable<>(Map.of("askTimeoutSeconds", 5)));
            AtomicReference<CompletableFuture<ExecResult>> late = new AtomicReference<>();
            // the daemon takes its new setting a moment later: a prompt of the old timeout is denied and the call made again
            awaitTrue("a prompt with the short ask timeout", QUBE_TIMEOUT, () -> {
                late.set(inQubeLater("work", "qvm-copy-to-vm personal /tmp/late.txt"));
                JsonNode prompt = awaitApiPrompt();
                if (prompt.path("seconds_left").asInt() <= 5) {
                    return true;
                }
                bearer("POST", "/api/policy/prompts/" + prompt.path("id").asText()).json("{\"allow\": false}").send();
                assertRefused(late.get().join());
                return false;
            }, () -> json(bearer("GET", "/api/policy/prompts").send()).toString());
            assertRefused(late.get().get(LONG_RUN.toSeconds(), TimeUnit.SECONDS));
            assertEquals("the prompt ended with its call", "[]", json(bearer("GET", "/api/policy/prompts").send()).path("prompts").toString());
            assertEquals("nothing arrived", "", asUser("personal", "ls " + incoming + " | grep -v allowed.txt || true"));
        } finally {
            qrexec.delete();
            Files.deleteIfExists(mine);
            policy.reload();
        }
    }

    private CompletableFuture<ExecResult> inQubeLater(String qube, String script) {
        return CompletableFuture.supplyAsync(() -> admin().run(qube, List.of("sh", "-c", script), new byte[0], LONG_RUN));
    }

    /** The one prompt listed at GET /api/policy/prompts, once there is one. */
    private JsonNode awaitApiPrompt() {
        awaitTrue("a prompt listed by the API", QUBE_TIMEOUT, () -> json(bearer("GET", "/api/policy/prompts").send()).path("prompts").size() == 1,
                () -> bearer("GET", "/api/policy/prompts").send().toString());
        return json(bearer("GET", "/api/policy/prompts").send()).path("prompts").get(0);
    }

    private static void assertRefused(ExecResult r) {
        assertEquals(r.stderrText(), 126, r.exitStatus());
        assertTrue(r.stderrText(), r.stderrText().startsWith("Request refused\n"));
    }

    @Test
    public void aBrowserSessionAnswersOnlyWithItsCsrfToken() throws Exception {
        PolicyPrompts prompts = service(PolicyPrompts.class, null);
        PolicyDecision ask = new PolicyDecision(PolicyAction.ASK, null, List.of("personal"), null, null, true, false, null, "ask");
        CompletableFuture<PromptAnswer> answer = prompts
                .ask(new PolicyRequest("qubes.Filecopy", "+", "work", "personal"), ask, Duration.ofMinutes(2)).toCompletableFuture();
        String id = prompts.pending().get(0).id();
        String origin = "http://127.0.0.1:" + port;
        HttpExchange.Response login = new HttpExchange("127.0.0.1", port).request("POST", "/api/login").header("Origin", origin)
                .json("{\"secret\": \"" + secret() + "\"}").send();
        String cookie = login.header("Set-Cookie").split(";")[0];
        HttpExchange.Response forged = new HttpExchange("127.0.0.1", port).request("POST", "/api/policy/prompts/" + id)
                .header("Origin", origin).header("Cookie", cookie).json("{\"allow\": false}").send();
        assertEquals(forged.toString(), 403, forged.status());
        assertFalse(answer.isDone());
        HttpExchange.Response real = new HttpExchange("127.0.0.1", port).request("POST", "/api/policy/prompts/" + id)
                .header("Origin", origin).header("Cookie", cookie).header("X-CSRF-Token", json(login).path("csrf_token").asText())
                .json("{\"allow\": false}").send();
        assertEquals(real.toString(), 204, real.status());
        assertEquals(PromptAnswer.denied("console"), answer.get(10, TimeUnit.SECONDS));
    }

    @Test
    public void aRecordedCallIsListed() {
        CallLog calls = service(CallLog.class, null);
        calls.record(new CallRecord(Instant.now(), "work", "qubes.Filecopy", "+", "@default", "personal", PolicyAction.ASK, true,
                "90-default.policy:7, allowed by console"));
        JsonNode listed = json(bearer("GET", "/api/policy/calls?max=5").send());
        JsonNode last = listed.path("calls").get(listed.path("calls").size() - 1);
        assertEquals(listed.toString(), "work", last.path("source").asText());
        assertEquals("personal", last.path("target").asText());
        assertEquals("ask", last.path("action").asText());
        assertTrue(last.path("allowed").asBoolean());
        assertEquals(422, bearer("GET", "/api/policy/calls?max=0").send().status());
    }

    @Test
    public void aFileWithAnErrorIsRefusedNamingFileAndLineAndTheFixedOneIsSavedAndInForce() throws Exception {
        QrexecPolicy policy = service(QrexecPolicy.class, null);
        Path dir = Path.of(policy.status().directory());
        Files.createDirectories(dir);
        Files.writeString(dir.resolve("90-default.policy"), "* * @anyvm @anyvm deny\n");
        policy.reload();

        String bad = "{\"text\": \"# mine\\nqubes.Filecopy * @adminvm @anyvm alow\\n\"}";
        HttpExchange.Response checked = bearer("POST", "/api/policy/files/30-user.policy/check").json(bad).send();
        assertEquals(checked.toString(), 422, checked.status());
        JsonNode problem = json(checked);
        assertEquals("urn:bulkhead:problem:policy-syntax", problem.path("type").asText());
        assertEquals("30-user.policy", problem.path("file").asText());
        assertEquals("2", problem.path("line").asText());
        HttpExchange.Response refused = bearer("PUT", "/api/policy/files/30-user.policy").json(bad).send();
        assertEquals(refused.toString(), 422, refused.status());
        assertEquals("30-user.policy:2: invalid action: 'alow' (allow, deny or ask)", json(refused).path("detail").asText());
        assertFalse("nothing written", Files.exists(dir.resolve("30-user.policy")));
        HttpExchange.Response traversal = bearer("PUT", "/api/policy/files/..%2Fx.policy").json("{\"text\": \"\"}").send();
        assertTrue(traversal.toString(), traversal.status() >= 400 && traversal.status() < 500);
        assertFalse(Files.exists(dir.getParent().resolve("x.policy")));

        String good = "{\"text\": \"# mine\\nqubes.Filecopy * @adminvm @anyvm allow\\n\"}";
        assertEquals(200, bearer("POST", "/api/policy/files/30-user.policy/check").json(good).send().status());
        HttpExchange.Response saved = bearer("PUT", "/api/policy/files/30-user.policy").json(good).send();
        assertEquals(saved.toString(), 200, saved.status());
        assertEquals("[\"30-user.policy\",\"90-default.policy\"]", json(saved).path("files").toString());
        assertEquals("# mine\nqubes.Filecopy * @adminvm @anyvm allow\n", Files.readString(dir.resolve("30-user.policy")));
        String check = shell("qvm:policy check qubes.Filecopy dom0 " + FIRST_TEMPLATE);
        assertTrue(check, check.startsWith("decision    allow\n"));
        assertTrue(check, check.contains("rule        30-user.policy:2: qubes.Filecopy * @adminvm @anyvm allow\n"));
        JsonNode files = json(bearer("GET", "/api/policy/files").send());
        assertEquals("[\"30-user.policy\",\"90-default.policy\"]", files.path("files").toString());
        assertEquals(2, files.path("status").path("rules").asInt());
        assertEquals("# mine\nqubes.Filecopy * @adminvm @anyvm allow\n", json(bearer("GET", "/api/policy/files/30-user.policy").send()).path("text").asText());
    }
}
