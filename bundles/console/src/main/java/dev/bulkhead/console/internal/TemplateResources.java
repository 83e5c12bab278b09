package dev.bulkhead.console.internal;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.function.Supplier;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonProperty;
import com.fasterxml.jackson.databind.ObjectMapper;

import dev.bulkhead.api.PropertyValue;
import dev.bulkhead.api.Qube;
import dev.bulkhead.api.QubeAdmin;
import dev.bulkhead.api.QubeProperty;
import dev.bulkhead.api.template.PayloadFile;
import dev.bulkhead.api.template.TemplateInfo;
import dev.bulkhead.api.template.TemplateStore;
import dev.bulkhead.api.template.Verification;

/**
 * {@code /api/templates}: the installed templates with who uses them, the packages of the
 * distribution's {@code templates/} not yet installed, install jobs (from there, or from an upload
 * that {@link TemplateUploadServlet} takes), verify and remove. Every check is the store's, the
 * same {@code qvm:template} makes.
 */
final class TemplateResources {
    record TemplateForm(String name, String version, String summary, String built, String installed,
            @JsonProperty("key_id") String keyId, @JsonProperty("key_trusted") boolean keyTrusted,
            @JsonProperty("qube_present") boolean qubePresent, @JsonProperty("payload_bytes") long payloadBytes,
            @JsonProperty("unpacked_bytes") long unpackedBytes, @JsonProperty("used_by") List<String> usedBy,
            @JsonProperty("global_default") List<String> globalDefault) {
    }

    record PackageForm(String file, String name, String version, @JsonProperty("size_bytes") long sizeBytes, boolean installed) {
    }

    record JobForm(String id, String source, String state, String phase, long done, long total,
            @JsonInclude(JsonInclude.Include.NON_NULL) String template, @JsonInclude(JsonInclude.Include.NON_NULL) String error,
            String started, @JsonProperty("allow_unknown_key") boolean allowUnknownKey) {
    }

    record TemplatesForm(List<TemplateForm> templates, List<PackageForm> available, String directory,
            @JsonProperty("max_upload_bytes") long maxUploadBytes, List<JobForm> installs) {
    }

    record VerificationForm(String subject, boolean ok, @JsonProperty("key_id") String keyId, @JsonProperty("key_trusted") boolean keyTrusted,
            List<String> problems) {
    }

    /** The body of {@code POST /api/templates/installs}. */
    record NewInstall(@JsonProperty(required = true) String file, @JsonProperty("allow_unknown_key") Boolean allowUnknownKey) {
    }

    private final QubeAdmin admin;
    private final ObjectMapper json;
    private final Supplier<TemplateInstalls> installs;

    TemplateResources(QubeAdmin admin, ObjectMapper json, Supplier<TemplateInstalls> installs) {
        this.admin = admin;
        this.json = json;
        this.installs = installs;
    }

    ApiResponse handle(ApiRequest r, List<String> p, String m) {
        TemplateInstalls t = installs.get();
        if (t == null) {
            throw new ApiException(503, "templates-unavailable", "No template store",
                    "the template store does not run, so templates can be neither listed nor installed");
        }
        if (p.size() == 1) {
            return Routes.only(m, "GET", () -> ApiResponse.json(200, all(t)));
        }
        switch (p.get(1)) {
            case "available":
                return Routes.one(p, 2, m, "GET", () -> ApiResponse.json(200, available(t)));
            case "installs":
                if (p.size() == 2) {
                    return switch (m) {
                        case "GET" -> ApiResponse.json(200, t.jobs().stream().map(TemplateResources::job).toList());
                        case "POST" -> {
                            NewInstall body = JsonBody.parse(json, r.body(), "a template install", true).read(NewInstall.class);
                            TemplateInstalls.Job job = t.installPackage(body.file(), Boolean.TRUE.equals(body.allowUnknownKey()));
                            yield accepted(job);
                        }
                        default -> Routes.notAllowed(m, "GET, POST");
                    };
                }
                return Routes.one(p, 3, m, "GET", () -> ApiResponse.json(200, job(t.job(p.get(2))
                        .orElseThrow(() -> ApiException.notFound("no install job '" + TemplateInstalls.Bounded.text(p.get(2)) + "'")))));
            case "uploads":
                // served by TemplateUploadServlet; here only while it is not registered
                throw new ApiException(503, "templates-unavailable", "No uploads", "template uploads are not served now");
            case "installed":
                return installed(t.store(), p, m);
            default:
                throw ApiException.notFound("no API resource /api" + r.path() + "; see /api/openapi.json for what there is");
        }
    }

