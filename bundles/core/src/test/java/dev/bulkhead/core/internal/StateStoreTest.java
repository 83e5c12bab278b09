package dev.bulkhead.core.internal;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.stream.Collectors;
import java.util.stream.Stream;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;

import dev.bulkhead.api.AdminException;
import dev.bulkhead.api.QubeClass;
import dev.bulkhead.api.firewall.FirewallRule;

/**
 * The state store on its own, through what it promises: a model saved loads back the same; saving
 * is atomic and leaves nothing behind; a crash's leftovers are cleaned up; what cannot be read is
 * reported, kept aside and never silently overwritten.
 */
class StateStoreTest {
    private static final ObjectMapper JSON = new ObjectMapper();
    @TempDir
    Path data;

    private StateStore store() {
        return new StateStore(data, new ObjectMapper());
    }

    private Path file() {
        return data.resolve(StateStore.FILE_NAME);
    }

    private void writeFile(String json) throws IOException {
        Files.writeString(file(), json);
    }

    private static QubeRecord qube(String name, int qid, QubeClass klass, Map<String, String> properties) {
        return new QubeRecord(name, qid, klass, properties, Map.of(), List.of());
    }

    /** A template, an AppVM on it with everything a qube can carry, a netvm, and the globals. */
    private static Model sample() {
        Model m = new Model();
        m.qubes.put("dom0", PropertyRules.dom0());
        m.qubes.put("fedora", qube("fedora", 2, QubeClass.TemplateVM, Map.of("label", "black")));
        m.qubes.put("sys-net", qube("sys-net", 3, QubeClass.AppVM,
                Map.of("label", "red", "template", "fedora", "provides_network", "True")));
        QubeRecord work = new QubeRecord("work", 4, QubeClass.AppVM,
                Map.of("label", "blue", "template", "fedora", "netvm", "sys-net", "memory", "600"),
                Map.of("role", "none", "gui", "1"), List.of("b-tag", "a-tag"));
        work.firewall = List.of(FirewallRule.parse("action=accept proto=tcp dsthost=203.0.113.10 dstports=443", Instant.EPOCH),
                FirewallRule.parse("action=drop", Instant.EPOCH));
        work.volumes.put("private", VolumeConfig.NONE.withSize(3L << 30).withRevisionsToKeep(2));
        m.qubes.put("work", work);
        m.global.put(PropertyRules.DEFAULT_NETVM, "sys-net");
        m.global.put(PropertyRules.DEFAULT_TEMPLATE, "fedora");
        return m;
    }

    private static void assertSameModel(Model expected, Model actual) {
        assertEquals(expected.qubes.keySet(), actual.qubes.keySet());
        for (QubeRecord e : expected.qubes.values()) {
            QubeRecord a = actual.qubes.get(e.name);
            assertEquals(e.qid, a.qid, e.name);
            assertEquals(e.klass, a.klass, e.name);
            assertEquals(e.properties, a.properties, e.name);
            assertEquals(e.features, a.features, e.name);
            assertEquals(e.tags, a.tags, e.name);
            assertEquals(e.firewall, a.firewall, e.name);
            assertEquals(e.volumes, a.volumes, e.name);
        }
        assertEquals(expected.global, actual.global);
    }

    private Set<String> filesInDataDirectory() throws IOException {
        try (Stream<Path> files = Files.list(data)) {
            return files.map(p -> p.getFileName().toString()).collect(Collectors.toSet());
        }
    }

    private List<String> namesInFile() throws IOException {
        List<String> names = new ArrayList<>();
        JSON.readTree(file().toFile()).path("qubes").forEach(q -> names.add(q.path("name").asText()));
        return names;
    }

    @Test
    void withoutAFileThereIsOnlyDom0AndNothingIsWritten() throws IOException {
        StateStore store = store();
        Model m = store.load();
        assertEquals(Set.of("dom0"), m.qubes.keySet());
        assertEquals(List.of(), store.problems());
        assertFalse(store.isUnreadable());
        assertFalse(Files.exists(file()));
    }

