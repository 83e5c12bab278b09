package dev.bulkhead.console.internal;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.util.Locale;
import java.util.Map;
import java.util.regex.Pattern;

import org.osgi.service.component.annotations.Activate;
import org.osgi.service.component.annotations.Component;
import org.osgi.service.component.annotations.Reference;
import org.osgi.service.servlet.whiteboard.propertytypes.HttpWhiteboardServletName;
import org.osgi.service.servlet.whiteboard.propertytypes.HttpWhiteboardServletPattern;

import com.fasterxml.jackson.core.JsonGenerator;
import com.fasterxml.jackson.databind.ObjectMapper;

import dev.bulkhead.api.json.JsonMappers;
import jakarta.servlet.Servlet;
import jakarta.servlet.http.HttpServlet;
import jakarta.servlet.http.HttpServletRequest;
import jakarta.servlet.http.HttpServletResponse;

/**
 * {@code POST /api/templates/uploads}: a template package as the body ({@code application/octet-stream}),
 * streamed to disk, never held in memory, and installed as a job ({@link TemplateInstalls}). The
 * security filter in front of it checks the session and its CSRF token as for any change. Its exact
 * path takes precedence over the Admin API's {@code /api/*}.
 */
@Component(service = Servlet.class)
@HttpWhiteboardServletPattern(TemplateUploadServlet.PATH)
@HttpWhiteboardServletName("bulkhead-template-upload")
public final class TemplateUploadServlet extends HttpServlet {
    private static final long serialVersionUID = 1L;
    static final String PATH = "/api/templates/uploads";
    /** The name the upload is shown under, from {@code ?file=}: a plain file name. */
    private static final Pattern FILE = Pattern.compile("[a-zA-Z0-9][a-zA-Z0-9_.+~-]{0,100}");

    private final transient TemplateInstalls installs;
    private final transient ObjectMapper json = JsonMappers.create();

    @Activate
    public TemplateUploadServlet(@Reference TemplateInstalls installs) {
        this.installs = installs;
    }

    @Override
    protected void service(HttpServletRequest req, HttpServletResponse res) throws IOException {
        ApiResponse answer;
        try {
            answer = upload(req);
        } catch (RuntimeException e) {
            answer = ApiResponse.problem(Problem.answering(req.getMethod(), req.getRequestURI(), e));
        }
        write(res, answer);
    }

    private ApiResponse upload(HttpServletRequest req) throws IOException {
        if (!req.getMethod().equals("POST")) {
            return Routes.notAllowed(req.getMethod(), "POST");
        }
        String type = req.getContentType() == null ? "" : req.getContentType().split(";", 2)[0].strip().toLowerCase(Locale.ROOT);
        if (!type.equals("application/octet-stream")) {
            throw new ApiException(415, "unsupported-media-type", "Unsupported media type",
                    "the body must be the template package as application/octet-stream, found '" + TemplateInstalls.Bounded.text(req.getContentType()) + "'");
        }
        if (req.getContentLengthLong() > installs.maxUpload()) {
            throw new ApiException(413, "too-large", "Upload too large", "the template package is larger than " + (installs.maxUpload() >> 20)
                    + " MiB (max.upload.mb in etc/" + TemplateInstalls.PID + ".cfg)");
        }
        String file = parameter(req.getQueryString(), "file");
        if (file == null || !FILE.matcher(file).matches()) {
            throw ApiException.invalid("parameter 'file' must be the package's file name (letters, digits, '_.+~-', at most 101), found '"
                    + TemplateInstalls.Bounded.text(file) + "'");
        }
        String allow = parameter(req.getQueryString(), "allow_unknown_key");
        if (allow != null && !allow.equals("true") && !allow.equals("false")) {
            throw ApiException.invalid("parameter 'allow_unknown_key' must be true or false, found '" + TemplateInstalls.Bounded.text(allow) + "'");
        }
        try (InputStream in = req.getInputStream()) {
            return TemplateResources.accepted(installs.installUpload(file, in, "true".equals(allow)));
        }
    }

    private static String parameter(String query, String name) {
        return new ApiRequest("POST", "", new byte[0], Principal.NONE, null, "", query).parameter(name);
    }

    private void write(HttpServletResponse res, ApiResponse answer) throws IOException {
        res.setStatus(answer.status());
        for (Map.Entry<String, String> h : answer.headers().entrySet()) {
            res.addHeader(h.getKey(), h.getValue());
        }
        res.setContentType(answer.contentType());
        res.setCharacterEncoding("UTF-8");
        try (OutputStream out = res.getOutputStream(); JsonGenerator g = json.getFactory().createGenerator(out)) {
            answer.json().write(g);
        }
    }
}
