package dev.bulkhead.console.internal;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.io.IOException;
import java.io.InputStream;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;

import org.junit.jupiter.api.Test;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;

import dev.bulkhead.api.QubeProperty;

/** The OpenAPI document names the properties the declarations hold, no more and no fewer. */
class OpenApiPropertiesTest {
    @Test
    void thePropertyParameterListsTheDeclaredProperties() throws IOException {
        JsonNode doc;
        try (InputStream in = OpenApiPropertiesTest.class.getResourceAsStream("/api/openapi.json")) {
            doc = new ObjectMapper().readTree(in);
        }
        JsonNode parameters = doc.path("paths").path("/api/qubes/{name}/properties/{property}").path("parameters");
        List<String> listed = new ArrayList<>();
        for (JsonNode p : parameters) {
            if (p.path("name").asText().equals("property")) {
                p.path("schema").path("enum").forEach(v -> listed.add(v.asText()));
            }
        }
        assertEquals(Stream.of(QubeProperty.values()).map(QubeProperty::id).toList(), listed);
    }
}