    static ApiResponse accepted(TemplateInstalls.Job job) {
        return ApiResponse.json(202, job(job)).withHeader("Location", "/api/templates/installs/" + job.id);
    }

    private ApiResponse installed(TemplateStore store, List<String> p, String m) {
        if (p.size() == 3) {
            String name = p.get(2);
            return switch (m) {
                case "GET" -> ApiResponse.json(200, template(store.find(name).orElseThrow(() -> noSuchTemplate(name)), uses()));
                case "DELETE" -> {
                    store.find(name).orElseThrow(() -> noSuchTemplate(name));
                    store.remove(name);
                    yield ApiResponse.noContent();
                }
                default -> Routes.notAllowed(m, "GET, DELETE");
            };
        }
        if (p.size() == 4 && p.get(3).equals("verify")) {
            String name = p.get(2);
            return Routes.only(m, "POST", () -> {
                store.find(name).orElseThrow(() -> noSuchTemplate(name));
                Verification v = store.verifyInstalled(name);
                return ApiResponse.json(200, new VerificationForm(v.subject(), v.ok(), v.keyId(), v.keyTrusted(), v.problems()));
            });
        }
        throw ApiException.notFound("no API resource /api/" + String.join("/", p));
    }

    private static ApiException noSuchTemplate(String name) {
        return ApiException.notFound("no installed template '" + TemplateInstalls.Bounded.text(name) + "'; see GET /api/templates");
    }

    private TemplatesForm all(TemplateInstalls t) {
        Map<String, Set<String>> uses = uses();
        List<TemplateForm> templates = t.store().list().stream().map(i -> template(i, uses)).toList();
        return new TemplatesForm(templates, available(t), t.directory().toString(), t.maxUpload(),
                t.jobs().stream().map(TemplateResources::job).toList());
    }

    private List<PackageForm> available(TemplateInstalls t) {
        Set<String> installed = new TreeSet<>();
        t.store().list().forEach(i -> installed.add(i.name()));
        List<PackageForm> forms = new ArrayList<>();
        for (TemplateInstalls.Package p : t.packages()) {
            forms.add(new PackageForm(p.file(), p.name(), p.version(), p.size(), installed.contains(p.name())));
        }
        return forms;
    }

    /** Who uses each template: the qubes whose template it is (set or by default), and the global properties naming it (key "global:NAME"). */
    private Map<String, Set<String>> uses() {
        Map<String, Set<String>> uses = new TreeMap<>();
        for (Qube q : admin.list()) {
            PropertyValue v = q.properties().get(QubeProperty.TEMPLATE.id());
            if (v != null && !v.value().isEmpty()) {
                uses.computeIfAbsent(v.value(), k -> new TreeSet<>()).add(q.name());
            }
        }
        admin.globalProperties().forEach((name, v) -> {
            if (v.value() != null && !v.value().isEmpty()) {
                uses.computeIfAbsent("global:" + v.value(), k -> new TreeSet<>()).add(name);
            }
        });
        return uses;
    }

    private static TemplateForm template(TemplateInfo i, Map<String, Set<String>> uses) {
        long unpacked = i.manifest().files().stream().filter(f -> f.kind().equals(PayloadFile.ROOTFS)).mapToLong(PayloadFile::unpackedSize).sum();
        return new TemplateForm(i.name(), i.manifest().version(), i.manifest().summary(), i.manifest().built(), i.installed().toString(),
                i.keyId(), i.keyTrusted(), i.qubePresent(), i.manifest().payloadSize(), unpacked,
                List.copyOf(uses.getOrDefault(i.name(), Set.of())), List.copyOf(uses.getOrDefault("global:" + i.name(), Set.of())));
    }

    static JobForm job(TemplateInstalls.Job j) {
        return new JobForm(j.id, j.source, j.state.name().toLowerCase(Locale.ROOT), j.phase == null ? null : j.phase.name().toLowerCase(Locale.ROOT),
                j.done, j.total, j.template, j.error, j.started.toString(), j.allowUnknownKey);
    }
}