    @Test
    void aSavedModelLoadsBackTheSameInANewStore() throws IOException {
        Model saved = sample();
        store().save(saved);

        StateStore again = store();
        Model loaded = again.load();
        assertSameModel(saved, loaded);
        assertEquals(List.of(), again.problems());
        assertEquals(List.of("fedora", "sys-net", "work"), namesInFile(), "dom0 is not stored: it is always there");
    }

    @Test
    void aQubeWithoutFirewallRulesKeepsQubesDefaultRatherThanAnEmptyList() throws IOException {
        Model saved = sample();
        saved.qubes.get("work").firewall = null;
        store().save(saved);
        assertNull(store().load().qubes.get("work").firewall);
    }

    @Test
    void savingReplacesTheFileWholeAndLeavesNoTemporaryFile() throws IOException {
        StateStore store = store();
        Model m = sample();
        store.save(m);
        m.qubes.remove("work");
        store.save(m);

        assertEquals(Set.of(StateStore.FILE_NAME), filesInDataDirectory());
        assertEquals(List.of("fedora", "sys-net"), namesInFile());
    }

    /** A reader, like a core starting while another saves, sees the old file or the new one, never a part of either. */
    @Test
    void aReaderNeverSeesAHalfWrittenFile() throws Exception {
        StateStore store = store();
        Model m = sample();
        for (int i = 0; i < 200; i++) {
            m.qubes.put("q" + i, qube("q" + i, 100 + i, QubeClass.AppVM, Map.of("label", "green", "kernelopts", "x".repeat(200))));
        }
        store.save(m);
        AtomicBoolean saving = new AtomicBoolean(true);
        List<String> torn = new ArrayList<>();
        Thread reader = new Thread(() -> {
            while (saving.get()) {
                try {
                    JsonNode root = JSON.readTree(Files.readAllBytes(file()));
                    int qubes = root.path("qubes").size();
                    if (qubes != 203 && qubes != 202) {
                        torn.add(qubes + " qubes");
                    }
                } catch (NoSuchFileException e) {
                    torn.add("no file");
                } catch (IOException e) {
                    torn.add(e.getMessage());
                }
            }
        });
        reader.start();
        try {
            for (int i = 0; i < 60; i++) {
                if (i % 2 == 0) {
                    m.qubes.remove("q0");
                } else {
                    m.qubes.put("q0", qube("q0", 100, QubeClass.AppVM, Map.of("label", "green")));
                }
                store.save(m);
            }
        } finally {
            saving.set(false);
            reader.join();
        }
        assertTrue(torn.isEmpty(),
                torn.size() + " torn reads while the file was saved, the first: " + torn.subList(0, Math.min(5, torn.size())));
    }

    @Test
    void aTemporaryFileLeftByAnInterruptedSaveIsRemovedAndTheStateFileStands() throws IOException {
        store().save(sample());
        Path torn = data.resolve(StateStore.TEMP_PREFIX + "4711");
        Files.writeString(torn, "{\"version\":1,\"qubes\":[{\"name\":\"wo");

        StateStore store = store();
        Model loaded = store.load();
        assertSameModel(sample(), loaded);
        assertFalse(Files.exists(torn));
        assertTrue(store.problems().stream().anyMatch(p -> p.contains("left by an interrupted save")), store.problems().toString());
    }

    @Test
    void aFileThatIsNotJsonIsReportedAndNeverOverwritten() throws IOException {
        for (String content : List.of("{\"version\": 1, \"qubes\": [", "[1, 2]", "")) {
            writeFile(content);
            StateStore store = store();
            Model m = store.load();

            assertTrue(store.isUnreadable(), content);
            assertEquals(Set.of("dom0"), m.qubes.keySet());
            assertTrue(store.problems().get(0).contains("no change is saved until it is fixed or moved away"), store.problems().toString());
            AdminException refused = assertThrows(AdminException.class, () -> store.save(sample()));
            assertTrue(refused.getMessage().contains("cannot be read") && refused.getMessage().contains("nothing was changed"),
                    refused.getMessage());
            assertEquals(content, Files.readString(file()));
        }
    }

