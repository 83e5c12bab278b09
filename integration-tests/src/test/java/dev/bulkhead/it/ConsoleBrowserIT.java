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
 * (integration-tests/browser), keyboard first: logs in, creates and starts a qube, sees a change made
 * by another client (a program with an API token) arrive without a reload, filters and sorts the list
 * (kept in the URL across a reload), opens the qube's own page, adds, moves and edits a firewall rule
 * (a refusal shown next to its field), sets typed properties, features, tags, reads volumes, log and
 * that there is no GUI whose windows it could list, comes back after a reload and with the back
 * button, finds the qube in the network picture (whose nodes open their qube) and its live graphs,
 * sets a global default, restarts, pauses and unpauses, kills after a confirmation, clones (a taken
 * name refused in the dialog), gives the clone a role and removes it, force shuts the netvm down, reverts a halted qube's
 * private volume to a kept revision after a confirmation, and reads, above a qube's rules, the rule its FirewallVM cannot
 * put in force. No request may be answered with a server error. The script reports each step; this test checks the steps
 * and what the platform holds afterwards.
 */
public class ConsoleBrowserIT extends ConsoleTestSupport {
    private static final Duration WALKTHROUGH_TIMEOUT = Duration.ofSeconds(240);

    @Test
    public void aUserDrivesTheConsoleInChromium() throws IOException, InterruptedException {
        int port = startConsoleOnLoopback();
        admin().create(new QubeSpec("br-net", QubeClass.AppVM, Label.RED, Map.of("provides_network", "True")));
        admin().setFeature("br-net", "role", "netvm");
        // a halted qube whose private volume keeps two revisions, each taken by a start
        admin().create(new QubeSpec("rv-vol", QubeClass.AppVM, Label.PURPLE, Map.of()));
        admin().setVolumeRevisionsToKeep("rv-vol", "private", 2);
        for (int i = 0; i < 2; i++) {
            admin().start("rv-vol");
            admin().kill("rv-vol");
        }
        List<String> kept = admin().volume("rv-vol", "private").revisions().stream().map(dev.bulkhead.api.VolumeRevision::name).toList();
        assertEquals("two starts kept two revisions: " + kept, 2, kept.size());
        // a running qube behind a FirewallVM whose NetVM has no uplink: a host name in its rules resolves nowhere
        admin().create(new QubeSpec("pf-net", QubeClass.AppVM, Label.RED, Map.of("provides_network", "True")));
        admin().setFeature("pf-net", "role", "netvm");
        admin().create(new QubeSpec("pf-fw", QubeClass.AppVM, Label.GREEN, Map.of("provides_network", "True", "netvm", "pf-net")));
        admin().setFeature("pf-fw", "role", "firewall");
        admin().create(new QubeSpec("pf-app", QubeClass.AppVM, Label.YELLOW, Map.of("netvm", "pf-fw")));
        admin().start("pf-app");
        admin().setFirewallRules("pf-app", List.of(dev.bulkhead.api.firewall.FirewallRule.parse("action=accept dsthost=nowhere.test", java.time.Instant.now()),
                dev.bulkhead.api.firewall.FirewallRule.parse("action=accept specialtarget=dns", java.time.Instant.now())));
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
                profile.toString(), screenshot.toString(), "br-web", "br-net", apiToken(), "rv-vol", "pf-app").withDirectory(browser).withOutputTo(log)).await();
        String output = Files.readString(log, StandardCharsets.UTF_8);
        assertTrue("the walkthrough finished within " + WALKTHROUGH_TIMEOUT.toSeconds() + " s:\n" + output, !walkthrough.timedOut());
        assertEquals("the walkthrough succeeded:\n" + output, 0, walkthrough.exitStatus());

        Map<String, JsonNode> steps = steps(output);
        assertEquals(output, List.of("logged-in", "created", "notice", "started", "live-update", "started-again", "list-filter",
                "qube-page", "qube-usage", "firewall-rule", "firewall-edit", "properties", "features", "tags", "volumes-log", "windows", "reload-back",
                "topology", "graphs", "topology-click", "settings", "restarted", "paused", "kill-confirmed", "clone-remove", "force-shutdown", "volume-revert", "firewall-problems", "done"), List.copyOf(steps.keySet()));
        assertEquals("live", steps.get("logged-in").path("live").asText());
        JsonNode usage = steps.get("qube-usage").path("samples");
        assertTrue("the qube page shows CPU and memory charts with samples: " + usage, usage.size() == 2
                && usage.get(0).asInt() > 0 && usage.get(1).asInt() > 0);
        JsonNode cookies = steps.get("logged-in").path("cookies");
        assertEquals("Chromium keeps the one __Host- session cookie over http://127.0.0.1: " + cookies, 1, cookies.size());
        assertEquals(cookies.toString(), "__Host-bulkhead_session", cookies.get(0).path("name").asText());
        assertTrue(cookies.toString(), cookies.get(0).path("secure").asBoolean() && cookies.get(0).path("httpOnly").asBoolean());
        assertEquals(cookies.toString(), "Strict", cookies.get(0).path("sameSite").asText());
        assertTrue(steps.get("notice").toString(), steps.get("notice").path("notice").asText().startsWith("br-net: no uplink"));
        assertEquals("Halted", steps.get("live-update").path("state").asText());
        assertEquals("the page was not reloaded", "first load", steps.get("live-update").path("marker").asText());
        assertEquals(1, steps.get("live-update").path("navigations").asInt());

        JsonNode list = steps.get("list-filter");
        assertEquals("the filter and the sort are in the URL: " + list, "#/?q=br-&sort=state", list.path("url").asText());
        assertEquals("and come back with a reload: " + list, "br-", list.path("filter").asText());
        assertEquals(list.toString(), "ascending", list.path("sort").asText());
        assertEquals("only the qubes the filter matches, the running one first: " + list, "[\"br-net\",\"br-web\"]",
                list.path("rows").toString());
        assertEquals("#/qube/br-web", steps.get("qube-page").path("url").asText());

        assertEquals("the new rule, behind the accept-everything one, is marked as never matching: " + steps.get("firewall-rule"),
                "[\"Rule 1 never matches: rule 0 before it matches all it would\"]", steps.get("firewall-rule").path("shadowed").toString());
        JsonNode edit = steps.get("firewall-edit");
        assertTrue("the refusal names the ports: " + edit, edit.path("refusal").path("error").asText().contains("70000"));
        assertEquals("and is announced: " + edit, "alert", edit.path("refusal").path("role").asText());
        assertEquals(edit.toString(), "true", edit.path("refusal").path("invalid").asText());
        assertTrue("the field names its error: " + edit, edit.path("refusal").path("describedBy").asText().contains("error-fw-dstports"));
        assertEquals("moved first, it hides nothing and nothing hides it: " + edit, 0, edit.path("shadowed").asInt());
        assertEquals("moved up and edited in place: " + edit, "action=accept proto=tcp dsthost=192.0.2.1/32 dstports=8443",
                edit.path("rules").get(0).asText());

        JsonNode props = steps.get("properties");
        assertEquals(props.toString(), "green", props.path("label").asText());
        assertTrue("the netvm is chosen among the qubes that give network, or none: " + props,
                props.path("netvmChoices").toString().contains("\"br-net\"") && !props.path("netvmChoices").toString().contains("br-web"));
        assertEquals(props.toString(), "512", props.path("memorySet").asText());
        assertEquals("the memory field has the declared limit: " + props, "1048576", props.path("memoryMax").asText());
        assertTrue(steps.get("features").toString(), steps.get("features").path("features").toString().contains("tor.bootstrap"));
        assertTrue("the roles present are offered: " + steps.get("features"), steps.get("features").path("roles").toString().contains("netvm"));
        assertEquals("[\"demo-tag\"]", steps.get("tags").path("tagged").toString());
        assertEquals("[\"root\",\"private\",\"volatile\"]", steps.get("volumes-log").path("volumes").toString());
        assertEquals("without the gui feature the page lists no window: " + steps.get("windows"), "[\"none\"]",
                steps.get("windows").path("rows").toString());
        assertEquals("#/qube/br-web", steps.get("reload-back").path("reloaded").asText());
        assertTrue(steps.get("reload-back").toString(), steps.get("reload-back").path("back").asText().matches("(#/)?"));

        assertTrue(steps.get("topology").path("edges").toString(), steps.get("topology").path("edges").toString()
                .contains("br-web->br-net"));
        assertTrue("the picture has a legend: " + steps.get("topology"), steps.get("topology").path("legend").asInt() >= 4);
        assertEquals("#/qube/br-net", steps.get("topology-click").path("url").asText());
        assertEquals("#/settings", steps.get("settings").path("url").asText());
        assertEquals("br-net", steps.get("settings").path("defaultNetvm").asText());

        assertTrue(steps.get("restarted").toString(), steps.get("restarted").path("state").asText().startsWith("Running"));
        assertTrue(steps.get("paused").toString(), steps.get("paused").path("paused").asText().startsWith("Paused")
                && steps.get("paused").path("state").asText().startsWith("Running"));
        JsonNode kill = steps.get("kill-confirmed");
        assertEquals("Cancel in the dialog kills nothing: " + kill, "Running", kill.path("stillRunning").asText());
        assertTrue(kill.toString(), kill.path("state").asText().startsWith("Halted"));
        JsonNode clone = steps.get("clone-remove");
        assertTrue("a name taken is refused in the dialog: " + clone, clone.path("cloneRefusal").asText().contains("br-net"));
        assertEquals(clone.toString(), "netvm", clone.path("role").asText());
        JsonNode revert = steps.get("volume-revert");
        assertEquals("the revert asks first: " + revert, "Revert private of rv-vol?", revert.path("asked").asText());
        assertEquals("the page listed the kept revisions, newest first: " + revert, kept.toString(), revert.path("before").toString()
                .replace("\"", "").replace(",", ", "));
        assertEquals("the revision reverted to is used up, and the page shows so: " + revert, "[\"" + kept.get(1) + "\"]",
                revert.path("after").toString());
        assertEquals(revert.toString(), "rv-vol: private reverted to " + kept.get(0), revert.path("status").asText());
        assertEquals(List.of(kept.get(1)), admin().volume("rv-vol", "private").revisions().stream()
                .map(dev.bulkhead.api.VolumeRevision::name).toList());
        JsonNode problems = steps.get("firewall-problems").path("problems");
        assertEquals("the page says what pf-fw cannot put in force: " + problems, 1, problems.size());
        assertTrue(problems.toString(), problems.get(0).asText().startsWith("rule 0 of 'pf-app' (action=accept dsthost=nowhere.test): host name"
                + " 'nowhere.test' ") && problems.get(0).asText().contains(" in 'pf-fw'; the rule allows nothing until it resolves"));
        assertEquals("no request answered with a server error: " + steps.get("done"), 0, steps.get("done").path("serverErrors").size());
        assertEquals("no script errors in the page: " + steps.get("done"), 0, steps.get("done").path("consoleErrors").size());
        assertEquals("the two refusals provoked, and no others: " + steps.get("done"), 2, steps.get("done").path("refusals").size());

        assertEquals(PowerState.Halted, admin().get("br-web").state());
        assertEquals("force shut down from its page", PowerState.Halted, admin().get("br-net").state());
        assertEquals(Label.GREEN, admin().get("br-web").label());
        assertEquals("br-net", admin().get("br-web").value(dev.bulkhead.api.QubeProperty.NETVM));
        assertEquals("action=accept proto=tcp dsthost=192.0.2.1/32 dstports=8443", admin().firewallRules("br-web").get(0).toString());
        assertEquals("br-net", admin().globalProperties().get("default_netvm").value());
        assertTrue("the clone was removed", admin().find("br-web-copy").isEmpty());
        assertTrue("the feature removed in the page is gone", !admin().get("br-web").features().containsKey("demo.flag"));
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
