package dev.bulkhead.gui.internal;

import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.function.Supplier;

import dev.bulkhead.api.policy.CallLog;
import dev.bulkhead.api.policy.CallRecord;
import dev.bulkhead.api.policy.PolicyAction;
import dev.bulkhead.api.policy.PolicyDecision;
import dev.bulkhead.api.policy.PolicyPrompts;
import dev.bulkhead.api.policy.PolicyRequest;
import dev.bulkhead.api.policy.PromptAnswer;
import dev.bulkhead.api.policy.QrexecPolicy;

/**
 * Whether a paste from one qube's clipboard into another may happen: the qrexec policy's call
 * {@code qubes.ClipboardPaste} SOURCE -> TARGET. {@code allow} pastes; {@code deny} refuses; {@code ask} opens a
 * prompt that offers only the window's qube, and pastes only when the user allows it. Without the policy service
 * every paste is refused (fail closed), and so is an {@code ask} without the prompt service. Every decision is
 * recorded in the call log, with the size only.
 */
final class ClipboardDecision {
    static final String SERVICE = "qubes.ClipboardPaste";
    static final Duration ASK_TIMEOUT = Duration.ofSeconds(60);

    private final Supplier<QrexecPolicy> policy;
    private final Supplier<PolicyPrompts> prompts;
    private final Supplier<CallLog> calls;

    ClipboardDecision(Supplier<QrexecPolicy> policy, Supplier<PolicyPrompts> prompts, Supplier<CallLog> calls) {
        this.policy = policy;
        this.prompts = prompts;
        this.calls = calls;
    }

    /** Completes with why the paste is refused, or null when it may happen. Never completes exceptionally. */
    CompletionStage<String> decide(String source, String target, int bytes) {
        PolicyRequest request = new PolicyRequest(SERVICE, "+", source, target);
        QrexecPolicy p = policy.get();
        if (p == null) {
            return done(request, PolicyAction.DENY, false, bytes, "no qrexec policy service: refused");
        }
        PolicyDecision d;
        try {
            d = p.evaluate(request);
        } catch (RuntimeException e) {
            return done(request, PolicyAction.DENY, false, bytes, "refused: " + e.getMessage());
        }
        String rule = d.matchedRule().map(r -> r.file() + ":" + r.line()).orElse("no rule");
        switch (d.action()) {
            case ALLOW -> {
                boolean same = target.equals(d.target());
                return done(request, PolicyAction.ALLOW, same, bytes, same ? rule : rule + ", redirected to " + d.target() + ": refused");
            }
            case ASK -> {
                PolicyPrompts ask = prompts.get();
                if (ask == null || !d.targetsForAsk().contains(target)) {
                    return done(request, PolicyAction.ASK, false, bytes, rule + (ask == null ? ", no prompt service" : ", not a target") + ": refused");
                }
                PolicyDecision only = new PolicyDecision(PolicyAction.ASK, null, List.of(target), target, d.user(), d.autostart(),
                        d.notifyUser(), d.rule(), d.reason());
                return ask.ask(request, only, ASK_TIMEOUT).thenCompose(a -> done(request, PolicyAction.ASK, a.allowed(), bytes,
                        rule + ", " + answered(a)));
            }
            default -> {
                return done(request, PolicyAction.DENY, false, bytes, d.reason());
            }
        }
    }

    private static String answered(PromptAnswer a) {
        return switch (a.outcome()) {
            case ALLOWED -> "allowed by " + a.by();
            case DENIED -> "denied by " + a.by();
            case TIMED_OUT -> "no answer in time";
            case CANCELLED -> "prompt cancelled";
        };
    }

    private CompletionStage<String> done(PolicyRequest r, PolicyAction action, boolean allowed, int bytes, String why) {
        CallLog log = calls.get();
        if (log != null) {
            log.record(new CallRecord(Instant.now(), r.source(), r.service(), r.argument(), r.target(), allowed ? r.target() : null, action,
                    allowed, bytes + " bytes; " + why));
        }
        return CompletableFuture.completedFuture(allowed ? null : why);
    }
}
