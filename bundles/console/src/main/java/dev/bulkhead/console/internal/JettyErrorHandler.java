package dev.bulkhead.console.internal;

import java.nio.ByteBuffer;

import org.eclipse.jetty.http.HttpFields;
import org.eclipse.jetty.http.HttpHeader;
import org.eclipse.jetty.http.HttpMethod;
import org.eclipse.jetty.server.Request;
import org.eclipse.jetty.server.Response;
import org.eclipse.jetty.server.handler.ErrorHandler;
import org.eclipse.jetty.util.Callback;

/**
 * Jetty's server-wide error handler, which answers what Jetty refuses before any servlet runs: a
 * request it cannot parse (400), a URI or headers too large (414, 431), an unknown HTTP version. It
 * answers with the console's security headers and problem body instead of Jetty's HTML page.
 */
final class JettyErrorHandler extends ErrorHandler {
    @Override
    public boolean handle(Request request, Response response, Callback callback) {
        Object code = request.getAttribute(ERROR_STATUS);
        int status = code instanceof Integer i ? i : response.getStatus();
        Problem p = ErrorProblems.forStatus(status);
        response.setStatus(p.status());
        HttpFields.Mutable headers = response.getHeaders();
        SecurityHeaders.applyToError(headers::put);
        headers.put(HttpHeader.CONTENT_TYPE, Problem.MEDIA_TYPE);
        byte[] body = ErrorProblems.body(p);
        headers.put(HttpHeader.CONTENT_LENGTH, Integer.toString(body.length));
        if (HttpMethod.HEAD.is(request.getMethod())) {
            callback.succeeded();
        } else {
            response.write(true, ByteBuffer.wrap(body), callback);
        }
        return true;
    }
}
