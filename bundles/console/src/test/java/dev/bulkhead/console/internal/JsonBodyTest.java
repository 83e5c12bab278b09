package dev.bulkhead.console.internal;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;

import org.junit.jupiter.api.Test;

import com.fasterxml.jackson.databind.ObjectMapper;

import dev.bulkhead.api.json.JsonMappers;

class JsonBodyTest {
    private final ObjectMapper json = JsonMappers.create();

    private JsonBody body(String text) {
        return JsonBody.parse(json, text.getBytes(StandardCharsets.UTF_8), "a new qube", true);
    }

    private static int status(Runnable r) {
        return assertThrows(ApiException.class, r::run).problem().status();
    }

    @Test
    void textThatIsNotAJsonObjectIs400() {
        assertEquals(400, status(() -> body("{\"name\": ")));
        assertEquals(400, status(() -> body("[1, 2]")));
        assertEquals(400, status(() -> body("\"name\"")));
        assertEquals(400, status(() -> body("{} {}")));
        assertEquals(400, status(() -> body("")));
        assertEquals(400, status(() -> body("{\"a\":".repeat(100) + "1" + "}".repeat(100))));
        assertTrue(JsonBody.parse(json, new byte[0], "an action", false).stringMap("x").isEmpty());
    }

    @Test
    void aKeyGivenTwiceIs400RatherThanTheLastOneWinning() {
        ApiException e = assertThrows(ApiException.class, () -> body("{\"name\": \"work\", \"name\": \"dom0\", \"label\": \"red\"}"));
        assertEquals(400, e.problem().status());
        assertTrue(e.problem().detail().contains("name"), e.problem().detail());
    }

    @Test
    void textWithALoneSurrogateIs400() {
        assertEquals(400, status(() -> body("{\"name\": \"\\ud800\"}").text("name")));
        assertEquals(400, status(() -> body("{\"name\": \"a\\udc00\"}").optionalText("name")));
        assertEquals(400, status(() -> body("{\"p\": {\"\\ud83d\": \"x\"}}").stringMap("p")));
        assertEquals(400, status(() -> body("{\"c\": [\"ok\", \"\\ud83d\"]}").stringList("c")));
        assertEquals("\uD83D\uDE00", body("{\"name\": \"\\ud83d\\ude00\"}").text("name"), "a whole pair is a character");
    }

    @Test
    void fieldsOfTheWrongShapeAre422NamingTheField() {
        ApiException e = assertThrows(ApiException.class, () -> body("{\"name\": 5}").text("name"));
        assertEquals(422, e.problem().status());
        assertTrue(e.getMessage().contains("'name'") && e.getMessage().contains("5"), e.getMessage());
        assertEquals(422, status(() -> body("{}").text("name")));
        assertEquals(422, status(() -> body("{\"colour\": \"red\"}").accept("name", "label")));
        assertEquals(422, status(() -> body("{\"wait\": \"yes\"}").bool("wait", false)));
        assertEquals(422, status(() -> body("{\"timeout\": 1.5}").optionalInt("timeout", 1, 10)));
        assertEquals(422, status(() -> body("{\"timeout\": 11}").optionalInt("timeout", 1, 10)));
        assertEquals(422, status(() -> body("{\"properties\": {\"memory\": 400}}").stringMap("properties")));
        assertEquals(422, status(() -> body("{\"command\": [\"ls\", 1]}").stringList("command")));
    }

    @Test
    void wellFormedFieldsAreRead() {
        JsonBody b = body("{\"name\": \"work\", \"wait\": true, \"timeout\": 5, \"properties\": {\"memory\": \"400\"},"
                + " \"command\": [\"ls\", \"-l\"]}").accept("name", "wait", "timeout", "properties", "command");
        assertEquals("work", b.text("name"));
        assertTrue(b.bool("wait", false));
        assertFalse(b.bool("force", false));
        assertEquals(5, b.optionalInt("timeout", 1, 10).orElseThrow());
        assertEquals(Map.of("memory", "400"), b.stringMap("properties"));
        assertEquals(List.of("ls", "-l"), b.stringList("command"));
        assertTrue(b.optionalText("label").isEmpty());
    }

    @Test
    void anOptionalListIsNullWhenAbsentAndCheckedWhenGiven() {
        Bodies.RuleList plain = body("{\"rules\": [\"action=accept\"]}").read(Bodies.RuleList.class);
        assertEquals(List.of("action=accept"), plain.rules());
        assertEquals(null, plain.replaces());
        assertEquals(List.of("action=drop"), body("{\"rules\": [], \"replaces\": [\"action=drop\"]}").read(Bodies.RuleList.class).replaces());
        assertEquals(422, status(() -> body("{\"rules\": [], \"replaces\": \"action=drop\"}").read(Bodies.RuleList.class)));
        assertEquals(422, status(() -> body("{\"rules\": [], \"replaces\": [5]}").read(Bodies.RuleList.class)));
        assertEquals(422, status(() -> body("{\"replaces\": []}").read(Bodies.RuleList.class)), "rules stays required");
    }
}
