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
    void aServerFaultIsLoggedWithTheRequestAndItsCauseAndARefusalIsNot() {
        java.util.logging.Logger logger = java.util.logging.Logger.getLogger(Problem.class.getName());
        java.util.List<java.util.logging.LogRecord> logged = new java.util.concurrent.CopyOnWriteArrayList<>();
        java.util.logging.Handler handler = new java.util.logging.Handler() {
            @Override
            public void publish(java.util.logging.LogRecord r) {
                logged.add(r);
            }

            @Override
            public void flush() {
            }

            @Override
            public void close() {
            }
        };
        logger.addHandler(handler);
        try {
            AdminException fault = new AdminException("'du' exited with 1");
            assertEquals(500, Problem.answering("GET", "/api/qubes/work/volumes", fault).status());
            assertEquals(404, Problem.answering("GET", "/api/qubes/gone", new NoSuchQubeException("gone")).status());

            assertEquals(1, logged.size(), "only the fault is logged");
            String message = java.text.MessageFormat.format(logged.get(0).getMessage(), logged.get(0).getParameters());
            assertTrue(message.contains("GET /api/qubes/work/volumes") && message.contains("500"), message);
            assertEquals(fault, logged.get(0).getThrown(), "with the cause and its stack trace");
        } finally {
            logger.removeHandler(handler);
        }
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
