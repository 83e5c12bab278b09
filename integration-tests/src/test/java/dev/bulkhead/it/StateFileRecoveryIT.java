package dev.bulkhead.it;

import static org.junit.Assert.assertArrayEquals;
import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertFalse;
import static org.junit.Assert.assertTrue;
import static org.junit.Assert.fail;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;

import org.junit.Test;
import org.osgi.framework.BundleException;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;

import dev.bulkhead.api.AdminException;
import dev.bulkhead.api.Label;
import dev.bulkhead.api.QubeClass;
import dev.bulkhead.api.QubeProperty;
import dev.bulkhead.api.QubeSpec;

/**
 * The state file after things went wrong: a save cut short by a crash, a file that is not JSON at
 * all, and a file with entries the core cannot read. Acknowledged changes are never lost, and a
 * file the core cannot read is never overwritten.
 */
public class StateFileRecoveryIT extends BulkheadTestSupport {
    /** The prefix of the core's temporary file while it saves (written, synced, then renamed over qubes.json). */
    private static final String TEMP_PREFIX = ".qubes.json.tmp-";

    private final ObjectMapper json = new ObjectMapper();

    @Test
    public void saveCutShortByACrashLosesNothingAcknowledged() throws Exception {
        admin().create(new QubeSpec("acked-one", QubeClass.AppVM, Label.BLUE, Map.of()));
        admin().create(new QubeSpec("acked-two", QubeClass.AppVM, Label.GREEN, Map.of("memory", "512")));
        byte[] saved = stateBytes();

        stopCore();
        // What a crash halfway through the next save leaves: a partly written temporary file.
        Path torn = Files.createTempFile(dataDir(), TEMP_PREFIX, "");
        Files.write(torn, Arrays.copyOf(saved, saved.length / 2));
        startCore();

        awaitTrue("acked-one and acked-two after the restart", QUBE_TIMEOUT,
                () -> admin().find("acked-one").isPresent() && admin().find("acked-two").isPresent(), this::describeQubes);
        assertEquals("512", admin().get("acked-two").value(QubeProperty.MEMORY));
        assertArrayEquals("qubes.json after loading", saved, stateBytes());
        assertEquals("temporary files left next to qubes.json", List.of(), tempFiles());

        admin().setProperty("acked-one", "label", "purple");
        assertEquals(Label.PURPLE, admin().get("acked-one").label());
        JsonNode reread = json.readTree(stateBytes());
        assertTrue("qubes.json after the next save: " + reread, reread.path("qubes").isArray());
    }

    @Test
    public void fileThatIsNotJsonIsNeverOverwritten() throws Exception {
        admin().create(new QubeSpec("precious", QubeClass.AppVM, Label.YELLOW, Map.of()));
        byte[] good = stateBytes();
        byte[] corrupt = Arrays.copyOf(good, good.length - 7);
        stopCore();
        Files.write(stateFile(), corrupt);
        try {
            startCore();
            awaitTrue("the core to report the unreadable state file", QUBE_TIMEOUT,
                    () -> admin().stateProblems().stream().anyMatch(p -> p.contains(stateFile().toString())),
                    () -> "stateProblems() = " + admin().stateProblems());

            for (Runnable change : List.<Runnable>of(
                    () -> admin().create(new QubeSpec("newcomer", QubeClass.StandaloneVM, Label.RED, Map.of())),
                    () -> admin().setGlobalProperty("default_template", ""))) {
                try {
                    change.run();
                    fail("a change was accepted while qubes.json cannot be read; the file is now:\n"
                            + new String(stateBytes(), StandardCharsets.UTF_8));
                } catch (AdminException e) {
                    assertTrue("the refusal names the state file: " + e.getMessage(),
                            e.getMessage().contains(stateFile().toString()));
                }
                assertArrayEquals("qubes.json after a refused change", corrupt, stateBytes());
            }
            assertFalse("newcomer exists", admin().find("newcomer").isPresent());
        } finally {
            stopCore();
            Files.write(stateFile(), good);
            startCore();
        }
        awaitTrue("precious after the state file was repaired", QUBE_TIMEOUT, () -> admin().find("precious").isPresent(),
                this::describeQubes);
    }

    @Test
    public void unknownFieldsAndUnreadableQubesDoNotStopTheRestFromLoading() throws Exception {
        admin().create(new QubeSpec("plain", QubeClass.AppVM, Label.BLUE, Map.of()));
        admin().create(new QubeSpec("newer", QubeClass.AppVM, Label.GREEN, Map.of()));
        admin().create(new QubeSpec("broken", QubeClass.AppVM, Label.RED, Map.of()));
        stopCore();
        ObjectNode root = (ObjectNode) json.readTree(stateBytes());
        for (JsonNode q : root.path("qubes")) {
            if (q.path("name").asText().equals("newer")) {
                ((ObjectNode) q).put("colour_scheme", "dark");
            }
            if (q.path("name").asText().equals("broken")) {
                ((ObjectNode) q).put("klass", "HyperVM");
            }
        }
        Files.write(stateFile(), json.writeValueAsBytes(root));
        try {
            startCore();
            awaitTrue("plain and newer to load", QUBE_TIMEOUT,
                    () -> admin().find("plain").isPresent() && admin().find("newer").isPresent(), this::describeQubes);
            assertFalse("the unreadable qube was loaded", admin().find("broken").isPresent());
            List<String> problems = admin().stateProblems();
            assertTrue("the unknown field is reported: " + problems, problems.stream().anyMatch(p -> p.contains("colour_scheme")));
            assertTrue("the unreadable qube is reported: " + problems,
                    problems.stream().anyMatch(p -> p.contains("broken") && p.contains("HyperVM")));

            admin().setProperty("plain", "label", "gray");
            assertEquals(Label.GRAY, admin().get("plain").label());
            JsonNode kept = entryNamed(json.readTree(stateBytes()), "broken");
            assertEquals("the unreadable entry is written back as it was", "HyperVM", kept.path("klass").asText());
        } finally {
            dropEntry("broken");
        }
    }

    private JsonNode entryNamed(JsonNode root, String name) {
        for (JsonNode q : root.path("qubes")) {
            if (q.path("name").asText().equals(name)) {
                return q;
            }
        }
        throw new AssertionError("qubes.json has no entry named " + name + ": " + root);
    }

    /** Takes an entry out of the file, with the core stopped, so that later tests start clean. */
    private void dropEntry(String name) throws Exception {
        stopCore();
        ObjectNode root = (ObjectNode) json.readTree(stateBytes());
        ArrayNode qubes = (ArrayNode) root.path("qubes");
        for (int i = qubes.size() - 1; i >= 0; i--) {
            if (qubes.get(i).path("name").asText().equals(name)) {
                qubes.remove(i);
            }
        }
        Files.write(stateFile(), json.writeValueAsBytes(root));
        startCore();
    }

    private void stopCore() throws BundleException {
        installedBundle(CORE).stop();
    }

    private void startCore() throws BundleException {
        installedBundle(CORE).start();
        awaitLiteBackend();
    }

    private List<String> tempFiles() throws IOException {
        try (Stream<Path> files = Files.list(dataDir())) {
            return files.map(p -> p.getFileName().toString()).filter(n -> n.startsWith(TEMP_PREFIX) || n.contains(".tmp"))
                    .toList();
        }
    }
}
