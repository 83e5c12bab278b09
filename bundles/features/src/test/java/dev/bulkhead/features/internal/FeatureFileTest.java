package dev.bulkhead.features.internal;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import java.util.List;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import com.fasterxml.jackson.databind.ObjectMapper;

class FeatureFileTest {
    private final ObjectMapper mapper = new ObjectMapper();

    private FeatureFile parse(String json) throws Exception {
        return FeatureFile.parse(mapper.readTree(json));
    }

    @Test
    void readsIdBundlesInStartOrderAndConfigurations() throws Exception {
        FeatureFile f = parse("""
                { "feature-resource-version": "1.0", "id": "dev.bulkhead:networking:osgifeature:1.2.0",
                  "description": "roles",
                  "bundles": [ { "id": "g:late:1" }, { "id": "g:second:2", "start-order": 2 }, "g:also-late:1",
                               { "id": "g:first:1", "start-order": 1 } ],
                  "configurations": { "a.pid": { "mode": "none", "poll": 100, "on": true, "list": ["x", "y"] },
                                      "factory~name": {} } }""");

        assertEquals("networking", f.name());
        assertEquals("roles", f.description());
        assertEquals(List.of("g:first:1", "g:second:2", "g:late:1", "g:also-late:1"),
                f.bundles().stream().map(b -> b.coordinates().toString()).toList());
        assertEquals("none", f.configurations().get("a.pid").get("mode"));
        assertEquals(100L, f.configurations().get("a.pid").get("poll"));
        assertEquals(true, f.configurations().get("a.pid").get("on"));
        assertArrayEquals(new String[] { "x", "y" }, (String[]) f.configurations().get("a.pid").get("list"));
        assertTrue(f.configurations().get("factory~name").isEmpty());
    }

    @Test
    void aFeatureWithoutDescriptionIsDescribedByItsName() throws Exception {
        assertEquals("tor", parse("{ \"id\": \"dev.bulkhead:tor:1\", \"bundles\": [] }").description());
    }

    @ParameterizedTest
    @ValueSource(strings = {
            "[]",
            "{ \"bundles\": [] }",
            "{ \"id\": \"onlyone\", \"bundles\": [] }",
            "{ \"id\": \"g:a:1\" }",
            "{ \"id\": \"g:a:1\", \"bundles\": [ { \"id\": \"g:../../etc:1\" } ] }",
            "{ \"id\": \"g:a:1\", \"bundles\": [ { \"id\": \"g:b:1\", \"start-order\": 0 } ] }",
            "{ \"id\": \"g:a:1\", \"bundles\": [ { \"id\": \"g:b:1\", \"start-order\": \"1\" } ] }",
            "{ \"id\": \"g:a:1\", \"bundles\": [], \"configurations\": [] }",
            "{ \"id\": \"g:a:1\", \"bundles\": [], \"configurations\": { \"p\": { \"k\": { \"nested\": 1 } } } }",
            "{ \"id\": \"g:a:1\", \"bundles\": [], \"configurations\": { \"p\": { \"k\": 1.5 } } }" })
    void refusesWhatItCannotInstallAndSaysWhy(String json) {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> parse(json));
        assertTrue(e.getMessage().length() > 10, e.getMessage());
    }

    @Test
    void coordinatesNameTheRepositoryFile() {
        Path repo = Path.of("/repo");
        assertEquals(Path.of("/repo/org/apache/felix/org.apache.felix.scr/2.2.12/org.apache.felix.scr-2.2.12.jar"),
                Coordinates.parse("org.apache.felix:org.apache.felix.scr:2.2.12").in(repo));
        assertEquals(Path.of("/repo/g/a/1/a-1-tests.jar"), Coordinates.parse("g:a:jar:tests:1").in(repo));
        assertEquals("g:a:jar:tests:1", Coordinates.parse("g:a:jar:tests:1").toString());
    }

    @Test
    void aBrokenFileIsNamedInTheError(@org.junit.jupiter.api.io.TempDir Path temp) throws Exception {
        Path file = java.nio.file.Files.writeString(temp.resolve("bad.json"), "{ not json");
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> FeatureFile.read(mapper, file));
        assertTrue(e.getMessage().startsWith(file + ": not JSON"), e.getMessage());
    }
}
