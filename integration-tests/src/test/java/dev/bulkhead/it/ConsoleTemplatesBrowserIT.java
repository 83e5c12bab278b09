package dev.bulkhead.it;

import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertTrue;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

import org.junit.Test;

import com.fasterxml.jackson.databind.JsonNode;

import dev.bulkhead.api.Label;
import dev.bulkhead.api.QubeClass;
import dev.bulkhead.api.QubeSpec;
import dev.bulkhead.api.template.TemplateStore;
import dev.bulkhead.api.host.HostCommandResult;

/**
 * The templates page and the CPU/memory charts in Debian's Chromium (integration-tests/browser/
 * console-templates.mjs): the charts of a qube that ran before the page was opened hold its history
 * at their first paint, with its memory setting beside; the large chart the qube page embeds follows
 * new samples; a shipped template is installed with progress, verified, refused removal while used
 * and removed; a tampered upload is refused with its reason and leaves nothing behind.
 */
public class ConsoleTemplatesBrowserIT extends ConsoleTemplatesSupport {
    private static final Duration SCRIPT_TIMEOUT = Duration.ofSeconds(240);
    private static final String RUNNING = "ch-run";

    @Test
    public void aUserReadsTheChartsAndManagesTemplatesInChromium() throws IOException {
        int port = startConsoleOnLoopback();
        String token = apiToken();
        admin().create(new QubeSpec(RUNNING, QubeClass.AppVM, Label.GREEN, Map.of()));
        admin().start(RUNNING);
        // samples taken while no page is open: at least 8 s of them
        awaitTrue("eight samples of " + RUNNING + " before the page opens", QUBE_TIMEOUT, () -> samples(port, token) >= 8,
                () -> samples(port, token) + " samples");
        Path tampered = Files.write(Files.createTempDirectory("bulkhead-it-upload-").resolve("evil-1.0.bht"), tamperedPackage("evil"));
        Set<String> dataBefore = dataTree();

        Path browser = Path.of(System.getProperty("bulkhead.it.browser", "browser")).toAbsolutePath();
        Path work = Files.createDirectories(Path.of(System.getProperty("bulkhead.it.output", "target")).toAbsolutePath().resolve("browser"));
        Path profile = Files.createTempDirectory("bulkhead-it-chromium-");
        Path screenshot = work.resolve("console-templates.png");
        Path log = work.resolve("console-templates.log");
        Files.deleteIfExists(log);
        HostCommandResult run = HostCommand.HOST.start(dev.bulkhead.api.host.HostCommand.of(SCRIPT_TIMEOUT,
                "node", browser.resolve("console-templates.mjs").toString(), "http://127.0.0.1:" + port + "/", secretFile().toString(),
                profile.toString(), screenshot.toString(), RUNNING, PACKAGE, TEMPLATE, tampered.toString(), token)
                .withDirectory(browser).withOutputTo(log)).await();
        String output = Files.readString(log, StandardCharsets.UTF_8);
        assertTrue("the script finished within " + SCRIPT_TIMEOUT.toSeconds() + " s:\n" + output, !run.timedOut());
        assertEquals("the script succeeded:\n" + output, 0, run.exitStatus());

        Map<String, JsonNode> steps = steps(output);
        assertEquals(output, List.of("history-at-first-paint", "usage-chart", "usage-live", "templates-page", "installed", "verified",
                "tampered-refused", "remove-refused", "removed", "done"), List.copyOf(steps.keySet()));
        JsonNode first = steps.get("history-at-first-paint");
        assertTrue("the memory chart holds the history at its first paint: " + first, first.path("memory").asInt() >= 8);
        assertTrue("the CPU chart too: " + first, first.path("cpu").asInt() >= 6);
        assertTrue("the memory setting is beside the figure: " + first, first.path("memoryText").asText().contains("of 400 MiB (max 3.9 GiB)"));
        assertTrue("a readable chart, not 60x18: " + first, first.path("size").path("width").asDouble() >= 120
                && first.path("size").path("height").asDouble() >= 30);
        JsonNode usage = steps.get("usage-chart");
        assertEquals(usage.toString(), 2, usage.path("charts").size());
        for (JsonNode chart : usage.path("charts")) {
            assertTrue(usage.toString(), chart.path("samples").asInt() >= 8 && chart.path("width").asDouble() >= 400);
        }
        assertTrue(usage.toString(), usage.path("captions").get(1).asText().contains("of 400 MiB"));

        assertEquals("#/templates", steps.get("templates-page").path("hash").asText());
        assertTrue("the qubes are hidden on the templates page", steps.get("templates-page").path("qubesHidden").asBoolean());
        JsonNode installed = steps.get("installed");
        assertTrue("the install showed its progress: " + installed, installed.path("progressSeen").asBoolean());
        assertEquals(installed.toString(), "done", installed.path("job").path("state").asText());
        assertTrue(installed.toString(), installed.path("row").toString().contains("(trusted)"));
        assertTrue(steps.get("verified").toString(), steps.get("verified").path("note").asText().startsWith("OK"));
        assertTrue(steps.get("tampered-refused").toString(), steps.get("tampered-refused").path("text").asText().contains("has SHA-256"));
        assertTrue(steps.get("remove-refused").toString(), steps.get("remove-refused").path("note").asText().contains("still used by tpl-user"));
        assertEquals("the removed template's package is offered again", 1, steps.get("removed").path("available").asInt());
        // the refused removal is a 409, which Chromium logs as a failed load; nothing else may be
        List<String> errors = new java.util.ArrayList<>();
        steps.get("done").path("consoleErrors").forEach(e -> errors.add(e.asText()));
        errors.removeIf(e -> e.equals("Failed to load resource: the server responded with a status of 409 (Conflict)"));
        assertEquals("no script errors in the page", List.of(), errors);

        assertTrue(service(TemplateStore.class, null).list().isEmpty());
        assertTrue(admin().find(TEMPLATE).isEmpty());
        assertEquals("the refused upload left nothing behind", dataBefore, dataTree());
    }

    private static int samples(int port, String token) {
        HttpExchange.Response r = new HttpExchange("127.0.0.1", port).request("GET", "/api/stats/history?qube=" + RUNNING)
                .header("Authorization", "Bearer " + token).send();
        return r.status() == 200 ? json(r).path("qubes").path(RUNNING).path("samples").size() : 0;
    }

    private static Map<String, JsonNode> steps(String output) throws IOException {
        Map<String, JsonNode> steps = new LinkedHashMap<>();
        for (String line : output.split("\n")) {
            if (line.startsWith("{\"step\"")) {
                JsonNode step = JSON.readTree(line);
                steps.put(step.path("step").asText(), step);
            }
        }
        return steps;
    }
}
