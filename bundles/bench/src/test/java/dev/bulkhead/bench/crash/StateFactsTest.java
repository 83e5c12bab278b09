package dev.bulkhead.bench.crash;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The crash loop's oracle: which acknowledged writes a restarted platform no longer shows. */
class StateFactsTest {
    @TempDir
    Path dir;

    private static Map<String, String> facts(String... pairs) {
        Map<String, String> m = new TreeMap<>();
        for (int i = 0; i < pairs.length; i += 2) {
            m.put(pairs[i], pairs[i + 1]);
        }
        return m;
    }

    @Test
    void anAcknowledgedWriteTheRestartedPlatformDoesNotShowIsLost() {
        StateFacts facts = new StateFacts();
        facts.reset(facts("c0/exists", "true", "c0/label", "red"));
        facts.set("c0/label", "blue");
        facts.set("c0/tag/t1", "true");

        assertEquals(List.of("c0/label: acknowledged blue, found red", "c0/tag/t1: acknowledged true, found null"),
                facts.lost(facts("c0/exists", "true", "c0/label", "red")));
        assertEquals(List.of(), facts.lost(facts("c0/exists", "true", "c0/label", "blue", "c0/tag/t1", "true")));
    }

    @Test
    void aWriteACrashCutOffMayHaveHappenedOrNot() {
        StateFacts facts = new StateFacts();
        facts.reset(facts("c0/exists", "true", "c0/label", "red", "c1/exists", "true", "c1/label", "red"));
        facts.unsure("c0/label");
        facts.unsureOfQube("c1");

        assertEquals(List.of(), facts.lost(facts("c0/exists", "true", "c0/label", "green", "c1/exists", "false")));
        assertEquals(List.of("c0/exists: acknowledged true, found false"), facts.lost(facts("c0/exists", "false", "c1/exists", "false")));
    }

    @Test
    void anAcknowledgedRemovalAndCreationStartTheQubesFactsOver() {
        StateFacts facts = new StateFacts();
        facts.reset(facts("c0/exists", "true", "c0/label", "red", "c0/tag/t1", "true"));
        facts.replaceQube("c0", Map.of("c0/exists", "false"));

        assertEquals(List.of(), facts.lost(facts("c0/exists", "false")));
        assertEquals(List.of("c0/exists: acknowledged false, found true"), facts.lost(facts("c0/exists", "true", "c0/label", "red")));
    }

    @Test
    void factsAreReadFromTheStateFileAndThePowerStatesShown() throws IOException {
        Path state = dir.resolve("qubes.json");
        Files.writeString(state, """
                {"version":1,"global":{},"qubes":[
                 {"name":"c0","qid":2,"klass":"AppVM","properties":{"label":"red","memory":"300"},"features":{"k0":"v1"},
                  "tags":["t2"],"firewall":["action=accept","action=drop dsthost=192.0.2.7/32"]},
                 {"name":"minimal","qid":1,"klass":"TemplateVM","properties":{"label":"black"},"features":{},"tags":[]}]}
                """);

        Map<String, String> read = StateFacts.read(state, Map.of("c0", "Running", "minimal", "Halted"), List.of("c0", "c1"));

        assertEquals(facts("c0/exists", "true", "c0/label", "red", "c0/memory", "300", "c0/feature/k0", "v1", "c0/tag/t2", "true",
                "c0/fw/192.0.2.7", "true", "c0/power", "Running", "c1/exists", "false"), read);
    }
}
