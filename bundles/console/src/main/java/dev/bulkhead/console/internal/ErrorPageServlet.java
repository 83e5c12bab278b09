package dev.bulkhead.console.internal;

import java.io.IOException;
import java.io.OutputStream;

import org.osgi.service.component.annotations.Component;
import org.osgi.service.servlet.whiteboard.propertytypes.HttpWhiteboardServletErrorPage;
import org.osgi.service.servlet.whiteboard.propertytypes.HttpWhiteboardServletName;

import jakarta.servlet.RequestDispatcher;
import jakarta.servlet.Servlet;
import jakarta.servlet.http.HttpServlet;
import jakarta.servlet.http.HttpServletRequest;
import jakarta.servlet.http.HttpServletResponse;

/**
 * The error page of the servlet context: what an error sent by the container or a servlet (no servlet
 * for a path, a method a servlet does not take) answers instead of the container's HTML page.
 */
@Component(service = Servlet.class)
@HttpWhiteboardServletErrorPage(errorPage = { "4xx", "5xx" })
@HttpWhiteboardServletName("bulkhead-console-errors")
public final class ErrorPageServlet extends HttpServlet {
    private static final long serialVersionUID = 1L;
    private static final System.Logger LOG = System.getLogger(ErrorPageServlet.class.getName());

    @Override
    protected void service(HttpServletRequest req, HttpServletResponse res) throws IOException {
        Object code = req.getAttribute(RequestDispatcher.ERROR_STATUS_CODE);
        int status = code instanceof Integer i ? i : res.getStatus();
        Problem p = ErrorProblems.forStatus(status);
        if (p.status() >= 500) {
            // a servlet failed: the client learns nothing of why, the log does
            Object failure = req.getAttribute(RequestDispatcher.ERROR_EXCEPTION);
            LOG.log(System.Logger.Level.ERROR, "answered " + req.getMethod() + " " + req.getAttribute(RequestDispatcher.ERROR_REQUEST_URI)
                    + " with " + p.status() + (failure == null ? " (no exception)" : ""), failure instanceof Throwable t ? t : null);
        }
        SecurityHeaders.applyToError(res::setHeader);
        res.setStatus(p.status());
        res.setContentType(Problem.MEDIA_TYPE);
        res.setCharacterEncoding("UTF-8");
        byte[] body = ErrorProblems.body(p);
        res.setContentLength(body.length);
        if (!"HEAD".equalsIgnoreCase(req.getMethod())) {
            try (OutputStream out = res.getOutputStream()) {
                out.write(body);
            }
        }
    }
}
