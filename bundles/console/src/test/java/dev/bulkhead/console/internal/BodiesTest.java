package dev.bulkhead.console.internal;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;

import org.junit.jupiter.api.Test;

import com.fasterxml.jackson.databind.ObjectMapper;

import dev.bulkhead.api.json.JsonMappers;

class BodiesTest {
    private final ObjectMapper json = JsonMappers.create();

    private <R extends Record> R read(String text, String what, Class<R> type) {
        return JsonBody.parse(json, text.getBytes(StandardCharsets.UTF_8), what, false).read(type);
    }

    private String refusal(String text, Class<? extends Record> type) {
        return assertThrows(ApiException.class, () -> read(text, "the body", type)).getMessage();
    }

    @Test
    void aRecordIsBoundFromItsFields() {
        Bodies.NewQube q = read("{\"name\": \"work\", \"label\": \"red\", \"properties\": {\"memory\": \"400\"}}", "a new qube",
                Bodies.NewQube.class);
        assertEquals(new Bodies.NewQube("work", null, "red", Map.of("memory", "400")), q);
        assertEquals(new Bodies.Shutdown(true, false, 5),
                read("{\"force\": true, \"wait\": false, \"timeout\": 5}", "the shutdown action", Bodies.Shutdown.class));
        assertEquals(new Bodies.Shutdown(null, null, null), read("", "the shutdown action", Bodies.Shutdown.class));
        assertEquals(List.of("ls", "-l"), read("{\"command\": [\"ls\", \"-l\"]}", "a command to run", Bodies.Run.class).command());
        assertNull(read("{\"rule\": \"accept\", \"before\": null}", "a firewall rule", Bodies.NewRule.class).before());
    }

    @Test
    void eachRefusalNamesTheFieldWhatItTakesAndWhatWasFound() {
        assertEquals("unknown field 'colour' in the body; accepted: name, klass, label, properties",
                refusal("{\"name\": \"w\", \"colour\": \"red\"}", Bodies.NewQube.class));
        assertEquals("unknown field 'waitForIt' in the body; accepted: force, wait, timeout",
                refusal("{\"waitForIt\": true}", Bodies.Shutdown.class));
        assertEquals("unknown field 'force' in the body; accepted: ", refusal("{\"force\": true}", Bodies.NoFields.class));
        assertEquals("field 'label' is required in the body", refusal("{\"name\": \"w\"}", Bodies.NewQube.class));
        assertEquals("field 'value' is required in the body", refusal("{\"value\": null}", Bodies.Value.class));
        assertEquals("field 'wait' in the body must be true or false, found \"yes\"",
                refusal("{\"wait\": \"yes\"}", Bodies.Shutdown.class));
        assertEquals("field 'timeout' in the body must be a whole number from 1 to 3600, found 3601",
                refusal("{\"timeout\": 3601}", Bodies.Restart.class));
        assertEquals("field 'before' in the body must be a whole number from 0 to 2147483647, found -1",
                refusal("{\"rule\": \"accept\", \"before\": -1}", Bodies.NewRule.class));
        assertEquals("field 'properties.memory' in the body must be a string, found 400",
                refusal("{\"name\": \"w\", \"label\": \"red\", \"properties\": {\"memory\": 400}}", Bodies.NewQube.class));
        assertEquals("field 'rules[1]' in the body must be a string, found 1", refusal("{\"rules\": [\"accept\", 1]}", Bodies.RuleList.class));
        assertEquals("field 'secret' in the body must be a string, found 5", refusal("{\"secret\": 5}", Bodies.Login.class));
    }

    @Test
    void aLoneSurrogateIs400() {
        ApiException e = assertThrows(ApiException.class, () -> read("{\"target\": \"a\\ud800\"}", "the clone action", Bodies.Clone.class));
        assertEquals(400, e.problem().status());
        assertEquals("field 'target' in the clone action is not valid Unicode: it holds a lone surrogate \\uD800 at character 1",
                e.getMessage());
    }
}
