package dev.bulkhead.console.internal;

/** A request the API refuses before it reaches the admin service: malformed, unauthorised, unknown. */
final class ApiException extends RuntimeException {
    private static final long serialVersionUID = 1L;
    private final transient Problem problem;

    ApiException(Problem problem) {
        super(problem.detail());
        this.problem = problem;
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
