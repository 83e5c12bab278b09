package dev.bulkhead.console.internal;

import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

import com.fasterxml.jackson.databind.ObjectMapper;

import dev.bulkhead.api.ExecResult;
import dev.bulkhead.api.InvalidValueException;
import dev.bulkhead.api.Label;
import dev.bulkhead.api.PowerState;
import dev.bulkhead.api.PropertyValue;
import dev.bulkhead.api.Qube;
import dev.bulkhead.api.QubeAdmin;
import dev.bulkhead.api.QubeClass;
import dev.bulkhead.api.QubeProperty;
import dev.bulkhead.api.QubeSpec;
import dev.bulkhead.api.QubeStats;
import dev.bulkhead.api.RoleInfo;
import dev.bulkhead.api.firewall.FirewallRule;

/**
 * The JSON Admin API below {@code /api}: resources for qubes, their properties, lifecycle, features,
 * tags, firewall rules and stats, the global properties and the roles. Every operation is one call
 * of {@link QubeAdmin}; what it refuses comes back as a problem with the matching status.
 */
final class AdminApi {
    private static final List<String> ACTIONS = List.of("start", "shutdown", "kill", "pause", "unpause", "restart", "clone");
    private static final int MAX_TIMEOUT_SECONDS = 3600;

    private final QubeAdmin admin;
    private final ConsoleSecurity security;
    private final ObjectMapper json;
    private final byte[] openApi;

