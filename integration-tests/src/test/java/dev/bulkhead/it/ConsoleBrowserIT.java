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

import org.junit.Test;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;

import dev.bulkhead.api.Label;
import dev.bulkhead.api.PowerState;
import dev.bulkhead.api.QubeClass;
import dev.bulkhead.api.QubeSpec;
import dev.bulkhead.api.host.HostCommandResult;

/**
 * The console in a real browser: Debian's Chromium, driven by Playwright from a Node script
 * (integration-tests/browser), logs in, creates and starts a qube, sees a change made by another
 * client (a program with an API token) arrive without a reload, adds a firewall rule, reads in the
 * details that there is no GUI whose windows it could list, and finds the new qube in the network
 * picture and its live graphs. The script reports each step; this test checks the steps and what
 * the platform holds afterwards.
 */
public class ConsoleBrowserIT extends ConsoleTestSupport {
    private static final Duration WALKTHROUGH_TIMEOUT = Duration.ofSeconds(240);

    @Test
    public void aUserDrivesTheConsoleInChromium() throws IOException, InterruptedException {
        int port = startConsoleOnLoopback();
        admin().create(new QubeSpec("br-net", QubeClass.AppVM, Label.RED, Map.of("provides_network", "True")));
        admin().setFeature("br-net", "role", "netvm");
        Path browser = Path.of(System.getProperty("bulkhead.it.browser", "browser")).toAbsolutePath();
        Path work = Files.createDirectories(Path.of(System.getProperty("bulkhead.it.output", "target")).toAbsolutePath()
                .resolve("browser"));
        Path profile = Files.createTempDirectory("bulkhead-it-chromium-");
        Path screenshot = work.resolve("console.png");
        Path log = work.resolve("walkthrough.log");

        // the log is appended to: an earlier run's steps must not count
        Files.deleteIfExists(log);
        // node and the Chromium it starts run in the background; past the timeout the whole tree is killed
        HostCommandResult walkthrough = HostCommand.HOST.start(dev.bulkhead.api.host.HostCommand.of(WALKTHROUGH_TIMEOUT,
                "node", browser.resolve("console-walkthrough.mjs").toString(), "http://127.0.0.1:" + port + "/", secretFile().toString(),
                profile.toString(), screenshot.toString(), "br-web", "br-net", apiToken()).withDirectory(browser).withOutputTo(log)).await();
        String output = Files.readString(log, StandardCharsets.UTF_8);
        assertTrue("the walkthrough finished within " + WALKTHROUGH_TIMEOUT.toSeconds() + " s:\n" + output, !walkthrough.timedOut());
        assertEquals("the walkthrough succeeded:\n" + output, 0, walkthrough.exitStatus());

        Map<String, JsonNode> steps = steps(output);
        assertEquals(output, List.of("logged-in", "created", "notice", "started", "live-update", "started-again", "firewall-rule",
                "features", "windows", "topology", "graphs", "done"), List.copyOf(steps.keySet()));
        assertEquals("live", steps.get("logged-in").path("live").asText());
        JsonNode cookies = steps.get("logged-in").path("cookies");
        assertEquals("Chromium keeps the one __Host- session cookie over http://127.0.0.1: " + cookies, 1, cookies.size());
        assertEquals(cookies.toString(), "__Host-bulkhead_session", cookies.get(0).path("name").asText());
        assertTrue(cookies.toString(), cookies.get(0).path("secure").asBoolean() && cookies.get(0).path("httpOnly").asBoolean());
        assertEquals(cookies.toString(), "Strict", cookies.get(0).path("sameSite").asText());
        assertTrue(steps.get("notice").toString(), steps.get("notice").path("notice").asText().startsWith("br-net: no uplink"));
        assertEquals("Halted", steps.get("live-update").path("state").asText());
        assertEquals("the page was not reloaded", "first load", steps.get("live-update").path("marker").asText());
        assertEquals(1, steps.get("live-update").path("navigations").asInt());
        assertTrue(steps.get("topology").path("edges").toString(), steps.get("topology").path("edges").toString()
                .contains("br-web->br-net"));
        assertEquals("no script errors in the page", 0, steps.get("done").path("consoleErrors").size());
        assertTrue(steps.get("features").toString(), steps.get("features").path("features").toString().contains("tor.bootstrap"));
        assertEquals("without the gui feature the details list no window: " + steps.get("windows"), "[\"none\"]",
                steps.get("windows").path("rows").toString());

        assertEquals(PowerState.Running, admin().get("br-web").state());
        assertEquals(Label.BLUE, admin().get("br-web").label());
        assertEquals("br-net", admin().get("br-web").value(dev.bulkhead.api.QubeProperty.NETVM));
        assertTrue(admin().firewallRules("br-web").toString(), admin().firewallRules("br-web").stream()
                .anyMatch(r -> r.toString().equals("action=accept proto=tcp dsthost=192.0.2.1/32 dstports=443")));
        assertTrue("a screenshot was taken", Files.size(screenshot) > 0);
    }

    private static Map<String, JsonNode> steps(String output) throws IOException {
        ObjectMapper json = new ObjectMapper();
        Map<String, JsonNode> steps = new LinkedHashMap<>();
        for (String line : output.split("\n")) {
            if (line.startsWith("{\"step\"")) {
                JsonNode step = json.readTree(line);
                steps.put(step.path("step").asText(), step);
            }
        }
        return steps;
    }
}
