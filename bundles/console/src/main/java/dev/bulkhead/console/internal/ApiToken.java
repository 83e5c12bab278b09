package dev.bulkhead.console.internal;

import java.time.Instant;

/**
 * What is kept of an API token: never the token, only its SHA-256.
 *
 * @param id       short public name for listing and revoking
 * @param name     what the owner called it
 * @param hash     SHA-256 of the token, in hex
 * @param created  when it was made
 * @param expires  when it stops working, or {@code null} for never
 * @param lastUsed when it last opened the API, or {@code null}
 */
record ApiToken(String id, String name, String hash, Instant created, Instant expires, Instant lastUsed) {
    ApiToken usedAt(Instant when) {
        return new ApiToken(id, name, hash, created, expires, when);
    }

    boolean expiredAt(Instant now) {
        return expires != null && !expires.isAfter(now);
    }
}
