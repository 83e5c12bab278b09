package dev.bulkhead.console.internal;

import java.util.List;
import java.util.Map;
import java.util.function.Supplier;

import com.fasterxml.jackson.annotation.JsonProperty;
import com.fasterxml.jackson.databind.ObjectMapper;

import dev.bulkhead.api.policy.CallLog;
import dev.bulkhead.api.policy.PolicyFiles;
import dev.bulkhead.api.policy.PolicyPrompts;
import dev.bulkhead.api.policy.PolicySyntaxException;
import dev.bulkhead.api.policy.QrexecPolicy;

/**
 * {@code /api/policy}: the prompts waiting for the user and their answers, the recent calls, and the policy's files
 * for the editor (read, check, save, remove). A text with an error is answered 422 {@code policy-syntax} with its
 * {@code file} and {@code line}, and nothing is saved. While the policy bundle is not there, 503.
 */
final class PolicyApi {
    static final int DEFAULT_CALLS = 100;
    static final int MAX_CALLS = 10_000;
    /** Who answered a prompt here, for the call log. */
    static final String BY = "console";

    record Answer(@JsonProperty(required = true) Boolean allow, String target) {
    }

    record Text(@JsonProperty(required = true) String text) {
    }

    private final ObjectMapper json;
    private final Supplier<PolicyPrompts> prompts;
    private final Supplier<CallLog> calls;
    private final Supplier<PolicyFiles> files;
    private final Supplier<QrexecPolicy> policy;

    PolicyApi(ObjectMapper json, Supplier<PolicyPrompts> prompts, Supplier<CallLog> calls, Supplier<PolicyFiles> files,
            Supplier<QrexecPolicy> policy) {
        this.json = json;
        this.prompts = prompts;
        this.calls = calls;
        this.files = files;
        this.policy = policy;
    }

    ApiResponse handle(ApiRequest r) {
        try {
            return route(r, Routes.segments(r.path()), r.method());
        } catch (PolicySyntaxException e) {
            return ApiResponse.problem(new Problem(422, "urn:bulkhead:problem:policy-syntax", "The policy does not load", e.getMessage(),
                    Map.of("file", e.file(), "line", Integer.toString(e.line()), "problem", e.problem())));
        } catch (RuntimeException e) {
            return ApiResponse.problem(Problem.from(e));
        }
    }

    /** {@code p}: the path's segments below {@code /api/policy}. */
    private ApiResponse route(ApiRequest r, List<String> p, String m) {
        if (p.isEmpty()) {
            throw ApiException.notFound("no API resource /api/policy; there are /api/policy/prompts, /calls and /files");
        }
        switch (p.get(0)) {
            case "prompts":
                if (p.size() == 1) {
                    // every page asks for this list: with no prompt service, none can wait, and the list says so
                    return Routes.only(m, "GET", () -> {
                        PolicyPrompts asker = prompts.get();
                        return ApiResponse.json(200, asker == null ? new PolicyForms.PromptList(List.of(), false)
                                : new PolicyForms.PromptList(asker.pending().stream().map(PolicyForms::prompt).toList(), true));
                    });
                }
                return Routes.one(p, 2, m, "POST", () -> {
                    Answer a = JsonBody.parse(json, r.body(), "an answer", true).read(Answer.class);
                    need(prompts, "prompts").answer(p.get(1), a.allow(), a.allow() ? a.target() : null, BY);
                    return ApiResponse.noContent();
                });
            case "calls":
                return Routes.one(p, 1, m, "GET", () -> ApiResponse.json(200,
                        new PolicyForms.CallList(need(calls, "call log").recent(max(r)).stream().map(PolicyForms::call).toList())));
            case "files":
                return files(r, p, m);
            default:
                throw ApiException.notFound("no API resource /api/policy/" + String.join("/", p));
        }
    }

    private ApiResponse files(ApiRequest r, List<String> p, String m) {
        PolicyFiles f = need(files, "policy files");
        if (p.size() == 1) {
            return Routes.only(m, "GET", () -> ApiResponse.json(200, new PolicyForms.FileList(f.list(),
                    PolicyForms.status(need(policy, "policy").status()))));
        }
        String name = p.get(1);
        if (p.size() == 3 && p.get(2).equals("check")) {
            return Routes.only(m, "POST", () -> {
                f.check(name, text(r));
                return ApiResponse.json(200, new PolicyForms.Checked(true, name));
            });
        }
        if (p.size() != 2) {
            throw ApiException.notFound("no API resource /api/policy/" + String.join("/", p));
        }
        return switch (m) {
            case "GET" -> ApiResponse.json(200, new PolicyForms.FileForm(name, f.read(name)));
            case "PUT" -> ApiResponse.json(200, PolicyForms.status(f.save(name, text(r))));
            case "DELETE" -> ApiResponse.json(200, PolicyForms.status(f.remove(name)));
            default -> Routes.notAllowed(m, "GET, PUT, DELETE");
        };
    }

    private String text(ApiRequest r) {
        return JsonBody.parse(json, r.body(), "a policy file's text", true).read(Text.class).text();
    }

    private static int max(ApiRequest r) {
        String v = r.parameter("max");
        if (v == null) {
            return DEFAULT_CALLS;
        }
        try {
            int n = Integer.parseInt(v);
            if (n >= 1 && n <= MAX_CALLS) {
                return n;
            }
        } catch (NumberFormatException e) {
            // refused below
        }
        throw ApiException.invalid("parameter 'max' must be a number of calls from 1 to " + MAX_CALLS + ", found '"
                + TemplateInstalls.Bounded.text(v) + "'");
    }

    private static <T> T need(Supplier<T> service, String what) {
        T s = service.get();
        if (s == null) {
            throw new ApiException(503, "unavailable", "Service unavailable", "the qrexec " + what + " service is not running");
        }
        return s;
    }
}
