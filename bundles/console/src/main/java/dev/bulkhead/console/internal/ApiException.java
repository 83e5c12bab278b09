package dev.bulkhead.console.internal;

import java.util.Map;

/** A request the API refuses before it reaches the admin service: malformed, unauthorised, unknown. */
final class ApiException extends RuntimeException {
    private static final long serialVersionUID = 1L;
    private final transient Problem problem;
    private final transient Map<String, String> headers;

    ApiException(Problem problem) {
        this(problem, Map.of());
    }

    /** With headers the answer needs besides the problem ({@code Retry-After}, say). */
    ApiException(Problem problem, Map<String, String> headers) {
        super(problem.detail());
        this.problem = problem;
        this.headers = Map.copyOf(headers);
    }

    Map<String, String> headers() {
        return headers;
    }

    ApiException(int status, String slug, String title, String detail) {
        this(Problem.of(status, slug, title, detail));
    }

    Problem problem() {
        return problem;
    }

    static ApiException malformed(String detail) {
        return new ApiException(400, "malformed-request", "Malformed request", detail);
    }

    static ApiException invalid(String detail) {
        return new ApiException(422, "invalid-request", "Invalid request", detail);
    }

    static ApiException notFound(String detail) {
        return new ApiException(404, "not-found", "Not found", detail);
    }
}
