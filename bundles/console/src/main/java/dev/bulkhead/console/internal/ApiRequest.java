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
 * @param query     the raw query string, empty when there is none
 */
record ApiRequest(String method, String path, byte[] body, Principal principal, String session, String client, String query) {
    ApiRequest {
        query = query == null ? "" : query;
    }

    ApiRequest(String method, String path, byte[] body, Principal principal, String session, String client) {
        this(method, path, body, principal, session, client, "");
    }

    /**
     * The value of query parameter {@code name}, or null when it is not given. A value is taken as it
     * is (no percent-decoding): the parameters the API has are numbers and names.
     */
    String parameter(String name) {
        for (String pair : query.split("&")) {
            int eq = pair.indexOf('=');
            if (eq > 0 && pair.substring(0, eq).equals(name)) {
                return pair.substring(eq + 1);
            }
        }
        return null;
    }
}
