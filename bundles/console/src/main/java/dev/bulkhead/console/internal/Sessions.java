package dev.bulkhead.console.internal;

import java.security.SecureRandom;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.Base64;
import java.util.Comparator;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Console logins, in memory only: a restart of the console logs everyone out. Each session has an
 * unguessable id (the cookie) and its own CSRF token, and ends after it has not been used for the
 * idle time. The number of sessions is bounded; the least recently used goes first.
 */
final class Sessions {
    static final int MAX_SESSIONS = 64;

    /** One login. */
    static final class Session {
        private final String id;
        private final String csrfToken;
        private volatile Instant lastUsed;

        Session(String id, String csrfToken, Instant now) {
            this.id = id;
            this.csrfToken = csrfToken;
            this.lastUsed = now;
        }

        String id() {
            return id;
        }

        String csrfToken() {
            return csrfToken;
        }
    }

    private final Map<String, Session> sessions = new ConcurrentHashMap<>();
    private final SecureRandom random;
    private final Clock clock;
    private volatile Duration idle;

    Sessions(SecureRandom random, Clock clock, Duration idle) {
        this.random = random;
        this.clock = clock;
        this.idle = idle;
    }

    void setIdle(Duration idle) {
        this.idle = idle;
    }

    Session create() {
        Instant now = clock.instant();
        expire(now);
        while (sessions.size() >= MAX_SESSIONS) {
            sessions.values().stream().min(Comparator.comparing(s -> s.lastUsed)).ifPresent(s -> sessions.remove(s.id));
        }
        Session s = new Session(token(), token(), now);
        sessions.put(s.id, s);
        return s;
    }

    /** The live session of that id, marked as used now. */
    Optional<Session> find(String id) {
        if (id == null) {
            return Optional.empty();
        }
        Session s = sessions.get(id);
        Instant now = clock.instant();
        if (s == null) {
            return Optional.empty();
        }
        if (isExpired(s, now)) {
            sessions.remove(id, s);
            return Optional.empty();
        }
        s.lastUsed = now;
        return Optional.of(s);
    }

    void remove(String id) {
        if (id != null) {
            sessions.remove(id);
        }
    }

    int size() {
        return sessions.size();
    }

    private void expire(Instant now) {
        sessions.values().removeIf(s -> isExpired(s, now));
    }

    private boolean isExpired(Session s, Instant now) {
        return !s.lastUsed.plus(idle).isAfter(now);
    }

    private String token() {
        byte[] bytes = new byte[32];
        random.nextBytes(bytes);
        return Base64.getUrlEncoder().withoutPadding().encodeToString(bytes);
    }
}
