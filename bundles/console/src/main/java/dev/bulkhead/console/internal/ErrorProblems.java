package dev.bulkhead.console.internal;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;

import com.fasterxml.jackson.core.JsonGenerator;
import com.fasterxml.jackson.databind.ObjectMapper;

import dev.bulkhead.api.json.JsonMappers;

/**
 * The console's own problem for an error the HTTP server or the servlet container answers by itself
 * (a malformed request, a URI or headers too large, no servlet for a path, a method a servlet does
 * not take). A fixed text per status: nothing of the request is echoed, and nothing names the server,
 * its version or a stack.
 */
final class ErrorProblems {
    private static final ObjectMapper JSON = JsonMappers.create();

    private ErrorProblems() {
    }

    static Problem forStatus(int status) {
        return switch (status) {
            case 400 -> Problem.of(400, "bad-request", "Bad request",
                    "the request is not well-formed HTTP, or its URI holds characters or encodings the console refuses");
            case 401 -> Problem.of(401, "unauthorized", "Unauthorized", "log in on the console's page first");
            case 403 -> Problem.of(403, "forbidden", "Forbidden", "this request is not allowed");
            case 404 -> Problem.of(404, "not-found", "Not found", "there is nothing at this path; the console's page is at /"
                    + " and its API at /api (see /api/openapi.json)");
            case 405 -> Problem.of(405, "method-not-allowed", "Method not allowed", "this path does not take that method");
            case 408 -> Problem.of(408, "request-timeout", "Request timeout", "the request did not arrive in time");
            case 411 -> Problem.of(411, "length-required", "Length required", "a request body needs a Content-Length");
            case 413 -> Problem.of(413, "too-large", "Request too large", "the request body is larger than the console accepts");
            case 414 -> Problem.of(414, "uri-too-long", "URI too long", "the request URI is longer than the console accepts");
            case 415 -> Problem.of(415, "unsupported-media-type", "Unsupported media type", "the body is not of a type this path takes");
            case 431 -> Problem.of(431, "headers-too-large", "Request header fields too large",
                    "the request headers are larger than the console accepts");
            case 505 -> Problem.of(505, "http-version-not-supported", "HTTP version not supported",
                    "the console speaks HTTP/1.0 and HTTP/1.1");
            default -> status >= 400 && status < 500
                    ? Problem.of(status, "client-error", "Refused", "the request was refused with status " + status)
                    : Problem.of(status >= 500 && status < 600 ? status : 500, "internal-error", "Internal error",
                            "the console failed to answer; its log says why");
        };
    }

    /** The problem as the bytes of an {@code application/problem+json} body. */
    static byte[] body(Problem p) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        try (JsonGenerator g = JSON.createGenerator(out)) {
            g.writeObject(Json.problem(p));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return out.toByteArray();
    }
}
