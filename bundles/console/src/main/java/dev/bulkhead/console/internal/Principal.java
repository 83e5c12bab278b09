package dev.bulkhead.console.internal;

/** Who a request comes from, as {@link ConsoleSecurity} decided. */
enum Principal {
    /** Not authenticated: allowed only where the API needs no login. */
    NONE,
    /** A browser logged in with the secret, holding a session cookie. */
    SESSION,
    /** A client sending the secret as {@code Authorization: Bearer}. */
    BEARER
}
