package dev.bulkhead.console.internal;

import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

import com.fasterxml.jackson.databind.ObjectMapper;

import dev.bulkhead.api.InvalidValueException;
import dev.bulkhead.api.PowerState;
import dev.bulkhead.api.PropertyValue;
import dev.bulkhead.api.Qube;
import dev.bulkhead.api.QubeAdmin;
import dev.bulkhead.api.QubeStats;
import dev.bulkhead.api.RoleInfo;

/**
 * The JSON Admin API below {@code /api}: resources for qubes, their properties, lifecycle, features,
 * tags, firewall rules and stats, the global properties and the roles. Every operation is one call
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

    AdminApi(QubeAdmin admin, ConsoleSecurity security, ObjectMapper json, byte[] openApi) {
        this.admin = admin;
        this.security = security;
        this.json = json;
        this.openApi = openApi.clone();
        this.qubes = new QubeResources(admin, json);
    }

    ApiResponse handle(ApiRequest r) {
        try {
            return route(r);
        } catch (RuntimeException e) {
            ApiResponse answer = ApiResponse.problem(Problem.from(e));
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
                return Routes.one(p, 1, m, "GET", this::allStats);
            case "global":
                return global(r, p, m);
            case "roles":
                return Routes.one(p, 1, m, "GET", this::roles);
            default:
                throw ApiException.notFound("no API resource /api" + r.path()
                        + "; see /api/openapi.json for what there is");
        }
    }

    // ---- session --------------------------------------------------------------------------------

    private ApiResponse login(ApiRequest r) {
        String secret = JsonBody.parse(json, r.body(), "a login", true).accept("secret").text("secret");
        Sessions.Session s = security.login(secret, r.client());
        return ApiResponse.json(200, g -> {
            g.writeStartObject();
            g.writeBooleanField("authenticated", true);
            g.writeStringField("csrf_token", s.csrfToken());
            g.writeEndObject();
        }).withHeader("Set-Cookie", ConsoleSecurity.COOKIE + "=" + s.id() + "; " + ConsoleSecurity.COOKIE_ATTRIBUTES);
    }

    private ApiResponse logout(ApiRequest r) {
        security.logout(r.session());
        return ApiResponse.noContent().withHeader("Set-Cookie",
                ConsoleSecurity.COOKIE + "=; Max-Age=0; " + ConsoleSecurity.COOKIE_ATTRIBUTES);
    }

    private ApiResponse session(ApiRequest r) {
        Optional<Sessions.Session> s = r.principal() == Principal.SESSION ? security.session(r.session()) : Optional.empty();
        return ApiResponse.json(200, g -> {
            g.writeStartObject();
            g.writeBooleanField("authenticated", r.principal() != Principal.NONE);
            if (s.isPresent()) {
                g.writeStringField("csrf_token", s.get().csrfToken());
            }
            g.writeEndObject();
        });
    }

    private ApiResponse index() {
        String backend = admin.backendName();
        List<String> problems = admin.stateProblems();
        return ApiResponse.json(200, g -> {
            g.writeStartObject();
            g.writeStringField("backend", backend);
            g.writeArrayFieldStart("state_problems");
            for (String problem : problems) {
                g.writeString(problem);
            }
            g.writeEndArray();
            g.writeStringField("openapi", "/api/openapi.json");
            g.writeStringField("qubes", "/api/qubes");
            g.writeStringField("events", "/api/events");
            g.writeEndObject();
        });
    }

    // ---- stats, global, roles -----------------------------------------------------------------------

    private ApiResponse allStats() {
        Map<String, QubeStats> all = new LinkedHashMap<>();
        for (Qube q : admin.list()) {
            if (q.qid() != 0 && (q.state() == PowerState.Running || q.state() == PowerState.Paused)) {
                admin.stats(q.name()).ifPresent(s -> all.put(q.name(), s));
            }
        }
        return ApiResponse.json(200, g -> {
            g.writeStartObject();
            g.writeStringField("time", Instant.now().toString());
            g.writeObjectFieldStart("qubes");
            for (Map.Entry<String, QubeStats> e : all.entrySet()) {
                g.writeFieldName(e.getKey());
                Json.stats(g, e.getValue());
            }
            g.writeEndObject();
            g.writeEndObject();
        });
    }

    private ApiResponse global(ApiRequest r, List<String> p, String m) {
        if (p.size() == 1) {
            return Routes.only(m, "GET", () -> {
                Map<String, PropertyValue> global = admin.globalProperties();
                return ApiResponse.json(200, g -> Json.properties(g, global));
            });
        }
        if (p.size() == 2) {
            String property = p.get(1);
            return switch (m) {
                case "GET" -> globalProperty(property);
                case "PUT" -> {
                    admin.setGlobalProperty(property, JsonBody.parse(json, r.body(), "a global property value", true)
                            .accept("value").text("value"));
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
        return ApiResponse.json(200, g -> Json.property(g, v));
    }

    private ApiResponse roles() {
        List<RoleInfo> roles = admin.roles();
        return ApiResponse.json(200, g -> {
            g.writeStartObject();
            g.writeArrayFieldStart("roles");
            for (RoleInfo role : roles) {
                Json.role(g, role);
            }
            g.writeEndArray();
            g.writeEndObject();
        });
    }
}
