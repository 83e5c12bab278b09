package dev.bulkhead.console.internal;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.StringWriter;

import org.junit.jupiter.api.Test;

import com.fasterxml.jackson.core.JsonGenerator;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;

import dev.bulkhead.api.AdminException;
import dev.bulkhead.api.InvalidStateException;
import dev.bulkhead.api.InvalidValueException;
import dev.bulkhead.api.Label;
import dev.bulkhead.api.NoSuchQubeException;
import dev.bulkhead.api.json.JsonMappers;

/** What the admin service's refusals become over HTTP. */
class ProblemTest {
    @Test
    void eachRefusalHasItsStatus() {
        assertEquals(404, Problem.from(new NoSuchQubeException("gone")).status());
        assertEquals(409, Problem.from(new InvalidStateException("'work' is Running")).status());
        assertEquals(500, Problem.from(new AdminException("runc failed")).status());
        assertEquals(500, Problem.from(new IllegalStateException("bug")).status());
        assertEquals(400, Problem.from(ApiException.malformed("not JSON")).status());
        assertEquals(422, Problem.from(ApiException.invalid("missing field")).status());
    }

    @Test
    void anInvalidValueNamesItsSubjectAndValue() throws Exception {
        Problem p = Problem.from(assertThrowsInvalid());
        assertEquals(422, p.status());
        assertEquals("label", p.extensions().get("subject"));
        assertEquals("pink", p.extensions().get("value"));

        ObjectMapper json = JsonMappers.create();
        StringWriter out = new StringWriter();
        try (JsonGenerator g = json.getFactory().createGenerator(out)) {
            g.writeObject(Json.problem(p));
        }
        JsonNode written = json.readTree(out.toString());
        assertEquals("urn:bulkhead:problem:invalid-value", written.path("type").asText());
        assertEquals(422, written.path("status").asInt());
        assertTrue(written.path("detail").asText().contains("'pink'"));
        assertEquals("pink", written.path("value").asText());
        assertTrue(written.has("title"));
    }

    private static InvalidValueException assertThrowsInvalid() {
        try {
            Label.parse("pink");
        } catch (InvalidValueException e) {
            return e;
        }
        throw new AssertionError("pink is no label");
    }
}
