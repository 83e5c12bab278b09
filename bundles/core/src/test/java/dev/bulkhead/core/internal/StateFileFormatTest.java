package dev.bulkhead.core.internal;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import dev.bulkhead.api.AdminException;
import dev.bulkhead.api.QubeClass;
import dev.bulkhead.api.json.JsonMappers;

/**
 * The state file on its own: files as the platform has written them, and as people have edited
 * them, load to the same model, and a loaded file is written back as it was.
 */
class StateFileFormatTest {
    @TempDir
    Path data;

    private StateStore storeWith(String sample) throws IOException {
        try (InputStream in = getClass().getResourceAsStream("/state/" + sample)) {
            Files.write(data.resolve(StateStore.FILE_NAME), in.readAllBytes());
        }
        return new StateStore(data, JsonMappers.create());
    }

    private byte[] stateBytes() throws IOException {
        return Files.readAllBytes(data.resolve(StateStore.FILE_NAME));
    }

    @Test
    void aWrittenFileLoadsWholeAndIsWrittenBackByteForByte() throws IOException {
        StateStore store = storeWith("v1-written.json");
        byte[] written = stateBytes();
        Model model = store.load();
        assertEquals(List.of(), store.problems());

        assertEquals(Map.of("default_netvm", "sys-net", "default_template", "debian"), model.global);
        assertEquals(List.of("debian", "dom0", "sys-net", "work"), List.copyOf(model.qubes.keySet()));
        QubeRecord template = model.qubes.get("debian");
        assertEquals(1, template.qid);
        assertEquals(QubeClass.TemplateVM, template.klass);
        QubeRecord net = model.qubes.get("sys-net");
        assertEquals(Map.of("label", "red", "provides_network", "True", "netvm", ""), net.properties);
        assertEquals(Map.of("role", "netvm"), net.features);
        assertNull(net.firewall);
        assertTrue(net.volumes.isEmpty());
        QubeRecord work = model.qubes.get("work");
        assertEquals(3, work.qid);
        assertEquals(List.of("label", "memory", "template", "autostart"), List.copyOf(work.properties.keySet()));
        assertEquals("512", work.properties.get("memory"));
        assertEquals("text with \"quotes\" and ünïcödé", work.features.get("note"));
        assertEquals(List.of("audited", "created-by-test"), List.copyOf(work.tags));
        assertEquals(List.of("action=accept proto=tcp dsthost=192.0.2.0/24 dstports=443", "action=drop"),
                work.firewall.stream().map(Object::toString).toList());
        assertEquals(new VolumeConfig(2147483648L, 2), work.volumes.get("private"));
        assertEquals(new VolumeConfig(null, 0), work.volumes.get("root"));

        store.save(model);
        byte[] rewritten = stateBytes();
        assertArrayEquals(written, rewritten, () -> new String(rewritten, StandardCharsets.UTF_8));
    }

    @Test
    void anEditedFileWithNumbersAndTruthValuesForTextLoadsAsTheirText() throws IOException {
        StateStore store = storeWith("v1-edited.json");
        Model model = store.load();
        assertEquals(List.of(), store.problems());
        QubeRecord work = model.qubes.get("work");
        assertEquals("512", work.properties.get("memory"));
        assertEquals("True", work.properties.get("autostart"));
        assertEquals(Map.of("gui", "1", "flag", "true"), work.features);
        assertEquals(5, work.qid);

        store.save(model);
        Model again = new StateStore(data, JsonMappers.create()).load();
        assertEquals(work.properties, again.qubes.get("work").properties);
        assertEquals(work.features, again.qubes.get("work").features);
    }

    @Test
    void unknownFieldsAreReportedAndUnreadableEntriesAreKeptAsideAndWrittenBackUnchanged() throws IOException {
        StateStore store = storeWith("v1-damaged.json");
        Model model = store.load();
        List<String> problems = store.problems();
        assertTrue(problems.stream().anyMatch(p -> p.contains("unknown top-level field 'comment'")), problems.toString());
        assertTrue(problems.stream().anyMatch(p -> p.contains("unknown field 'colour_scheme' in qube newer")), problems.toString());
        for (String kept : List.of("HyperVM", "qid must be a positive number", "no label", "a second qube named 'plain'",
                "qid 2 of 'twin' is already taken", "not a JSON object", "has settings that are not a positive size", "nullprop")) {
            assertTrue(problems.stream().anyMatch(p -> p.contains("kept aside") && p.contains(kept)), kept + " in " + problems);
        }
        assertTrue(problems.stream().anyMatch(p -> p.contains("plain.netvm named 'gone'")), problems.toString());
        assertEquals(List.of("dom0", "newer", "plain"), List.copyOf(model.qubes.keySet()));
        assertEquals(8, model.unreadable.size());

        store.save(model);
        Model again = new StateStore(data, JsonMappers.create()).load();
        assertEquals(8, again.unreadable.size());
        assertEquals(model.unreadable, again.unreadable);
        assertEquals("HyperVM", again.unreadable.get(0).path("klass").asText());
    }

    @Test
    void aFileThatIsNotAJsonObjectIsNeverOverwritten() throws IOException {
        for (String text : List.of("{\"version\": 1, \"qubes\": [", "[]", "{} {}", "{\"version\": 1, \"version\": 1}")) {
            Files.writeString(data.resolve(StateStore.FILE_NAME), text);
            StateStore store = new StateStore(data, JsonMappers.create());
            Model model = store.load();
            assertTrue(store.isUnreadable(), text);
            assertEquals(List.of("dom0"), List.copyOf(model.qubes.keySet()));
            AdminException e = assertThrows(AdminException.class, () -> store.save(model));
            assertTrue(e.getMessage().contains(StateStore.FILE_NAME), e.getMessage());
            assertEquals(text, Files.readString(data.resolve(StateStore.FILE_NAME)));
        }
    }
}
