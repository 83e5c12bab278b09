package dev.bulkhead.console.internal;

import java.io.IOException;
import java.util.LinkedHashMap;
import java.util.Map;

import com.fasterxml.jackson.core.JsonGenerator;

/** What a handler answers: a status, headers and a body written as JSON, as text, or nothing. */
record ApiResponse(int status, Map<String, String> headers, String contentType, JsonBodyWriter json, String text) {
    /** Writes the JSON body. */
    @FunctionalInterface
    interface JsonBodyWriter {
        void write(JsonGenerator g) throws IOException;
    }

    /** A JSON body: one of the {@link Json} forms, or a map of strings. */
    static ApiResponse json(int status, Object form) {
        return new ApiResponse(status, Map.of(), "application/json", g -> g.writeObject(form), null);
    }

    static ApiResponse problem(Problem p) {
        return new ApiResponse(p.status(), Map.of(), Problem.MEDIA_TYPE, g -> g.writeObject(Json.problem(p)), null);
    }

    static ApiResponse text(int status, String contentType, String text) {
        return new ApiResponse(status, Map.of(), contentType, null, text);
    }

    static ApiResponse noContent() {
        return new ApiResponse(204, Map.of(), null, null, null);
    }

    ApiResponse withStatus(int newStatus) {
        return new ApiResponse(newStatus, headers, contentType, json, text);
    }

    ApiResponse withHeader(String name, String value) {
        Map<String, String> h = new LinkedHashMap<>(headers);
        h.put(name, value);
        return new ApiResponse(status, h, contentType, json, text);
    }
}
