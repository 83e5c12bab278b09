package dev.bulkhead.it;

import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertFalse;
import static org.junit.Assert.assertThrows;
import static org.junit.Assert.assertTrue;

import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import org.junit.Test;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;

import dev.bulkhead.api.Label;
import dev.bulkhead.api.PowerState;
import dev.bulkhead.api.QubeClass;
import dev.bulkhead.api.QubeSpec;

/**
 * The GUI's commands and console part on the real platform, with dom0's display an Xvfb of the test's
 * own: {@code qvm:run --gui a xev ...} through the shell starts the halted qube {@code a} (red, Debian
 * template, feature gui) and returns while xev runs on; {@code qvm:gui list a} shows xev's window with
 * the title xev set (without dom0's {@code [a]}) and its geometry, dom0's display shows it as
 * {@code [a] ...}, and the console's {@code /api/qubes/a/windows} lists it. A qube without the feature
 * is refused before it starts; once the GUI daemon is gone the console says "GUI not installed" and
 * {@code --gui} is refused. One test: the template is unpacked once.
 */
public class GuiCommandsIT extends ConsoleTestSupport {
    private static final ObjectMapper JSON = new ObjectMapper();
    /** xev's -name, which becomes its window's title: shell syntax that must stay text. */
    private static final String TITLE = "notes; touch /tmp/injected";

    @Override
    protected List<String> bundles() {
        List<String> bundles = new ArrayList<>(BUNDLES);
        bundles.addAll(List.of("jna", "dev.bulkhead.gui.protocol", "dev.bulkhead.gui"));
        return bundles;
    }

    @Test
    public void aProgramStartedWithRunGuiShowsItsWindowInGuiListOnDom0sDisplayAndInTheConsole() throws Exception {
        int port = startConsoleOnLoopback();
        String token = apiToken();
        String installed = shell("qvm:template install " + DebianTemplateIT.debianTemplate());
        assertTrue(installed, installed.contains("installed " + DebianTemplateIT.DEBIAN + " "));
        admin().create(new QubeSpec("a", QubeClass.AppVM, Label.RED, Map.of("template", DebianTemplateIT.DEBIAN)));
        admin().setFeature("a", "gui", "1");
        admin().create(new QubeSpec("plain", QubeClass.AppVM, Label.BLUE, Map.of("template", DebianTemplateIT.DEBIAN)));
        String display = Dom0Xvfb.display();
        Dom0Xvfb.configure(configAdmin(), display);

        Exception refused = assertThrows(Exception.class, () -> shell("qvm:run --gui plain xev"));
        assertTrue(refused.getMessage(), refused.getMessage().contains("qube plain has no display of its own: its feature gui is off"));
        assertEquals("refused before it started", PowerState.Halted, admin().get("plain").state());
        awaitService("(&(osgi.command.scope=qvm)(osgi.command.function=gui))");
        assertEquals("no qube shows a window\n", shell("qvm:gui list"));
        Exception unknown = assertThrows(Exception.class, () -> shell("qvm:gui list nosuch"));
        assertEquals("qvm:gui: no such qube: 'nosuch'", unknown.getMessage());
        JsonNode before = windows(port, token);
        assertEquals(before.toString(), "none", before.path("session").asText());
        assertTrue(before.toString(), before.path("gui_installed").asBoolean());

        // Returns while xev runs on: were it waiting for xev, it would not return at all.
        String started = shell("qvm:run --gui a xev -geometry 200x150+30+40 -name '" + TITLE + "'");
        Matcher pid = Pattern.compile("started xev in a on display :0 \\(pid ([0-9]+)\\)\n").matcher(started);
        assertTrue(started, pid.matches());
        assertEquals("a was started for it", PowerState.Running, admin().get("a").state());
        assertEquals("xev runs in a as pid " + pid.group(1), "xev", runOk("a", "cat", "/proc/" + pid.group(1) + "/comm").strip());

        awaitTrue("xev's window in qvm:gui list a", QUBE_TIMEOUT, () -> guiList("a").contains(TITLE),
                () -> guiList("a") + "; in a: " + run("a", "sh", "-c", "cat /tmp/gui-agent.log; DISPLAY=:0 xwininfo -root -tree").stdoutText());
        String list = guiList("a");
        String[] lines = list.split("\n");
        assertEquals(list, 2, lines.length);
        assertTrue(list, lines[0].matches("QUBE +WINDOW +TITLE +GEOMETRY"));
        assertTrue(list, lines[1].matches("a +[0-9]+ +" + Pattern.quote(TITLE) + " +200x150\\+30\\+40"));
        assertFalse("the title is the qube's own, without dom0's [a]: " + list, list.contains("[a]"));
        assertEquals("a is the only qube with windows", list, guiList(null));
        String id = lines[1].split(" +")[1];
        assertFalse("the title ran nothing in a", run("a", "test", "-e", "/tmp/injected").exitStatus() == 0);

        awaitTrue("dom0's display to show the window as [a] " + TITLE, QUBE_TIMEOUT,
                () -> !HostCommand.run("env", "DISPLAY=" + display, "xdotool", "search", "--onlyvisible", "--name",
                        "^\\[a\\] " + TITLE + "$").stdout().isBlank(),
                () -> HostCommand.run("env", "DISPLAY=" + display, "xwininfo", "-root", "-tree").stdout());

        JsonNode listed = windows(port, token);
        assertEquals(listed.toString(), "open", listed.path("session").asText());
        assertEquals(listed.toString(), 1, listed.path("windows").size());
        JsonNode window = listed.path("windows").get(0);
        assertEquals(listed.toString(), id, window.path("id").asText());
        assertEquals(listed.toString(), TITLE, window.path("title").asText());
        assertEquals(listed.toString(), "200x150+30+40", window.path("geometry").asText());
        assertEquals("the windows need credentials as all the API does", 401,
                new HttpExchange("127.0.0.1", port).request("GET", "/api/qubes/a/windows").send().status());

        installedBundle("dev.bulkhead.gui").stop();
        awaitTrue("the console to notice the GUI daemon is gone", QUBE_TIMEOUT,
                () -> "GUI not installed".equals(windows(port, token).path("note").asText()), () -> windows(port, token).toString());
        JsonNode gone = windows(port, token);
        assertFalse(gone.toString(), gone.path("gui_installed").asBoolean());
        assertEquals(gone.toString(), 0, gone.path("windows").size());
        Exception noDaemon = assertThrows(Exception.class, () -> shell("qvm:run --gui a xev"));
        assertTrue(noDaemon.getMessage(), noDaemon.getMessage().contains("dom0 has no GUI daemon"));
    }

    private String guiList(String qube) {
        try {
            return shell(qube == null ? "qvm:gui list" : "qvm:gui list " + qube);
        } catch (Exception e) {
            throw new AssertionError("qvm:gui list failed", e);
        }
    }

    private static JsonNode windows(int port, String token) {
        HttpExchange.Response r = new HttpExchange("127.0.0.1", port).request("GET", "/api/qubes/a/windows")
                .header("Authorization", "Bearer " + token).send();
        assertEquals(r.toString(), 200, r.status());
        try {
            return JSON.readTree(r.body());
        } catch (IOException e) {
            throw new AssertionError("not JSON: " + r, e);
        }
    }
}
