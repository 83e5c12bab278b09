package dev.bulkhead.api.json;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.exc.StreamConstraintsException;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.databind.exc.UnrecognizedPropertyException;

class JsonMappersTest {
    record Point(int x, int y) {
    }

    private final ObjectMapper json = JsonMappers.create();

    @Test
    void readsAndWritesRecordsByTheirComponentNames() throws Exception {
        assertEquals(new Point(1, 2), json.readValue("{\"x\":1,\"y\":2}", Point.class));
        assertEquals("{\"x\":1,\"y\":2}", json.writeValueAsString(new Point(1, 2)));
    }

    @Test
    void aKeyGivenTwiceIsRefused() {
        JsonProcessingException e = assertThrows(JsonProcessingException.class, () -> json.readTree("{\"x\":1,\"x\":2}"));
        assertTrue(e.getOriginalMessage().contains("Duplicate field 'x'"), e.getOriginalMessage());
    }

    @Test
    void anythingAfterTheValueIsRefused() {
        assertThrows(JsonProcessingException.class, () -> json.readTree("{} {}"));
        assertThrows(JsonProcessingException.class, () -> json.readValue("{\"x\":1,\"y\":2} x", Point.class));
    }

    @Test
    void aFieldTheRecordDoesNotDeclareIsRefused() {
        UnrecognizedPropertyException e = assertThrows(UnrecognizedPropertyException.class,
                () -> json.readValue("{\"x\":1,\"y\":2,\"z\":3}", Point.class));
        assertEquals("z", e.getPropertyName());
    }

    @Test
    void nestingDeeperThanTheLimitIsRefused() throws Exception {
        int depth = JsonMappers.MAX_NESTING_DEPTH;
        json.readTree("[".repeat(depth) + "]".repeat(depth));
        assertThrows(StreamConstraintsException.class, () -> json.readTree("[".repeat(depth + 1) + "]".repeat(depth + 1)));
    }

    @Test
    void eachCallGivesAMapperOfItsOwn() {
        ObjectMapper indented = JsonMappers.create().enable(SerializationFeature.INDENT_OUTPUT);
        assertNotSame(indented, json);
        assertTrue(!json.isEnabled(SerializationFeature.INDENT_OUTPUT));
    }
}
