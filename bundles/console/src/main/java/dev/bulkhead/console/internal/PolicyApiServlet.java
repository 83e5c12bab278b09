package dev.bulkhead.console.internal;

import java.io.IOException;
import java.util.Locale;

import org.osgi.service.component.annotations.Component;
import org.osgi.service.component.annotations.Reference;
import org.osgi.service.component.annotations.ReferenceCardinality;
import org.osgi.service.component.annotations.ReferencePolicy;
import org.osgi.service.servlet.whiteboard.propertytypes.HttpWhiteboardServletName;
import org.osgi.service.servlet.whiteboard.propertytypes.HttpWhiteboardServletPattern;

import com.fasterxml.jackson.databind.ObjectMapper;

import dev.bulkhead.api.json.JsonMappers;
import dev.bulkhead.api.policy.CallLog;
import dev.bulkhead.api.policy.PolicyFiles;
import dev.bulkhead.api.policy.PolicyPrompts;
import dev.bulkhead.api.policy.QrexecPolicy;
import jakarta.servlet.Servlet;
import jakarta.servlet.http.HttpServlet;
import jakarta.servlet.http.HttpServletRequest;
import jakarta.servlet.http.HttpServletResponse;

/**
 * Serves {@link PolicyApi} below {@code /api/policy}; that path takes precedence over the Admin API's {@code /api/*},
 * and the security filter in front checks the session and, for a change, its CSRF token as for every API call. The
 * policy's services are optional: while one is missing its resources answer 503.
 */
@Component(service = Servlet.class)
@HttpWhiteboardServletPattern("/api/policy/*")
@HttpWhiteboardServletName("bulkhead-policy-api")
public final class PolicyApiServlet extends HttpServlet {
    private static final long serialVersionUID = 1L;
    /** A policy file at the editor's size limit, as a JSON string, with room for escapes. */
    static final int MAX_BODY_BYTES = 4 << 20;

    private final transient ObjectMapper json = JsonMappers.create();
    @Reference(cardinality = ReferenceCardinality.OPTIONAL, policy = ReferencePolicy.DYNAMIC)
    private transient volatile PolicyPrompts prompts;
    @Reference(cardinality = ReferenceCardinality.OPTIONAL, policy = ReferencePolicy.DYNAMIC)
    private transient volatile CallLog calls;
    @Reference(cardinality = ReferenceCardinality.OPTIONAL, policy = ReferencePolicy.DYNAMIC)
    private transient volatile PolicyFiles files;
    @Reference(cardinality = ReferenceCardinality.OPTIONAL, policy = ReferencePolicy.DYNAMIC)
    private transient volatile QrexecPolicy policy;
    private final transient PolicyApi api = new PolicyApi(json, () -> prompts, () -> calls, () -> files, () -> policy);

    @Override
    protected void service(HttpServletRequest req, HttpServletResponse res) throws IOException {
        ApiResponse answer;
        byte[] body = ApiServlet.readBody(req, MAX_BODY_BYTES);
        String type = req.getContentType() == null ? "" : req.getContentType().split(";", 2)[0].strip().toLowerCase(Locale.ROOT);
        if (body == null) {
            answer = ApiResponse.problem(Problem.of(413, "too-large", "Request too large", "the body is larger than " + MAX_BODY_BYTES + " bytes"));
        } else if (body.length > 0 && !type.equals("application/json")) {
            answer = ApiResponse.problem(Problem.of(415, "unsupported-media-type", "Unsupported media type",
                    "the body must be application/json, found '" + TemplateInstalls.Bounded.text(req.getContentType()) + "'"));
        } else {
            Object principal = req.getAttribute(ConsoleFilter.PRINCIPAL);
            answer = api.handle(new ApiRequest(req.getMethod().toUpperCase(Locale.ROOT), req.getPathInfo() == null ? "" : req.getPathInfo(),
                    body, principal instanceof Principal p ? p : Principal.NONE, ConsoleFilter.cookie(req, ConsoleSecurity.COOKIE),
                    req.getRemoteAddr(), req.getQueryString()));
        }
        ApiServlet.write(res, json, answer);
    }
}
