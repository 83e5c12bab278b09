package dev.bulkhead.it;

import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertFalse;
import static org.junit.Assert.assertTrue;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

import org.junit.Test;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;

import dev.bulkhead.api.host.HostCommandResult;
import dev.bulkhead.api.host.HostCommands;
import dev.bulkhead.api.policy.CallLog;
import dev.bulkhead.api.policy.CallRecord;
import dev.bulkhead.api.policy.PolicyAction;
import dev.bulkhead.api.policy.PolicyDecision;
import dev.bulkhead.api.policy.PolicyPrompts;
import dev.bulkhead.api.policy.PolicyRequest;
import dev.bulkhead.api.policy.PromptAnswer;
import dev.bulkhead.api.policy.QrexecPolicy;

/**
 * The policy in the console, in Debian's Chromium (integration-tests/browser/console-policy.mjs): a prompt opened
 * through PolicyPrompts while the page is shown appears as a dialog with the default target first, and the target the
 * user picks is the caller's answer; the policy page lists a recorded call and one recorded while it is shown; a
 * policy file with an error is refused with file:line next to the editor and nothing is written; fixed, it is saved
 * and {@code qvm:policy check} decides by it.
 */
public class ConsolePolicyBrowserIT extends ConsoleTestSupport {
    private static final Duration SCRIPT_TIMEOUT = Duration.ofSeconds(240);
    private static final ObjectMapper JSON = new ObjectMapper();

    @Override
    protected List<String> bundles() {
        List<String> bundles = new ArrayList<>(BUNDLES);
        bundles.add("dev.bulkhead.policy");
        return bundles;
    }

