package dev.bulkhead.console.internal;

import java.io.IOException;
import java.lang.System.Logger.Level;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.SecureRandom;
import java.time.Clock;
import java.time.Duration;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.Set;

import org.osgi.framework.BundleContext;
import org.osgi.service.component.annotations.Activate;
import org.osgi.service.component.annotations.Component;
import org.osgi.service.component.annotations.Modified;
import org.osgi.service.component.annotations.Reference;

/**
 * Who may use the console, and how. Every request must name this console in its {@code Host}
 * header (a loopback address or {@code localhost}, with the port it arrived on), which defeats DNS
 * rebinding. The API needs credentials: an API token as {@code Authorization: Bearer} for programs
 * ({@link ApiTokenStore}), or a login with the secret that gives a browser a session cookie; wrong
 * logins are slowed down ({@link LoginThrottle}). A state-changing request must come from this
 * console's own origin, and with a session cookie it must also carry the session's CSRF token. No
 * refusal names a file: whoever reads it may not be the one who can open it.
 */
@Component(service = ConsoleSecurity.class, configurationPid = ConsoleConfig.PID)
public final class ConsoleSecurity {
    private static final System.Logger LOG = System.getLogger(ConsoleSecurity.class.getName());
    /** Framework property naming the platform's etc directory, where the secret lives. */
    static final String ETC_PROPERTY = "bulkhead.etc";
    /**
     * The session cookie. {@code __Host-} binds it to this exact origin (no Domain, Path=/); the prefix
     * needs Secure, which browsers honour on http://127.0.0.1 and http://localhost, origins they hold
     * potentially trustworthy (Chromium stores and sends it there).
     */
    static final String COOKIE = "__Host-bulkhead_session";
    static final String COOKIE_ATTRIBUTES = "Path=/; Secure; HttpOnly; SameSite=Strict";
    static final String CSRF_HEADER = "X-CSRF-Token";
    static final String LOGIN_PATH = "/api/login";
    /** API paths that answer without the secret. */
    private static final Set<String> PUBLIC_API = Set.of(LOGIN_PATH, "/api/session", "/api/openapi.json");
    private static final Set<String> SAFE_METHODS = Set.of("GET", "HEAD", "OPTIONS");

    /** What the checks decided: go on as {@code principal}, or answer with {@code refusal}. */
    record Verdict(Principal principal, Sessions.Session session, Problem refusal) {
        static Verdict allow(Principal principal, Sessions.Session session) {
            return new Verdict(principal, session, null);
        }

        static Verdict refuse(Problem problem) {
            return new Verdict(null, null, problem);
        }

        boolean allowed() {
            return refusal == null;
        }
    }

    private final SecretFile secretFile;
    private final Sessions sessions;
    private final ApiTokenStore tokens;
    private final LoginThrottle throttle;
    private final byte[] secret;

    @Activate
    public ConsoleSecurity(BundleContext context, ConsoleConfig config, @Reference ApiTokenStore tokens) {
        this(etcDirectory(context.getProperty(ETC_PROPERTY)), Duration.ofMinutes(config.session_idle_minutes()),
                new SecureRandom(), Clock.systemUTC(), tokens);
    }

    ConsoleSecurity(Path etc, Duration idle, SecureRandom random, Clock clock, ApiTokenStore tokens) {
        this.secretFile = new SecretFile(etc, random);
        this.sessions = new Sessions(random, clock, idle);
        this.tokens = tokens;
        this.throttle = new LoginThrottle(clock);
        String loaded = null;
        String problem = null;
        try {
            loaded = secretFile.loadOrCreate();
        } catch (IllegalStateException e) {
            problem = e.getMessage();
        } catch (IOException e) {
            problem = "cannot read or make " + secretFile.path() + ": " + e.getMessage();
        }
        if (problem != null) {
            LOG.log(Level.ERROR, "the console refuses every login until this is fixed: " + problem);
        }
        this.secret = loaded == null ? null : loaded.getBytes(StandardCharsets.US_ASCII);
    }

    private static Path etcDirectory(String value) {
        if (value == null || value.isBlank() || !Path.of(value).isAbsolute()) {
            throw new IllegalStateException("the framework property " + ETC_PROPERTY
                    + " must name the platform's etc directory by absolute path, found: " + value);
        }
        return Path.of(value);
    }

    @Modified
    void modified(ConsoleConfig config) {
        sessions.setIdle(Duration.ofMinutes(config.session_idle_minutes()));
    }

    Path secretPath() {
        return secretFile.path();
    }

