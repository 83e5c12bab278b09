package dev.bulkhead.console.internal;

import java.lang.System.Logger.Level;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Optional;

/**
 * Slows down guessing the login secret. Each client (source address) may get the secret wrong a few
 * times; after that every further failure shuts it out for twice as long as the last one, up to a
 * bound, and while it is shut out even the right secret is refused. All clients together have a
 * larger allowance of their own, since every address of 127.0.0.0/8 is a loopback client. A client
 * that has not failed for a while starts afresh; a right secret clears its record. Every failure is
 * logged with the client and the time, never with what was tried.
 */
final class LoginThrottle {
    private static final System.Logger LOG = System.getLogger(LoginThrottle.class.getName());
    /** Wrong secrets a client may send before it has to wait. */
    static final int FREE_FAILURES = 5;
    /** Wrong secrets all clients together may send before every client has to wait. */
    static final int FREE_FAILURES_ALL = 30;
    static final Duration FIRST_WAIT = Duration.ofSeconds(1);
    static final Duration LONGEST_WAIT = Duration.ofMinutes(15);
    /** A client that has not failed for this long starts afresh. */
    static final Duration FORGET_AFTER = Duration.ofHours(1);
    /** Clients remembered at most; the one that failed least recently is forgotten first. */
    static final int MAX_CLIENTS = 1024;
    private static final String ALL = "all clients";

    private static final class Record {
        int failures;
        Instant lastFailure;
        Instant blockedUntil = Instant.MIN;
    }

    private final Clock clock;
    private final Map<String, Record> clients = new LinkedHashMap<>(16, 0.75f, true);
    private final Record all = new Record();

    LoginThrottle(Clock clock) {
        this.clock = clock;
    }

    /** How long the client must still wait before it may try again, if it must. */
    synchronized Optional<Duration> waitFor(String client) {
        Instant now = clock.instant();
        Instant until = max(blockedUntil(clients.get(client), now), blockedUntil(all, now));
        return until.isAfter(now) ? Optional.of(Duration.between(now, until)) : Optional.empty();
    }

    synchronized void failed(String client) {
        Instant now = clock.instant();
        Record r = clients.computeIfAbsent(client, c -> new Record());
        Duration waitClient = count(r, now, FREE_FAILURES);
        Duration waitAll = count(all, now, FREE_FAILURES_ALL);
        while (clients.size() > MAX_CLIENTS) {
            clients.remove(clients.keySet().iterator().next());
        }
        String wait = waitClient.isZero() && waitAll.isZero() ? ""
                : "; logins from " + (waitAll.compareTo(waitClient) > 0 ? ALL : client) + " are refused for "
                        + Math.max(waitClient.toSeconds(), waitAll.toSeconds()) + " s";
        LOG.log(Level.WARNING, "failed console login from " + client + " at " + now + " (" + r.failures
                + " in a row from there, " + all.failures + " from all clients)" + wait);
    }

    synchronized void succeeded(String client) {
        clients.remove(client);
    }

    private static Duration count(Record r, Instant now, int free) {
        if (r.lastFailure != null && !r.lastFailure.plus(FORGET_AFTER).isAfter(now)) {
            r.failures = 0;
        }
        r.failures++;
        r.lastFailure = now;
        if (r.failures <= free) {
            return Duration.ZERO;
        }
        int doublings = Math.min(r.failures - free - 1, 20);
        Duration wait = FIRST_WAIT.multipliedBy(1L << doublings);
        if (wait.compareTo(LONGEST_WAIT) > 0) {
            wait = LONGEST_WAIT;
        }
        r.blockedUntil = now.plus(wait);
        return wait;
    }

    private static Instant blockedUntil(Record r, Instant now) {
        if (r == null || r.lastFailure != null && !r.lastFailure.plus(FORGET_AFTER).isAfter(now)) {
            return Instant.MIN;
        }
        return r.blockedUntil;
    }

    private static Instant max(Instant a, Instant b) {
        return a.isAfter(b) ? a : b;
    }
}
