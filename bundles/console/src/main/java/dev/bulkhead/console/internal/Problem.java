package dev.bulkhead.console.internal;

import java.lang.System.Logger.Level;
import java.util.LinkedHashMap;
import java.util.Map;

import dev.bulkhead.api.AdminException;
import dev.bulkhead.api.InvalidStateException;
import dev.bulkhead.api.InvalidValueException;
import dev.bulkhead.api.NoSuchQubeException;

/**
 * An RFC 9457 problem: what the API answers instead of a result. {@code type} is a URN naming the
 * kind of problem (listed in the OpenAPI document), {@code detail} the one-line reason with the
 * offending value.
 */
record Problem(int status, String type, String title, String detail, Map<String, String> extensions) {
    static final String MEDIA_TYPE = "application/problem+json";
    private static final System.Logger LOG = System.getLogger(Problem.class.getName());

    Problem {
        extensions = Map.copyOf(extensions);
    }

    static Problem of(int status, String slug, String title, String detail) {
        return new Problem(status, "urn:bulkhead:problem:" + slug, title, detail, Map.of());
    }

    /**
     * The problem that answers {@code method path} which failed with {@code e}. A server fault (any 5xx) is
     * never silent: it is logged with the request and the cause's stack trace, since the answer's
     * detail tells the client only what went wrong, not where.
     */
    static Problem answering(String method, String path, RuntimeException e) {
        Problem p = from(e);
        if (p.status() >= 500) {
            LOG.log(Level.ERROR, "answered " + method + " " + path + " with " + p.status() + " " + p.title() + ": " + p.detail(), e);
        }
        return p;
    }

    /** The problem an exception from the admin service or from reading a request stands for. */
    static Problem from(RuntimeException e) {
        if (e instanceof ApiException api) {
            return api.problem();
        }
        if (e instanceof NoSuchQubeException) {
            return of(404, "no-such-qube", "No such qube", e.getMessage());
        }
        if (e instanceof InvalidValueException invalid) {
            Map<String, String> ext = new LinkedHashMap<>();
            ext.put("subject", invalid.subject());
            ext.put("value", invalid.value());
            return new Problem(422, "urn:bulkhead:problem:invalid-value", "Invalid value", e.getMessage(), ext);
        }
        if (e instanceof InvalidStateException) {
            return of(409, "invalid-state", "Not possible in the qube's current state", e.getMessage());
        }
        if (e instanceof AdminException) {
            // Refused by the platform for a reason of its own (a backend that failed, a state file it cannot write).
            return of(500, "operation-failed", "The operation failed", e.getMessage());
        }
        return of(500, "internal-error", "Internal error", e.getClass().getSimpleName() + ": " + e.getMessage());
    }
}
