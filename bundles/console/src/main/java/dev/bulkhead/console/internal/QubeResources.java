package dev.bulkhead.console.internal;

import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.function.Supplier;

import com.fasterxml.jackson.databind.ObjectMapper;

import dev.bulkhead.api.ExecResult;
import dev.bulkhead.api.Label;
import dev.bulkhead.api.PropertyValue;
import dev.bulkhead.api.Qube;
import dev.bulkhead.api.QubeAdmin;
import dev.bulkhead.api.QubeClass;
import dev.bulkhead.api.QubeProperty;
import dev.bulkhead.api.QubeSpec;
import dev.bulkhead.api.QubeStats;
import dev.bulkhead.api.gui.GuiService;

/**
 * {@code /api/qubes}: the qubes, their lifecycle actions, properties, features, tags, stats, console
 * log and commands; their firewall is {@link FirewallResource}, their windows {@link WindowsResource}, their
 * volumes {@link VolumesResource}.
 */
final class QubeResources {
    private static final List<String> ACTIONS = List.of("start", "shutdown", "kill", "pause", "unpause", "restart", "clone");

    private final QubeAdmin admin;
    private final ObjectMapper json;
    private final FirewallResource firewall;
    private final WindowsResource windows;
    private final VolumesResource volumes;

    QubeResources(QubeAdmin admin, ObjectMapper json, Supplier<GuiService> gui) {
        this.admin = admin;
        this.json = json;
        this.firewall = new FirewallResource(admin, json);
        this.windows = new WindowsResource(admin, gui);
        this.volumes = new VolumesResource(admin, json);
    }

    ApiResponse handle(ApiRequest r, List<String> p, String m) {
        if (p.size() == 1) {
            return switch (m) {
                case "GET" -> list();
                case "POST" -> create(r);
                default -> Routes.notAllowed(m, "GET, POST");
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
                default -> Routes.notAllowed(m, "GET, DELETE");
            };
        }
        String sub = p.get(2);
        switch (sub) {
            case "actions":
                if (p.size() == 4) {
                    return Routes.only(m, "POST", () -> action(name, p.get(3), r));
                }
                break;
            case "properties":
                return properties(r, name, p, m);
            case "features":
                return features(r, name, p, m);
            case "tags":
                return tags(name, p, m);
            case "firewall":
                return firewall.handle(r, name, p, m);
            case "stats":
                return Routes.one(p, 3, m, "GET", () -> stats(name));
            case "volumes":
                return volumes.handle(r, name, p, m);
            case "windows":
                return Routes.one(p, 3, m, "GET", () -> windows.get(name));
            case "log":
                return Routes.one(p, 3, m, "GET", () -> ApiResponse.text(200, "text/plain;charset=utf-8", admin.consoleLog(name)));
            case "run":
                return Routes.one(p, 3, m, "POST", () -> run(name, r));
            default:
                break;
        }
        throw ApiException.notFound("no API resource /api" + r.path() + "; see /api/openapi.json for what there is");
    }

    private ApiResponse list() {
        return ApiResponse.json(200, Json.qubes(admin.list()));
    }

    private ApiResponse create(ApiRequest r) {
        Bodies.NewQube body = JsonBody.parse(json, r.body(), "a new qube", true).read(Bodies.NewQube.class);
        QubeSpec spec = new QubeSpec(body.name(), QubeClass.parse(body.klass() == null ? "AppVM" : body.klass()),
                Label.parse(body.label()), body.properties() == null ? Map.of() : body.properties());
        Qube q = admin.create(spec);
        return qube(201, q).withHeader("Location", "/api/qubes/" + q.name());
    }

    private static ApiResponse qube(int status, Qube q) {
        return ApiResponse.json(status, Json.qube(q));
    }