    AdminApi(QubeAdmin admin, ConsoleSecurity security, ObjectMapper json, byte[] openApi) {
        this.admin = admin;
        this.security = security;
        this.json = json;
        this.openApi = openApi.clone();
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
        List<String> p = segments(r.path());
        String m = r.method();
        if (p.isEmpty()) {
            return only(m, "GET", () -> index());
        }
        switch (p.get(0)) {
            case "openapi.json":
                return one(p, 1, m, "GET", () -> ApiResponse.text(200, "application/json", new String(openApi, StandardCharsets.UTF_8)));
            case "login":
                return one(p, 1, m, "POST", () -> login(r));
            case "logout":
                return one(p, 1, m, "POST", () -> logout(r));
            case "session":
                return one(p, 1, m, "GET", () -> session(r));
            case "qubes":
                return qubes(r, p, m);
            case "stats":
                return one(p, 1, m, "GET", this::allStats);
            case "global":
                return global(r, p, m);
            case "roles":
                return one(p, 1, m, "GET", this::roles);
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

    // ---- qubes ------------------------------------------------------------------------------------

    private ApiResponse qubes(ApiRequest r, List<String> p, String m) {
        if (p.size() == 1) {
            return switch (m) {
                case "GET" -> list();
                case "POST" -> create(r);
                default -> notAllowed(m, "GET, POST");
            };
        }
        String name = p.get(1);
        if (p.size() == 2) {
            return switch (m) {
                case "GET" -> qube(200, admin.get(name));
                case "DELETE" -> {
                    admin.remove(name);
                    yield ApiResponse.noContent();
                }
                default -> notAllowed(m, "GET, DELETE");
            };
        }
        String sub = p.get(2);
        switch (sub) {
            case "actions":
                if (p.size() == 4) {
                    return only(m, "POST", () -> action(name, p.get(3), r));
                }
                break;
            case "properties":
                return properties(r, name, p, m);
            case "features":
                return features(r, name, p, m);
            case "tags":
                return tags(name, p, m);
            case "firewall":
                return firewall(r, name, p, m);
            case "stats":
                return one(p, 3, m, "GET", () -> stats(name));
            case "log":
                return one(p, 3, m, "GET", () -> ApiResponse.text(200, "text/plain;charset=utf-8", admin.consoleLog(name)));
            case "run":
                return one(p, 3, m, "POST", () -> run(name, r));
            default:
                break;
        }
        throw ApiException.notFound("no API resource /api" + r.path() + "; see /api/openapi.json for what there is");
    }

    private ApiResponse list() {
        List<Qube> all = admin.list();
        return ApiResponse.json(200, g -> {
            g.writeStartObject();
            g.writeArrayFieldStart("qubes");
            for (Qube q : all) {
                Json.qube(g, q);
            }
            g.writeEndArray();
            g.writeEndObject();
        });
    }

    private ApiResponse create(ApiRequest r) {
        JsonBody body = JsonBody.parse(json, r.body(), "a new qube", true).accept("name", "klass", "label", "properties");
        QubeSpec spec = new QubeSpec(body.text("name"), QubeClass.parse(body.optionalText("klass").orElse("AppVM")),
                Label.parse(body.text("label")), body.stringMap("properties"));
        Qube q = admin.create(spec);
        return qube(201, q).withHeader("Location", "/api/qubes/" + q.name());
    }

    private static ApiResponse qube(int status, Qube q) {
        return ApiResponse.json(status, g -> Json.qube(g, q));
    }

    private ApiResponse action(String name, String action, ApiRequest r) {
        JsonBody body = JsonBody.parse(json, r.body(), "the " + action + " action", false);
        switch (action) {
            case "start":
                body.accept();
                admin.start(name);
                return qube(200, admin.get(name));
            case "shutdown": {
                body.accept("force", "wait", "timeout");
                boolean wait = body.bool("wait", false);
                admin.shutdown(name, body.bool("force", false), wait, timeout(body));
                return qube(wait ? 200 : 202, admin.get(name));
            }
            case "kill":
                body.accept();
                admin.kill(name);
                return qube(200, admin.get(name));
            case "pause":
                body.accept();
                admin.pause(name);
                return qube(200, admin.get(name));
            case "unpause":
                body.accept();
                admin.unpause(name);
                return qube(200, admin.get(name));
            case "restart":
                body.accept("timeout");
                admin.restart(name, timeout(body));
                return qube(200, admin.get(name));
            case "clone": {
                Qube copy = admin.clone(name, body.accept("target").text("target"));
                return qube(201, copy).withHeader("Location", "/api/qubes/" + copy.name());
            }
            default:
                throw ApiException.notFound("no action '" + action + "'; accepted: " + String.join(", ", ACTIONS));
        }
    }

    private static Duration timeout(JsonBody body) {
        return body.optionalInt("timeout", 1, MAX_TIMEOUT_SECONDS).map(Duration::ofSeconds).orElse(null);
    }

    private ApiResponse run(String name, ApiRequest r) {
        JsonBody body = JsonBody.parse(json, r.body(), "a command to run", true).accept("command", "stdin", "timeout");
        List<String> command = body.stringList("command");
        if (command.isEmpty()) {
            throw ApiException.invalid("field 'command' must name a program and its arguments; it is empty");
        }
        byte[] stdin = body.optionalText("stdin").orElse("").getBytes(StandardCharsets.UTF_8);
        ExecResult result = admin.run(name, command, stdin, timeout(body));
        return ApiResponse.json(200, g -> {
            g.writeStartObject();
            g.writeNumberField("exit_status", result.exitStatus());
            g.writeStringField("stdout", result.stdoutText());
            g.writeStringField("stderr", result.stderrText());
            g.writeEndObject();
        });
    }

    // ---- properties, features, tags -----------------------------------------------------------------

    private ApiResponse properties(ApiRequest r, String name, List<String> p, String m) {
        if (p.size() == 3) {
            return only(m, "GET", () -> {
                Map<String, PropertyValue> props = admin.get(name).properties();
                return ApiResponse.json(200, g -> Json.properties(g, props));
            });
        }
        if (p.size() != 4) {
            throw ApiException.notFound("no API resource /api" + r.path());
        }
        String property = p.get(3);
        switch (m) {
            case "GET":
                return property(name, property);
            case "PUT":
                admin.setProperty(name, property, JsonBody.parse(json, r.body(), "a property value", true).accept("value").text("value"));
                return property(name, property);
            case "DELETE":
                admin.resetProperty(name, property);
                return property(name, property);
            default:
                return notAllowed(m, "GET, PUT, DELETE");
        }
    }

    private ApiResponse property(String name, String property) {
        PropertyValue v = admin.get(name).properties().get(QubeProperty.parse(property).id());
        return ApiResponse.json(200, g -> Json.property(g, v));
    }

    private ApiResponse features(ApiRequest r, String name, List<String> p, String m) {
        if (p.size() == 3) {
            return only(m, "GET", () -> {
                Map<String, String> features = admin.get(name).features();
                return ApiResponse.json(200, g -> Json.stringMap(g, features));
            });
        }
        if (p.size() != 4) {
            throw ApiException.notFound("no API resource /api" + r.path());
        }
        String key = p.get(3);
        switch (m) {
            case "GET": {
                String value = admin.get(name).features().get(key);
                if (value == null) {
                    throw ApiException.notFound("'" + name + "' has no feature '" + key + "'");
                }
                return ApiResponse.json(200, g -> Json.stringMap(g, Map.of(key, value)));
            }
            case "PUT": {
                String value = JsonBody.parse(json, r.body(), "a feature value", true).accept("value").text("value");
                admin.setFeature(name, key, value);
                return ApiResponse.json(200, g -> Json.stringMap(g, Map.of(key, value)));
            }
            case "DELETE":
                admin.removeFeature(name, key);
                return ApiResponse.noContent();
            default:
                return notAllowed(m, "GET, PUT, DELETE");
        }
    }

    private ApiResponse tags(String name, List<String> p, String m) {
        if (p.size() == 3) {
            return only(m, "GET", () -> tagList(name));
        }
        if (p.size() != 4) {
            throw ApiException.notFound("no such tag resource");
        }
        switch (m) {
            case "PUT":
                admin.addTag(name, p.get(3));
                return tagList(name);
            case "DELETE":
                admin.removeTag(name, p.get(3));
                return tagList(name);
            default:
                return notAllowed(m, "PUT, DELETE");
        }
    }

    private ApiResponse tagList(String name) {
        List<String> tags = List.copyOf(admin.get(name).tags());
        return ApiResponse.json(200, g -> {
            g.writeStartObject();
            g.writeArrayFieldStart("tags");
            for (String t : tags) {
                g.writeString(t);
            }
            g.writeEndArray();
            g.writeEndObject();
        });
    }

    // ---- firewall -----------------------------------------------------------------------------------

    private ApiResponse firewall(ApiRequest r, String name, List<String> p, String m) {
        if (p.size() == 3) {
            switch (m) {
                case "GET":
                    return rules(name);
                case "PUT": {
                    List<String> texts = JsonBody.parse(json, r.body(), "a firewall rule list", true).accept("rules").stringList("rules");
                    List<FirewallRule> rules = new ArrayList<>();
                    Instant now = Instant.now();
                    for (int i = 0; i < texts.size(); i++) {
                        rules.add(parseRule(i, texts.get(i), now));
                    }
                    admin.setFirewallRules(name, rules);
                    return rules(name);
                }
                case "POST": {
                    JsonBody body = JsonBody.parse(json, r.body(), "a firewall rule", true).accept("rule", "before");
                    FirewallRule rule = parseRule(-1, body.text("rule"), Instant.now());
                    Optional<Integer> before = body.optionalInt("before", 0, Integer.MAX_VALUE);
                    admin.editFirewallRules(name, current -> {
                        List<FirewallRule> rules = new ArrayList<>(current);
                        int at = before.orElse(rules.size());
                        if (at > rules.size()) {
                            throw ApiException.invalid("field 'before' is " + at + ", but '" + name + "' has " + rules.size()
                                    + " rules; accepted: 0 to " + rules.size());
                        }
                        rules.add(at, rule);
                        return rules;
                    });
                    return rules(name).withStatus(201);
                }
                default:
                    return notAllowed(m, "GET, PUT, POST");
            }
        }
        if (p.size() == 4) {
            return only(m, "DELETE", () -> {
                admin.editFirewallRules(name, current -> {
                    List<FirewallRule> rules = new ArrayList<>(current);
                    rules.remove(ruleIndex(p.get(3), rules.size(), name));
                    return rules;
                });
                return rules(name);
            });
        }
        throw ApiException.notFound("no API resource /api" + r.path());
    }

    private ApiResponse rules(String name) {
        List<FirewallRule> rules = admin.firewallRules(name);
        return ApiResponse.json(200, g -> Json.rules(g, rules));
    }

    private static FirewallRule parseRule(int index, String text, Instant now) {
        try {
            return FirewallRule.parse(text, now);
        } catch (InvalidValueException e) {
            if (index < 0) {
                throw e;
            }
            throw new InvalidValueException("rule " + index + " " + e.subject(), e.value(),
                    e.getMessage().substring(e.getMessage().indexOf("': ") + 3));
        }
    }

    private static int ruleIndex(String text, int size, String name) {
        if (!text.matches("[0-9]{1,9}") || Integer.parseInt(text) >= size) {
            throw ApiException.notFound("no firewall rule number '" + text + "' on '" + name + "'; "
                    + (size == 0 ? "it has none" : "it has rules 0 to " + (size - 1)));
        }
        return Integer.parseInt(text);
    }

    // ---- stats, global, roles -----------------------------------------------------------------------

    private ApiResponse stats(String name) {
        QubeStats s = admin.stats(name).orElseThrow(() -> new ApiException(409, "not-running", "No stats",
                "'" + name + "' is " + admin.get(name).state() + "; stats exist only while it runs"));
        return ApiResponse.json(200, g -> Json.stats(g, s));
    }

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
            return only(m, "GET", () -> {
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
                default -> notAllowed(m, "GET, PUT");
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

    // ---- routing helpers ---------------------------------------------------------------------------

    private static List<String> segments(String path) {
        return Arrays.stream(path.split("/")).filter(s -> !s.isEmpty()).toList();
    }

    private interface Handler {
        ApiResponse handle();
    }

    private static ApiResponse only(String method, String allowed, Handler h) {
        return method.equals(allowed) ? h.handle() : notAllowed(method, allowed);
    }

    private static ApiResponse one(List<String> p, int size, String method, String allowed, Handler h) {
        if (p.size() != size) {
            throw ApiException.notFound("no API resource /api/" + String.join("/", p));
        }
        return only(method, allowed, h);
    }

    private static ApiResponse notAllowed(String method, String allowed) {
        return ApiResponse.problem(Problem.of(405, "method-not-allowed", "Method not allowed",
                "method " + method + " is not allowed here; allowed: " + allowed)).withHeader("Allow", allowed);
    }
}
