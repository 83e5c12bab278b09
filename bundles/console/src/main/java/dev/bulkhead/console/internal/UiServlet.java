package dev.bulkhead.console.internal;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.URL;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.regex.Pattern;

import org.osgi.framework.Bundle;
import org.osgi.framework.BundleContext;
import org.osgi.service.component.annotations.Activate;
import org.osgi.service.component.annotations.Component;
import org.osgi.service.servlet.whiteboard.propertytypes.HttpWhiteboardServletName;
import org.osgi.service.servlet.whiteboard.propertytypes.HttpWhiteboardServletPattern;

import jakarta.servlet.Servlet;
import jakarta.servlet.ServletException;
import jakarta.servlet.http.HttpServlet;
import jakarta.servlet.http.HttpServletRequest;
import jakarta.servlet.http.HttpServletResponse;

/** The console's page, scripts and styles, from the bundle's {@code ui/} folder: nothing comes from elsewhere. */
@Component(service = Servlet.class)
@HttpWhiteboardServletPattern("/")
@HttpWhiteboardServletName("bulkhead-console-ui")
public final class UiServlet extends HttpServlet {
    private static final long serialVersionUID = 1L;
    private static final Set<String> READ_METHODS = new LinkedHashSet<>(List.of("GET", "HEAD", "OPTIONS"));
    private static final Pattern FILE = Pattern.compile("(/[a-zA-Z0-9_-]+)+\\.[a-z]+");
    private static final Map<String, String> TYPES = Map.of("html", "text/html;charset=utf-8", "js",
            "text/javascript;charset=utf-8", "css", "text/css;charset=utf-8", "svg", "image/svg+xml");

    private final transient Bundle bundle;

    @Activate
    public UiServlet(BundleContext context) {
        this.bundle = context.getBundle();
    }

    @Override
    protected void doGet(HttpServletRequest req, HttpServletResponse res) throws IOException {
        String path = ConsoleFilter.path(req);
        if (path.equals("/")) {
            path = "/index.html";
        }
        String type = FILE.matcher(path).matches() ? TYPES.get(path.substring(path.lastIndexOf('.') + 1)) : null;
        URL entry = type == null ? null : bundle.getEntry("ui" + path);
        if (entry == null) {
            res.sendError(404);
            return;
        }
        res.setContentType(type);
        try (InputStream in = entry.openStream(); OutputStream out = res.getOutputStream()) {
            in.transferTo(out);
        }
    }

    /**
     * The page is only read. Any other method is a 405, over HTTP/1.0 too (where the servlet API would
     * answer 400), and TRACE in particular, which would echo the request, cookies and all.
     */
    @Override
    protected void service(HttpServletRequest req, HttpServletResponse res) throws ServletException, IOException {
        if (READ_METHODS.contains(req.getMethod())) {
            super.service(req, res);
            return;
        }
        res.setHeader("Allow", String.join(", ", READ_METHODS));
        res.sendError(405);
    }
}
