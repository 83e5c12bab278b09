package dev.bulkhead.it;

import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertTrue;

import java.util.ArrayList;
import java.util.List;

import org.junit.Test;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;

/**
 * {@code bench:run} measures the console's {@code GET /api/qubes} with an API token it makes through
 * {@code qvm:console token create} (the console refuses its login secret as a bearer token) and
 * revokes afterwards, so that the figure is a measurement and no token outlives the run. Without the gui
 * feature, its GUI figures say why they are missing; without the qemu feature, so do its qemu figures.
 */
public class BenchConsoleIT extends ConsoleTestSupport {
    @Override
    protected List<String> bundles() {
        List<String> bundles = new ArrayList<>(BUNDLES);
        bundles.add("dev.bulkhead.bench");
        return bundles;
    }

    @Test
    public void theConsoleFigureIsMeasuredWithATokenRevokedAfterwards() throws Exception {
        startConsoleOnLoopback();
        awaitService("(&(osgi.command.scope=bench)(osgi.command.function=run))");
        String out = shell("bench:run --rounds 1 --qubes 2");
        JsonNode figures = new ObjectMapper().readTree(out.substring(out.indexOf('{')));
        JsonNode console = figures.path("console_get_qubes_ms");
        assertTrue("a console figure, not an error: " + console, console.path("p50").isNumber() && !console.has("error"));
        assertEquals("qubes listed", 2, console.path("qubes").asInt());
        String tokens = shell("qvm:console token list").strip();
        assertEquals("no token left after the run", 1, tokens.lines().count());
    }

    @Test
    public void withoutTheGuiAndQemuFeaturesTheirFiguresSayWhyTheyAreMissing() throws Exception {
        awaitService("(&(osgi.command.scope=bench)(osgi.command.function=run))");
        String out = shell("bench:run --rounds 1 --qubes 2 --gui-display :99 --qemu");
        JsonNode figures = new ObjectMapper().readTree(out.substring(out.indexOf('{')));
        JsonNode gui = figures.path("gui");
        assertEquals(gui.toString(), "the gui feature is not installed (feature:install gui)", gui.path("skipped").asText());
        JsonNode qemu = figures.path("qemu");
        assertEquals(qemu.toString(), "the qemu feature is not installed (feature:install qemu)", qemu.path("skipped").asText());
        assertEquals("without --scale the scale figures are left out", "left out (--scale 0)", figures.path("scale").path("skipped").asText());
    }

    @Test
    public void theScaleFiguresStartEveryQubeCountFailuresAndLeaveNoQubeBehind() throws Exception {
        awaitService("(&(osgi.command.scope=bench)(osgi.command.function=scale))");
        String out = shell("bench:scale --qubes 3 --rounds 1");
        JsonNode scale = new ObjectMapper().readTree(out.substring(out.indexOf('{'))).path("scale");
        for (String way : List.of("one_command", "concurrent_clients")) {
            JsonNode starts = scale.path("parallel_start").path(way);
            assertEquals(way + ": " + starts, 25, starts.path("started").asInt());
            assertEquals(way + ": " + starts, 0, starts.path("failed").asInt());
        }
        assertEquals(scale.toString(), 2, scale.path("fill").path("started").asInt());
        assertEquals(scale.toString(), 2, scale.path("running_at_n").asInt());
        for (String figure : List.of("qvm_ls_ms", "start_ms", "stop_ms", "firewall_change_ms")) {
            assertTrue(figure + ": " + scale, scale.path(figure).path("at_1_p50").isNumber() && scale.path(figure).path("at_n_p50").isNumber());
        }
        assertTrue(scale.toString(), scale.path("platform_rss_mb").path("at_n").isNumber());
        assertEquals("every qube the bench made is gone", List.of(),
                admin().list().stream().map(q -> q.name()).filter(n -> n.startsWith("bench-")).toList());
    }
}