    private ApiResponse action(String name, String action, ApiRequest r) {
        JsonBody body = JsonBody.parse(json, r.body(), "the " + action + " action", false);
        switch (action) {
            case "start":
                body.read(Bodies.NoFields.class);
                admin.start(name);
                return qube(200, admin.get(name));
            case "shutdown": {
                Bodies.Shutdown shutdown = body.read(Bodies.Shutdown.class);
                boolean wait = Boolean.TRUE.equals(shutdown.waitForIt());
                admin.shutdown(name, Boolean.TRUE.equals(shutdown.force()), wait, timeout(shutdown.timeout()));
                return qube(wait ? 200 : 202, admin.get(name));
            }
            case "kill":
                body.read(Bodies.NoFields.class);
                admin.kill(name);
                return qube(200, admin.get(name));
            case "pause":
                body.read(Bodies.NoFields.class);
                admin.pause(name);
                return qube(200, admin.get(name));
            case "unpause":
                body.read(Bodies.NoFields.class);
                admin.unpause(name);
                return qube(200, admin.get(name));
            case "restart":
                admin.restart(name, timeout(body.read(Bodies.Restart.class).timeout()));
                return qube(200, admin.get(name));
            case "clone": {
                Qube copy = admin.clone(name, body.read(Bodies.Clone.class).target());
                return qube(201, copy).withHeader("Location", "/api/qubes/" + copy.name());
            }
            default:
                throw ApiException.notFound("no action '" + action + "'; accepted: " + String.join(", ", ACTIONS));
        }
    }

    private static Duration timeout(Integer seconds) {
        return seconds == null ? null : Duration.ofSeconds(seconds);
    }

    private ApiResponse run(String name, ApiRequest r) {
        Bodies.Run body = JsonBody.parse(json, r.body(), "a command to run", true).read(Bodies.Run.class);
        List<String> command = body.command();
        if (command.isEmpty()) {
            throw ApiException.invalid("field 'command' must name a program and its arguments; it is empty");
        }
        byte[] stdin = (body.stdin() == null ? "" : body.stdin()).getBytes(StandardCharsets.UTF_8);
        ExecResult result = admin.run(name, command, stdin, timeout(body.timeout()));
        return ApiResponse.json(200, new Json.RunResult(result.exitStatus(), result.stdoutText(), result.stderrText()));
    }

    private ApiResponse properties(ApiRequest r, String name, List<String> p, String m) {
        if (p.size() == 3) {
            return Routes.only(m, "GET", () -> {
                Map<String, PropertyValue> props = admin.get(name).properties();
                return ApiResponse.json(200, Json.properties(props));
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
                admin.setProperty(name, property, JsonBody.parse(json, r.body(), "a property value", true).read(Bodies.Value.class).value());
                return property(name, property);
            case "DELETE":
                admin.resetProperty(name, property);
                return property(name, property);
            default:
                return Routes.notAllowed(m, "GET, PUT, DELETE");
        }
    }

    private ApiResponse property(String name, String property) {
        PropertyValue v = admin.get(name).properties().get(QubeProperty.parse(property).id());
        return ApiResponse.json(200, Json.property(v));
    }

    private ApiResponse features(ApiRequest r, String name, List<String> p, String m) {
        if (p.size() == 3) {
            return Routes.only(m, "GET", () -> {
                Map<String, String> features = admin.get(name).features();
                return ApiResponse.json(200, features);
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
                return ApiResponse.json(200, Map.of(key, value));
            }
            case "PUT": {
                String value = JsonBody.parse(json, r.body(), "a feature value", true).read(Bodies.Value.class).value();
                admin.setFeature(name, key, value);
                return ApiResponse.json(200, Map.of(key, value));
            }
            case "DELETE":
                admin.removeFeature(name, key);
                return ApiResponse.noContent();
            default:
                return Routes.notAllowed(m, "GET, PUT, DELETE");
        }
    }

    private ApiResponse tags(String name, List<String> p, String m) {
        if (p.size() == 3) {
            return Routes.only(m, "GET", () -> tagList(name));
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
                return Routes.notAllowed(m, "PUT, DELETE");
        }
    }

    private ApiResponse tagList(String name) {
        return ApiResponse.json(200, new Json.TagList(List.copyOf(admin.get(name).tags())));
    }

    private ApiResponse stats(String name) {
        QubeStats s = admin.stats(name).orElseThrow(() -> new ApiException(409, "not-running", "No stats",
                "'" + name + "' is " + admin.get(name).state() + "; stats exist only while it runs"));
        return ApiResponse.json(200, Json.stats(s));
    }
}
