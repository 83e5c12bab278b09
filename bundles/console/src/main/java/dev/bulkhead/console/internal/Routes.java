package dev.bulkhead.console.internal;

import java.util.Arrays;
import java.util.List;

/** How the Admin API matches paths and methods, and what it answers when they do not match. */
final class Routes {
    private Routes() {
    }

    static List<String> segments(String path) {
        return Arrays.stream(path.split("/")).filter(s -> !s.isEmpty()).toList();
    }

    interface Handler {
        ApiResponse handle();
    }

    static ApiResponse only(String method, String allowed, Handler h) {
        return method.equals(allowed) ? h.handle() : notAllowed(method, allowed);
    }

    static ApiResponse one(List<String> p, int size, String method, String allowed, Handler h) {
        if (p.size() != size) {
            throw ApiException.notFound("no API resource /api/" + String.join("/", p));
        }
        return only(method, allowed, h);
    }

    static ApiResponse notAllowed(String method, String allowed) {
        return ApiResponse.problem(Problem.of(405, "method-not-allowed", "Method not allowed",
                "method " + method + " is not allowed here; allowed: " + allowed)).withHeader("Allow", allowed);
    }
}
