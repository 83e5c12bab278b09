package dev.bulkhead.gui.internal;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.TimeUnit;

import org.junit.jupiter.api.Test;

import dev.bulkhead.api.PowerState;
import dev.bulkhead.api.Qube;
import dev.bulkhead.api.QubeClass;

/** Which qubes may start for the GUI, and the command that starts the agent, run by a real shell. */
class GuiQubesTest {
    private static Qube qube(Map<String, String> features) {
        return new Qube("work", 3, QubeClass.AppVM, PowerState.Halted, Map.of(), features, Set.of());
    }

    @Test
    void aGuiQubeIsRefusedWithoutDom0Display() {
        String reason = "qube work has the feature gui, but dom0 has no display for its windows: set display in dev.bulkhead.gui (e.g. :0)";
        assertEquals(Optional.of(reason), GuiQubes.refusal(qube(Map.of("gui", "1")), ""));
        assertEquals(Optional.of(reason), GuiQubes.refusal(qube(Map.of("gui", "True")), " "));
        assertEquals(Optional.of(reason), GuiQubes.refusal(qube(Map.of("gui", "true")), null));
        assertEquals(Optional.of(reason), GuiQubes.refusal(qube(Map.of("gui", "1")), "none"));
    }

    @Test
    void aGuiQubeStartsWithDom0Display() {
        assertEquals(Optional.empty(), GuiQubes.refusal(qube(Map.of("gui", "1")), ":0"));
    }

    @Test
    void aQubeWithoutGuiStartsWithoutDom0Display() {
        for (Map<String, String> features : new Map[] {Map.of(), Map.of("gui", "0"), Map.of("gui", "False"), Map.of("gui", "")}) {
            assertEquals(Optional.empty(), GuiQubes.refusal(qube(features), ""), features.toString());
        }
    }

    @Test
    void theAgentCommandRefusesATemplateWithoutTheAgent() throws IOException, InterruptedException {
        assertTrue(!Files.exists(Path.of(GuiQubes.AGENT_JAR)), "this host must not carry the agent for this test");
        Process sh = new ProcessBuilder(GuiQubes.agentCommand("/run/bulkhead/gui", "400")).redirectErrorStream(true).start();
        assertTrue(sh.waitFor(10, TimeUnit.SECONDS), "the agent command must return at once");
        assertEquals(127, sh.exitValue());
        assertEquals("the GUI agent is missing: use a template with /usr/lib/bulkhead/gui-agent.jar\n",
                new String(sh.getInputStream().readAllBytes(), StandardCharsets.UTF_8));
    }

    /**
     * Java in a qube sees the host's memory, not the qube's: left to itself the agent's heap grew past the
     * qube's limit (400 MiB by default) while a window was redrawn continuously, and the kernel killed the agent.
     */
    @Test
    void theAgentsHeapIsAQuarterOfTheQubesMemory() {
        assertTrue(GuiQubes.agentCommand("/run/bulkhead/gui", "400").get(2).contains("exec java -XX:+UseSerialGC -Xmx100m -jar "));
        assertTrue(GuiQubes.agentCommand("/run/bulkhead/gui", "4000").get(2).contains("exec java -XX:+UseSerialGC -Xmx1000m -jar "));
        assertTrue(GuiQubes.agentCommand("/run/bulkhead/gui", "64").get(2).contains("exec java -XX:+UseSerialGC -Xmx32m -jar "));
    }

    @Test
    void anUnknownMemoryLeavesTheHeapToJava() {
        String line = GuiQubes.agentCommand("/run/bulkhead/gui", "").get(2);
        assertTrue(line.contains("exec java -XX:+UseSerialGC -jar "), line);
    }
}