    @Test
    void anEntryThatCannotBeReadIsKeptAsideAndWrittenBackUnchanged() throws IOException {
        String broken = "{\"name\":\"broken\",\"qid\":0,\"klass\":\"AppVM\",\"properties\":{\"label\":\"red\"},\"odd\":[1,{\"x\":2}]}";
        writeFile("""
                {"version": 1, "global": {},
                 "qubes": [
                  {"name": "work", "qid": 4, "klass": "AppVM", "properties": {"label": "blue"}},
                  %s,
                  {"name": "work", "qid": 5, "klass": "AppVM", "properties": {"label": "red"}},
                  {"name": "other", "qid": 4, "klass": "AppVM", "properties": {"label": "red"}},
                  {"name": "nolabel", "qid": 6, "klass": "AppVM", "properties": {}}
                 ]}
                """.formatted(broken));
        StateStore store = store();
        Model m = store.load();

        assertEquals(Set.of("dom0", "work"), m.qubes.keySet());
        assertEquals(4, m.qubes.get("work").qid);
        List<String> keptAside = store.problems().stream().filter(p -> p.contains("kept aside")).toList();
        assertEquals(4, keptAside.size(), store.problems().toString());
        assertTrue(keptAside.get(0).contains("qid must be a positive number"), keptAside.get(0));
        assertTrue(keptAside.get(1).contains("a second qube named 'work'"), keptAside.get(1));
        assertTrue(keptAside.get(2).contains("qid 4 of 'other' is already taken"), keptAside.get(2));
        assertTrue(keptAside.get(3).contains("no label"), keptAside.get(3));

        m.qubes.get("work").features.put("gui", "1");
        store.save(m);
        JsonNode qubes = JSON.readTree(file().toFile()).path("qubes");
        assertEquals("1", qubes.get(0).path("features").path("gui").asText(), "the change to work is saved");
        assertEquals(JSON.readTree(broken), qubes.get(1), "the entry kept aside is written back as it was");
        assertEquals(5, qubes.size());
    }

    @Test
    void unknownFieldsAreReportedAndIgnored() throws IOException {
        writeFile("""
                {"version": 1, "colour": "blue",
                 "qubes": [{"name": "work", "qid": 4, "klass": "AppVM", "properties": {"label": "blue"}, "shoe_size": 44}]}
                """);
        StateStore store = store();
        Model m = store.load();

        assertEquals(Set.of("dom0", "work"), m.qubes.keySet());
        assertEquals(List.of("state file: unknown top-level field 'colour' ignored",
                "state file: unknown field 'shoe_size' in qube work ignored"), store.problems());
    }

    @Test
    void aReferenceToAQubeThatIsNotLoadedIsLeftUnsetAndReported() throws IOException {
        writeFile("""
                {"version": 1, "global": {"default_netvm": "sys-gone", "default_template": "fedora"},
                 "qubes": [
                  {"name": "fedora", "qid": 2, "klass": "TemplateVM", "properties": {"label": "black"}},
                  {"name": "sys-gone", "qid": 0, "klass": "AppVM", "properties": {"label": "red"}},
                  {"name": "work", "qid": 4, "klass": "AppVM", "properties": {"label": "blue", "netvm": "sys-gone", "template": "fedora"}}
                 ]}
                """);
        StateStore store = store();
        Model m = store.load();

        assertEquals(Map.of("label", "blue", "template", "fedora"), m.qubes.get("work").properties);
        assertEquals(Map.of("default_template", "fedora"), m.global);
        assertTrue(store.problems().contains("state file: work.netvm named 'sys-gone', which is not loaded; it is left unset"),
                store.problems().toString());
        assertTrue(store.problems().contains("state file: global default_netvm named 'sys-gone', which is not loaded; it is left unset"),
                store.problems().toString());
    }

    @Test
    void aSaveThatCannotCompleteChangesNothingAndSaysSo() throws IOException {
        // the rename onto a non-empty directory fails after the new content was written to its temporary file
        Files.createDirectories(file().resolve("in-the-way"));
        AdminException e = assertThrows(AdminException.class, () -> store().save(sample()));

        assertTrue(e.getMessage().contains("cannot save state file") && e.getMessage().endsWith("nothing was changed"), e.getMessage());
        assertEquals(Set.of(StateStore.FILE_NAME), filesInDataDirectory(), "no temporary file is left");
        assertTrue(Files.isDirectory(file().resolve("in-the-way")));
    }
}
