package dev.bulkhead.console.internal;

import java.io.IOException;

import org.osgi.service.component.annotations.Activate;
import org.osgi.service.component.annotations.Component;
import org.osgi.service.component.annotations.Reference;
import org.osgi.service.servlet.whiteboard.propertytypes.HttpWhiteboardFilterAsyncSupported;
import org.osgi.service.servlet.whiteboard.propertytypes.HttpWhiteboardFilterName;
import org.osgi.service.servlet.whiteboard.propertytypes.HttpWhiteboardFilterPattern;

import com.fasterxml.jackson.core.JsonGenerator;
import com.fasterxml.jackson.databind.ObjectMapper;

import jakarta.servlet.Filter;
import jakarta.servlet.FilterChain;
import jakarta.servlet.ServletException;
import jakarta.servlet.http.Cookie;
import jakarta.servlet.http.HttpFilter;
import jakarta.servlet.http.HttpServletRequest;
import jakarta.servlet.http.HttpServletResponse;

import dev.bulkhead.api.json.JsonMappers;

/**
 * In front of everything the HTTP service serves: sets the security headers on every answer, and
 * lets a request through only when {@link ConsoleSecurity} allows it.
 */
@Component(service = Filter.class)
@HttpWhiteboardFilterPattern("/*")
@HttpWhiteboardFilterAsyncSupported
@HttpWhiteboardFilterName("bulkhead-console-security")
public final class ConsoleFilter extends HttpFilter {
    private static final long serialVersionUID = 1L;
    /** Request attribute carrying the {@link Principal} for the servlets. */
    static final String PRINCIPAL = "dev.bulkhead.console.principal";

    private final transient ConsoleSecurity security;
    private final transient ObjectMapper json = JsonMappers.create();

    @Activate
    public ConsoleFilter(@Reference ConsoleSecurity security) {
        this.security = security;
    }

    @Override
    protected void doFilter(HttpServletRequest req, HttpServletResponse res, FilterChain chain) throws IOException, ServletException {
        String path = path(req);
        SecurityHeaders.apply(path, res::setHeader);

        ConsoleSecurity.Verdict verdict = security.check(new RequestFacts(req.getMethod(), path, req.getHeader("Host"),
                req.getHeader("Origin"), req.getLocalAddr(), req.getLocalPort(), cookie(req, ConsoleSecurity.COOKIE),
                req.getHeader("Authorization"), req.getHeader(ConsoleSecurity.CSRF_HEADER)));
        if (!verdict.allowed()) {
            if (verdict.refusal().status() == 401) {
                res.setHeader("WWW-Authenticate", "Bearer realm=\"bulkhead\"");
            }
            writeProblem(res, verdict.refusal());
            return;
        }
        req.setAttribute(PRINCIPAL, verdict.principal());
        chain.doFilter(req, res);
    }

    /** The decoded path the container routes by, so that an encoded path cannot slip past the checks. */
    static String path(HttpServletRequest req) {
        String servletPath = req.getServletPath() == null ? "" : req.getServletPath();
        String info = req.getPathInfo() == null ? "" : req.getPathInfo();
        String path = servletPath + info;
        return path.isEmpty() ? "/" : path;
    }

    static String cookie(HttpServletRequest req, String name) {
        Cookie[] cookies = req.getCookies();
        if (cookies == null) {
            return null;
        }
        for (Cookie c : cookies) {
            if (name.equals(c.getName())) {
                return c.getValue();
            }
        }
        return null;
    }

    private void writeProblem(HttpServletResponse res, Problem p) throws IOException {
        res.setStatus(p.status());
        res.setContentType(Problem.MEDIA_TYPE);
        res.setCharacterEncoding("UTF-8");
        try (JsonGenerator g = json.getFactory().createGenerator(res.getOutputStream())) {
            g.writeObject(Json.problem(p));
        }
    }
}
