package dev.bulkhead.console.internal;

import java.time.Duration;
import java.time.Instant;
import java.util.List;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonProperty;

import dev.bulkhead.api.policy.CallRecord;
import dev.bulkhead.api.policy.PolicyStatus;
import dev.bulkhead.api.policy.Prompt;
import dev.bulkhead.api.policy.PromptAnswer;

/** The JSON forms of the policy's prompts, calls and files, for {@link PolicyApi} and the event stream. */
final class PolicyForms {
    private PolicyForms() {
    }

    /** {@code seconds_left} at the moment it was written, so that a client needs no clock of its own. */
    record PromptForm(String id, String source, String service, String argument, @JsonProperty("target_asked") String targetAsked,
            List<String> targets, @JsonProperty("default_target") String defaultTarget, String opened, String deadline,
            @JsonProperty("seconds_left") long secondsLeft) {
    }

    static PromptForm prompt(Prompt p) {
        // the default first, as the user is offered it
        List<String> targets = p.defaultTarget() == null ? p.targets()
                : java.util.stream.Stream.concat(java.util.stream.Stream.of(p.defaultTarget()),
                        p.targets().stream().filter(t -> !t.equals(p.defaultTarget()))).toList();
        return new PromptForm(p.id(), p.source(), p.service(), p.argument(), p.targetAsked(), targets, p.defaultTarget(),
                p.opened().toString(), p.deadline().toString(), Math.max(0, Duration.between(Instant.now(), p.deadline()).toSeconds()));
    }

    record PromptList(List<PromptForm> prompts, boolean available) {
    }

    record AnswerForm(String outcome, @JsonInclude(JsonInclude.Include.NON_NULL) String target,
            @JsonInclude(JsonInclude.Include.NON_NULL) String by) {
    }

    static AnswerForm answer(PromptAnswer a) {
        return new AnswerForm(a.outcome().name().toLowerCase(java.util.Locale.ROOT), a.target(), a.by());
    }

    /** What the event stream sends as event {@code prompt}: opened (no answer) or closed (with it). */
    record PromptEvent(String type, PromptForm prompt, @JsonInclude(JsonInclude.Include.NON_NULL) AnswerForm answer) {
    }

    record CallForm(String time, String source, String service, String argument, @JsonProperty("target_asked") String targetAsked,
            String target, String action, boolean allowed, String detail) {
    }

    static CallForm call(CallRecord c) {
        return new CallForm(c.time().toString(), c.source(), c.service(), c.argument(), c.targetAsked(), c.target(), c.action().word(),
                c.allowed(), c.detail());
    }

    record CallList(List<CallForm> calls) {
    }

    record StatusForm(String directory, List<String> files, int rules, String loaded, String problem) {
    }

    static StatusForm status(PolicyStatus s) {
        return new StatusForm(s.directory(), s.files(), s.rules(), s.loaded().toString(), s.problem());
    }

    record FileList(List<String> files, StatusForm status) {
    }

    record FileForm(String name, String text) {
    }

    record Checked(boolean ok, String file) {
    }
}
