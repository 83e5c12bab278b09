package dev.bulkhead.console.internal;

/**
 * One API request as the handlers see it, without the servlet API.
 *
 * @param method    the HTTP method
 * @param path      the decoded path below {@code /api}, starting with {@code /} (or empty)
 * @param body      the request body, empty when there is none
 * @param principal who is asking, as the security filter decided
 * @param session   the console session cookie's value, or {@code null}
 * @param client    the address the request came from
 */
record ApiRequest(String method, String path, byte[] body, Principal principal, String session, String client) {
}
