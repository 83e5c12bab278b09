package dev.bulkhead.console.internal;

import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.function.Supplier;

import com.fasterxml.jackson.databind.ObjectMapper;

import dev.bulkhead.api.InvalidValueException;
import dev.bulkhead.api.PowerState;
import dev.bulkhead.api.PropertyValue;
import dev.bulkhead.api.Qube;
import dev.bulkhead.api.QubeAdmin;
import dev.bulkhead.api.gui.GuiService;

/**
 * The JSON Admin API below {@code /api}: resources for qubes, their properties, lifecycle, features,
 * tags, firewall rules, stats, windows and volumes, the global properties, the property declarations and the roles. Every operation is one call
 * of {@link QubeAdmin}; what it refuses comes back as a problem with the matching status. This
 * class routes and answers the session, index, global and role resources; {@link QubeResources}
 * answers below {@code /api/qubes}.
 */
final class AdminApi {
    private final QubeAdmin admin;
    private final ConsoleSecurity security;
    private final ObjectMapper json;
    private final byte[] openApi;
    private final QubeResources qubes;
    private final StatsHistoryResource history;
    private final TemplateResources templates;

    /** @param gui the GUI daemon now, or null while the gui feature is not installed */
    AdminApi(QubeAdmin admin, ConsoleSecurity security, ObjectMapper json, byte[] openApi, Supplier<GuiService> gui) {
        this(admin, security, json, openApi, gui, () -> null, () -> null);
    }

    /**
     * @param stats     the stats sampler now, or null while it does not run
     * @param templates the template installs now, or null while the template store does not run
     */
    AdminApi(QubeAdmin admin, ConsoleSecurity security, ObjectMapper json, byte[] openApi, Supplier<GuiService> gui,
            Supplier<StatsSampler> stats, Supplier<TemplateInstalls> templates) {
        this.admin = admin;
        this.security = security;
        this.json = json;
        this.openApi = openApi.clone();
        this.qubes = new QubeResources(admin, json, gui);
        this.history = new StatsHistoryResource(admin, stats);
        this.templates = new TemplateResources(admin, json, templates);
    }

    ApiResponse handle(ApiRequest r) {
        try {
            return route(r);
        } catch (RuntimeException e) {
            ApiResponse answer = ApiResponse.problem(Problem.answering(r.method(), "/api" + r.path(), e));
            if (e instanceof ApiException api) {
                for (Map.Entry<String, String> h : api.headers().entrySet()) {
                    answer = answer.withHeader(h.getKey(), h.getValue());
                }
            }
            return answer;
        }
    }

    private ApiResponse route(ApiRequest r) {
        List<String> p = Routes.segments(r.path());
        String m = r.method();
        if (p.isEmpty()) {
            return Routes.only(m, "GET", () -> index());
        }
        switch (p.get(0)) {
            case "openapi.json":
                return Routes.one(p, 1, m, "GET", () -> ApiResponse.text(200, "application/json", new String(openApi, StandardCharsets.UTF_8)));
            case "login":
                return Routes.one(p, 1, m, "POST", () -> login(r));
            case "logout":
                return Routes.one(p, 1, m, "POST", () -> logout(r));
            case "session":
                return Routes.one(p, 1, m, "GET", () -> session(r));
            case "qubes":
                return qubes.handle(r, p, m);
            case "stats":
                if (p.size() == 2 && p.get(1).equals("history")) {
                    return Routes.only(m, "GET", () -> history.get(r));
                }
                return Routes.one(p, 1, m, "GET", this::allStats);
            case "templates":
                return templates.handle(r, p, m);
            case "global":
                return global(r, p, m);
            case "roles":
                return Routes.one(p, 1, m, "GET", this::roles);
            case "properties":
                return Routes.one(p, 1, m, "GET", () -> ApiResponse.json(200, Json.declarations()));
            default:
                throw ApiException.notFound("no API resource /api" + r.path()
                        + "; see /api/openapi.json for what there is");
        }
    }

    // ---- session --------------------------------------------------------------------------------

    private ApiResponse login(ApiRequest r) {
        String secret = JsonBody.parse(json, r.body(), "a login", true).read(Bodies.Login.class).secret();
        Sessions.Session s = security.login(secret, r.client());
        return ApiResponse.json(200, new Json.SessionForm(true, s.csrfToken())).withHeader("Set-Cookie", ConsoleSecurity.COOKIE + "=" + s.id() + "; " + ConsoleSecurity.COOKIE_ATTRIBUTES);
    }

    private ApiResponse logout(ApiRequest r) {
        security.logout(r.session());
        return ApiResponse.noContent().withHeader("Set-Cookie",
                ConsoleSecurity.COOKIE + "=; Max-Age=0; " + ConsoleSecurity.COOKIE_ATTRIBUTES);
    }

    private ApiResponse session(ApiRequest r) {
        Optional<Sessions.Session> s = r.principal() == Principal.SESSION ? security.session(r.session()) : Optional.empty();
        return ApiResponse.json(200, new Json.SessionForm(r.principal() != Principal.NONE, s.map(Sessions.Session::csrfToken).orElse(null)));
    }

    private ApiResponse index() {
        return ApiResponse.json(200,
                new Json.IndexForm(admin.backendName(), admin.stateProblems(), "/api/openapi.json", "/api/qubes", "/api/events"));
    }

    // ---- stats, global, roles -----------------------------------------------------------------------

    private ApiResponse allStats() {
        Map<String, Json.StatsForm> all = new LinkedHashMap<>();
        for (Qube q : admin.list()) {
            if (q.qid() != 0 && (q.state() == PowerState.Running || q.state() == PowerState.Paused)) {
                admin.stats(q.name()).ifPresent(s -> all.put(q.name(), Json.stats(s)));
            }
        }
        return ApiResponse.json(200, new Json.AllStats(Instant.now().toString(), all));
    }

    private ApiResponse global(ApiRequest r, List<String> p, String m) {
        if (p.size() == 1) {
            return Routes.only(m, "GET", () -> {
                Map<String, PropertyValue> global = admin.globalProperties();
                return ApiResponse.json(200, Json.properties(global));
            });
        }
        if (p.size() == 2) {
            String property = p.get(1);
            return switch (m) {
                case "GET" -> globalProperty(property);
                case "PUT" -> {
                    admin.setGlobalProperty(property, JsonBody.parse(json, r.body(), "a global property value", true)
                            .read(Bodies.Value.class).value());
                    yield globalProperty(property);
                }
                default -> Routes.notAllowed(m, "GET, PUT");
            };
        }
        throw ApiException.notFound("no API resource /api" + r.path());
    }

    private ApiResponse globalProperty(String property) {
        PropertyValue v = admin.globalProperties().get(property);
        if (v == null) {
            throw new InvalidValueException("global property", property, "one of " + String.join(", ", admin.globalProperties().keySet()));
        }
        return ApiResponse.json(200, Json.property(v));
    }

    private ApiResponse roles() {
        return ApiResponse.json(200, Json.roles(admin.roles()));
    }
}
