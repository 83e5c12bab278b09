package dev.bulkhead.console.internal;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.URL;
import java.nio.charset.StandardCharsets;
import java.util.Map;

import org.osgi.framework.BundleContext;
import org.osgi.service.component.annotations.Activate;
import org.osgi.service.component.annotations.Component;
import org.osgi.service.component.annotations.Reference;
import org.osgi.service.component.annotations.ReferenceCardinality;
import org.osgi.service.component.annotations.ReferencePolicy;
import org.osgi.service.servlet.whiteboard.propertytypes.HttpWhiteboardServletName;
import org.osgi.service.servlet.whiteboard.propertytypes.HttpWhiteboardServletPattern;

import com.fasterxml.jackson.core.JsonGenerator;
import com.fasterxml.jackson.databind.ObjectMapper;

import dev.bulkhead.api.QubeAdmin;
import dev.bulkhead.api.gui.GuiService;
import dev.bulkhead.api.json.JsonMappers;
import jakarta.servlet.Servlet;
import jakarta.servlet.http.HttpServlet;
import jakarta.servlet.http.HttpServletRequest;
import jakarta.servlet.http.HttpServletResponse;

/** Serves the Admin API ({@link AdminApi}) below {@code /api}. */
@Component(service = Servlet.class)
@HttpWhiteboardServletPattern("/api/*")
@HttpWhiteboardServletName("bulkhead-admin-api")
public final class ApiServlet extends HttpServlet {
    private static final long serialVersionUID = 1L;
    /** Largest request body accepted; the biggest real one, a long firewall rule list, is far smaller. */
    static final int MAX_BODY_BYTES = 1 << 20;

    private final transient AdminApi api;
    private final transient ObjectMapper json = JsonMappers.create();
    /** dom0's GUI daemon, there while the gui feature is installed. */
    @Reference(cardinality = ReferenceCardinality.OPTIONAL, policy = ReferencePolicy.DYNAMIC)
    private transient volatile GuiService gui;
    /** The template installs, there while the template store is. */
    @Reference(cardinality = ReferenceCardinality.OPTIONAL, policy = ReferencePolicy.DYNAMIC)
    private transient volatile TemplateInstalls templates;
    /** Replaced when its configuration changes. */
    @Reference(cardinality = ReferenceCardinality.OPTIONAL, policy = ReferencePolicy.DYNAMIC)
    private transient volatile StatsSampler stats;

    @Activate
    public ApiServlet(@Reference QubeAdmin admin, @Reference ConsoleSecurity security, BundleContext context) throws IOException {
        URL openApi = context.getBundle().getEntry("api/openapi.json");
        if (openApi == null) {
            throw new IllegalStateException("the bundle lacks api/openapi.json");
        }
        try (InputStream in = openApi.openStream()) {
            this.api = new AdminApi(admin, security, json, in.readAllBytes(), () -> gui, () -> stats, () -> templates);
        }
    }

    @Override
    protected void service(HttpServletRequest req, HttpServletResponse res) throws IOException {
        Object principal = req.getAttribute(ConsoleFilter.PRINCIPAL);
        ApiResponse answer;
        byte[] body = readBody(req, MAX_BODY_BYTES);
        if (body == null) {
            answer = ApiResponse.problem(Problem.of(413, "too-large", "Request too large",
                    "the body is larger than " + MAX_BODY_BYTES + " bytes"));
        } else if (body.length > 0 && !isJson(req.getContentType())) {
            answer = ApiResponse.problem(Problem.of(415, "unsupported-media-type", "Unsupported media type",
                    "the body must be application/json, found '" + req.getContentType() + "'"));
        } else {
            answer = api.handle(new ApiRequest(req.getMethod().toUpperCase(java.util.Locale.ROOT),
                    req.getPathInfo() == null ? "" : req.getPathInfo(), body,
                    principal instanceof Principal p ? p : Principal.NONE, ConsoleFilter.cookie(req, ConsoleSecurity.COOKIE),
                    req.getRemoteAddr(), req.getQueryString()));
        }
        write(res, json, answer);
    }

    /** The body, or null when it is larger than {@code max} bytes. Shared by the console's API servlets. */
    static byte[] readBody(HttpServletRequest req, int max) throws IOException {
        if (req.getContentLengthLong() > max) {
            return null;
        }
        try (InputStream in = req.getInputStream()) {
            byte[] bytes = in.readNBytes(max + 1);
            return bytes.length > max ? null : bytes;
        }
    }

    private static boolean isJson(String contentType) {
        if (contentType == null) {
            return false;
        }
        String type = contentType.split(";", 2)[0].strip().toLowerCase(java.util.Locale.ROOT);
        return type.equals("application/json") || type.endsWith("+json");
    }

    /** Writes an answer: status, headers and its JSON or text body. Shared by the console's API servlets. */
    static void write(HttpServletResponse res, ObjectMapper json, ApiResponse answer) throws IOException {
        res.setStatus(answer.status());
        for (Map.Entry<String, String> h : answer.headers().entrySet()) {
            res.addHeader(h.getKey(), h.getValue());
        }
        if (answer.contentType() == null) {
            return;
        }
        res.setContentType(answer.contentType());
        res.setCharacterEncoding("UTF-8");
        try (OutputStream out = res.getOutputStream()) {
            if (answer.json() != null) {
                try (JsonGenerator g = json.getFactory().createGenerator(out)) {
                    answer.json().write(g);
                }
            } else {
                out.write(answer.text().getBytes(StandardCharsets.UTF_8));
            }
        }
    }
}
