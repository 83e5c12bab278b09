package dev.bulkhead.console.internal;

/**
 * What the security checks look at in a request.
 *
 * @param method        the HTTP method
 * @param path          the decoded path the servlet container routes by
 * @param host          the {@code Host} header, or {@code null}
 * @param origin        the {@code Origin} header, or {@code null}
 * @param localAddress  the address the connection arrived on
 * @param localPort     the port the connection arrived on
 * @param sessionCookie the console session cookie's value, or {@code null}
 * @param authorization the {@code Authorization} header, or {@code null}
 * @param csrfToken     the {@code X-CSRF-Token} header, or {@code null}
 */
record RequestFacts(String method, String path, String host, String origin, String localAddress, int localPort,
        String sessionCookie, String authorization, String csrfToken) {
}