    @Test
    public void aUserAnswersAPromptReadsTheCallsAndEditsThePolicyInChromium() throws Exception {
        int port = startConsoleOnLoopback();
        PolicyPrompts prompts = service(PolicyPrompts.class, null);
        CallLog calls = service(CallLog.class, null);
        QrexecPolicy policy = service(QrexecPolicy.class, null);
        Path dir = Files.createDirectories(Path.of(policy.status().directory()));
        Files.writeString(dir.resolve("90-default.policy"), "* * @anyvm @anyvm deny\n");
        policy.reload();
        calls.record(new CallRecord(Instant.now(), "work", "qubes.Filecopy", "+", "personal", null, PolicyAction.DENY, false,
                "90-default.policy:1"));

        Path browser = Path.of(System.getProperty("bulkhead.it.browser", "browser")).toAbsolutePath();
        Path work = Files.createDirectories(Path.of(System.getProperty("bulkhead.it.output", "target")).toAbsolutePath().resolve("browser"));
        Path profile = Files.createTempDirectory("bulkhead-it-chromium-");
        Path log = work.resolve("console-policy.log");
        Files.deleteIfExists(log);
        CompletableFuture<PromptAnswer> answer;
        HostCommandResult run;
        try (HostCommands.Started script = HostCommand.HOST.start(dev.bulkhead.api.host.HostCommand.of(SCRIPT_TIMEOUT, "node",
                browser.resolve("console-policy.mjs").toString(), "http://127.0.0.1:" + port + "/", secretFile().toString(),
                profile.toString(), work.resolve("console-policy.png").toString()).withDirectory(browser).withOutputTo(log))) {
            awaitStep(log, "ready", script);
            PolicyDecision ask = new PolicyDecision(PolicyAction.ASK, null, List.of("personal", "@dispvm:dvm", "vault"), "vault", null,
                    true, false, null, "ask the user, by policy 90-default.policy:7");
            answer = prompts.ask(new PolicyRequest("qubes.Filecopy", "+", "work", "@default"), ask, Duration.ofSeconds(90))
                    .toCompletableFuture();
            awaitStep(log, "policy-page", script);
            calls.record(new CallRecord(Instant.now(), "live-src", "qubes.Filecopy", "+", "@default", "personal", PolicyAction.ASK, true,
                    "90-default.policy:7, allowed by console"));
            run = script.await();
        }
        String output = Files.readString(log, StandardCharsets.UTF_8);
        assertFalse("the script finished within " + SCRIPT_TIMEOUT.toSeconds() + " s:\n" + output, run.timedOut());
        assertEquals("the script succeeded:\n" + output, 0, run.exitStatus());
        Map<String, JsonNode> steps = steps(output);
        assertEquals(output, List.of("ready", "prompt-shown", "prompt-answered", "policy-page", "call-live", "refused", "checked", "saved",
                "done"), List.copyOf(steps.keySet()));

        JsonNode shown = steps.get("prompt-shown");
        assertEquals(shown.toString(), "work wants to call qubes.Filecopy in @default.", shown.path("text").asText());
        assertEquals("the allowed targets, the default first", "[\"vault\",\"@dispvm:dvm\",\"personal\"]", shown.path("targets").toString());
        assertEquals("vault", shown.path("checked").asText());
        assertTrue(shown.toString(), shown.path("left").asText().matches("Denied in [0-9]+ s unless answered\\."));
        assertEquals("the caller gets the target picked in the page", PromptAnswer.allowed("@dispvm:dvm", "console"),
                answer.get(10, TimeUnit.SECONDS));
        assertEquals(List.of(), prompts.pending());

        assertEquals("#/policy", steps.get("policy-page").path("hash").asText());
        assertTrue(steps.get("policy-page").toString(), steps.get("policy-page").path("rows").get(0).asText().contains("deny: refused"));
        JsonNode live = steps.get("call-live").path("first");
        assertEquals(live.toString(), "live-src", live.get(1).asText());
        assertEquals("personal", live.get(4).asText());

        JsonNode refused = steps.get("refused");
        assertEquals(refused.toString(), "30-user.policy:2: invalid action: 'alow' (allow, deny or ask)", refused.path("error").asText());
        assertEquals("[\"90-default.policy\"]", refused.path("files").toString());
        assertEquals("", steps.get("checked").path("error").asText());
        assertTrue(steps.get("checked").toString(), steps.get("checked").path("result").asText().contains("Nothing saved yet"));
        assertEquals("[\"30-user.policy\",\"90-default.policy\"]", steps.get("saved").path("files").toString());
        assertEquals("# mine\nqubes.Filecopy * @adminvm @anyvm allow\n", Files.readString(dir.resolve("30-user.policy")));
        String check = shell("qvm:policy check qubes.Filecopy dom0 " + FIRST_TEMPLATE);
        assertTrue(check, check.startsWith("decision    allow\n"));
        assertTrue(check, check.contains("rule        30-user.policy:2: qubes.Filecopy * @adminvm @anyvm allow\n"));

        // the refused save is a 422, which Chromium logs as a failed load; nothing else may be
        List<String> errors = new ArrayList<>();
        steps.get("done").path("consoleErrors").forEach(e -> errors.add(e.asText()));
        errors.removeIf(e -> e.equals("Failed to load resource: the server responded with a status of 422 (Unprocessable Entity)"));
        assertEquals("no script errors in the page", List.of(), errors);
    }

    private static void awaitStep(Path log, String step, HostCommands.Started script) {
        awaitTrue("the browser script to report step " + step, SCRIPT_TIMEOUT, () -> {
            if (!script.isAlive()) {
                throw new AssertionError("the browser script ended before step " + step + ":\n" + read(log));
            }
            return steps(read(log)).containsKey(step);
        }, () -> read(log));
    }

    private static String read(Path log) {
        try {
            return Files.exists(log) ? Files.readString(log, StandardCharsets.UTF_8) : "";
        } catch (IOException e) {
            return e.toString();
        }
    }

    private static Map<String, JsonNode> steps(String output) {
        Map<String, JsonNode> steps = new LinkedHashMap<>();
        for (String line : output.split("\n")) {
            if (line.startsWith("{\"step\"")) {
                try {
                    JsonNode step = JSON.readTree(line);
                    steps.put(step.path("step").asText(), step);
                } catch (IOException e) {
                    // a line still being written
                }
            }
        }
        return steps;
    }
}
