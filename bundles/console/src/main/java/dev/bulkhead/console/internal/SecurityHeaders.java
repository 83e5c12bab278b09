package dev.bulkhead.console.internal;

import java.util.LinkedHashMap;
import java.util.Map;
import java.util.function.BiConsumer;

/**
 * The headers every answer of the console carries, whoever writes it: the console's servlets, its
 * error page, or Jetty itself refusing a request before any servlet runs. One list, so that no kind
 * of answer can lack one of them.
 */
final class SecurityHeaders {
    static final String CONTENT_SECURITY_POLICY = "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self';"
            + " connect-src 'self'; form-action 'self'; base-uri 'none'; frame-ancestors 'none'";
    private static final Map<String, String> ALWAYS = always();

    private SecurityHeaders() {
    }

    private static Map<String, String> always() {
        Map<String, String> h = new LinkedHashMap<>();
        h.put("Content-Security-Policy", CONTENT_SECURITY_POLICY);
        h.put("X-Content-Type-Options", "nosniff");
        h.put("X-Frame-Options", "DENY");
        h.put("Referrer-Policy", "no-referrer");
        h.put("Cross-Origin-Opener-Policy", "same-origin");
        h.put("Cross-Origin-Resource-Policy", "same-origin");
        return Map.copyOf(h);
    }

    /** Sets them all, and the caching rule for the path: API answers and errors are never stored. */
    static void apply(String path, BiConsumer<String, String> setHeader) {
        ALWAYS.forEach(setHeader);
        setHeader.accept("Cache-Control", path == null || path.startsWith("/api") ? "no-store" : "no-cache");
    }

    /** For an error answer, which no cache may keep. */
    static void applyToError(BiConsumer<String, String> setHeader) {
        apply(null, setHeader);
    }
}