    /** Decides whether the request may go on, and as whom. */
    Verdict check(RequestFacts r) {
        if (!LoopbackAddresses.isLoopback(r.localAddress())) {
            return Verdict.refuse(Problem.of(403, "not-loopback", "Loopback only",
                    "the console answers on loopback addresses only, not on " + r.localAddress()));
        }
        if (!isOwnHost(r.host(), r.localPort())) {
            return Verdict.refuse(Problem.of(421, "wrong-host", "Misdirected request",
                    "Host '" + r.host() + "' does not name this console; use http://127.0.0.1:" + r.localPort() + "/"));
        }
        boolean api = r.path().equals("/api") || r.path().startsWith("/api/");
        boolean changes = !SAFE_METHODS.contains(r.method().toUpperCase(Locale.ROOT));

        Principal principal = Principal.NONE;
        Sessions.Session session = null;
        if (r.authorization() != null) {
            Optional<Problem> bad = checkBearer(r.authorization());
            if (bad.isPresent()) {
                return Verdict.refuse(bad.get());
            }
            principal = Principal.BEARER;
        } else if (r.sessionCookie() != null) {
            session = sessions.find(r.sessionCookie()).orElse(null);
            principal = session == null ? Principal.NONE : Principal.SESSION;
        }
        if (api && principal == Principal.NONE && !PUBLIC_API.contains(r.path())) {
            return Verdict.refuse(unauthorized(r.sessionCookie() == null ? "no credentials: log in on the console's page with"
                    + " the secret, or send Authorization: Bearer with an API token (made by qvm:console token create)"
                    : "the console session has ended: log in again"));
        }
        if (changes) {
            Optional<Problem> bad = checkOrigin(r, principal);
            if (bad.isPresent()) {
                return Verdict.refuse(bad.get());
            }
            if (principal == Principal.SESSION && !sameToken(r.csrfToken(), session.csrfToken())) {
                return Verdict.refuse(Problem.of(403, "csrf", "Forbidden", r.csrfToken() == null
                        ? "the " + CSRF_HEADER + " header is missing; a browser session must send its CSRF token with every change"
                        : "the " + CSRF_HEADER + " header does not match this session's token"));
            }
        }
        return Verdict.allow(principal, session);
    }

    /**
     * Logs in with the secret; the new session's cookie and CSRF token go back to the browser. A client
     * that got it wrong too often is refused, whatever it sends, until its wait is over.
     */
    Sessions.Session login(String offered, String client) {
        Optional<Duration> wait = throttle.waitFor(client);
        if (wait.isPresent()) {
            long seconds = Math.max(1, (wait.get().toMillis() + 999) / 1000);
            throw new ApiException(Problem.of(429, "too-many-logins", "Too many wrong logins",
                    "too many wrong secrets from " + client + "; try again in " + seconds + " s"),
                    Map.of("Retry-After", Long.toString(seconds)));
        }
        requireSecret();
        if (offered == null || !MessageDigest.isEqual(offered.strip().getBytes(StandardCharsets.UTF_8), secret)) {
            throttle.failed(client);
            throw new ApiException(unauthorized("wrong secret: log in with the console secret the platform made at its"
                    + " first start, which only root can read"));
        }
        throttle.succeeded(client);
        return sessions.create();
    }

    void logout(String sessionId) {
        sessions.remove(sessionId);
    }

    Optional<Sessions.Session> session(String sessionId) {
        return sessions.find(sessionId);
    }

    private Optional<Problem> checkBearer(String authorization) {
        if (!authorization.regionMatches(true, 0, "Bearer ", 0, 7)) {
            String scheme = authorization.split(" ", 2)[0];
            return Optional.of(unauthorized("Authorization must be 'Bearer <API token>'; found the scheme '"
                    + (scheme.length() > 20 ? scheme.substring(0, 20) + "..." : scheme) + "'"));
        }
        if (tokens.verify(authorization.substring(7).strip()).isEmpty()) {
            return Optional.of(unauthorized("unknown, revoked or expired API token; make one with qvm:console token create"
                    + " (the login secret opens the console's page only)"));
        }
        return Optional.empty();
    }

    /**
     * A change must come from this console's own page. A program using the bearer secret sends no
     * Origin; a browser always does, and a session or a login needs one.
     */
    private static Optional<Problem> checkOrigin(RequestFacts r, Principal principal) {
        String own = "http://" + r.host();
        if (r.origin() == null) {
            return principal == Principal.BEARER ? Optional.empty()
                    : Optional.of(Problem.of(403, "origin", "Forbidden", "the Origin header is missing; a change must come from " + own));
        }
        if (!r.origin().equalsIgnoreCase(own)) {
            return Optional.of(Problem.of(403, "origin", "Forbidden", "Origin '" + r.origin() + "' is not this console; accepted: " + own));
        }
        return Optional.empty();
    }

    /** A loopback address or localhost, with the port the request arrived on (which may be left out for 80). */
    static boolean isOwnHost(String host, int localPort) {
        if (host == null || host.isEmpty()) {
            return false;
        }
        String name = host;
        String port = null;
        int colon = host.lastIndexOf(':');
        if (colon > host.lastIndexOf(']')) {
            name = host.substring(0, colon);
            port = host.substring(colon + 1);
        }
        boolean portMatches = port == null ? localPort == 80 : port.equals(Integer.toString(localPort));
        boolean bracketedIpv6 = name.startsWith("[") && name.endsWith("]");
        boolean nameMatches = name.equalsIgnoreCase("localhost") || bracketedIpv6 && LoopbackAddresses.isLoopback(name)
                || !name.contains(":") && LoopbackAddresses.isLoopback(name);
        return portMatches && nameMatches;
    }

    private static boolean sameToken(String offered, String expected) {
        return offered != null && MessageDigest.isEqual(offered.getBytes(StandardCharsets.UTF_8), expected.getBytes(StandardCharsets.UTF_8));
    }

    private void requireSecret() {
        if (secret == null) {
            throw new ApiException(unusableSecret());
        }
    }

    private static Problem unusableSecret() {
        return Problem.of(503, "secret-unusable", "The console secret is unusable",
                "the console secret is unusable, so no one can log in; the platform's log says why");
    }

    private static Problem unauthorized(String detail) {
        return Problem.of(401, "unauthorized", "Unauthorized", detail);
    }
}
