package dev.bulkhead.qrexec.internal;

import java.time.Duration;
import java.util.HashSet;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.function.Supplier;

import dev.bulkhead.api.AdminException;
import dev.bulkhead.api.Qube;
import dev.bulkhead.api.QubeAdmin;
import dev.bulkhead.api.policy.PolicyAction;
import dev.bulkhead.api.policy.PolicyDecision;
import dev.bulkhead.api.policy.PolicyPrompts;
import dev.bulkhead.api.policy.PolicyRequest;
import dev.bulkhead.api.policy.Prompt;
import dev.bulkhead.api.policy.PromptAnswer;
import dev.bulkhead.api.policy.QrexecPolicy;

/**
 * Decides where a call goes: the policy's decision for the request, the user's answer to an {@code ask} (denied when
 * no one shows prompts), a new disposable for {@code @dispvm:T}, the target started when it is halted and the rule lets
 * it. Every way a call cannot go ends in the same refusal for the caller; only dom0's log tells them apart.
 */
final class CallRouter {
    private static final String DISPVM_PREFIX = "@dispvm:";

    /** Where a call goes: a running qube, which the call owns when it is a disposable made for it. */
    record Route(String target, String user, boolean disposable, PolicyAction action, String detail) {
    }

    /** Why a call was refused, for dom0's log and the call log. */
    record Refusal(PolicyAction action, String detail) {
    }

    /** The outcome: a route or a refusal. */
    record Outcome(Route route, Refusal refusal) {
        static Outcome refused(PolicyAction action, String detail) {
            return new Outcome(null, new Refusal(action, detail));
        }
    }

    /** A prompt this call has open, so that it can be withdrawn when the caller hangs up. */
    interface PromptHandle {
        void opened(PolicyPrompts prompts, String promptId);
    }

    private final QrexecPolicy policy;
    private final QubeAdmin admin;
    private final Supplier<PolicyPrompts> prompts;

    CallRouter(QrexecPolicy policy, QubeAdmin admin, Supplier<PolicyPrompts> prompts) {
        this.policy = policy;
        this.admin = admin;
        this.prompts = prompts;
    }

    Outcome route(PolicyRequest request, Duration askTimeout, PromptHandle handle) throws InterruptedException {
        PolicyDecision decision;
        try {
            decision = policy.evaluate(request);
        } catch (RuntimeException e) {
            return Outcome.refused(PolicyAction.DENY, "malformed request: " + e.getMessage());
        }
        String target;
        String detail = decision.reason();
        switch (decision.action()) {
            case DENY -> {
                return Outcome.refused(PolicyAction.DENY, decision.reason());
            }
            case ALLOW -> target = decision.target();
            default -> {
                PolicyPrompts asker = prompts.get();
                if (asker == null) {
                    return Outcome.refused(PolicyAction.ASK, "ask denied: nothing shows prompts (" + decision.reason() + ")");
                }
                Optional<PromptAnswer> answer = ask(asker, request, decision, askTimeout, handle);
                if (answer.isEmpty() || !answer.get().allowed()) {
                    String how = answer.map(a -> a.outcome().name().toLowerCase(java.util.Locale.ROOT).replace('_', ' ')
                            + (a.by() == null ? "" : " by " + a.by())).orElse("not answered");
                    return Outcome.refused(PolicyAction.ASK, "ask " + how);
                }
                target = answer.get().target();
                detail = "ask allowed by " + answer.get().by() + " (" + decision.reason() + ")";
            }
        }
        return place(target, decision, detail);
    }

    private Optional<PromptAnswer> ask(PolicyPrompts asker, PolicyRequest request, PolicyDecision decision, Duration timeout,
            PromptHandle handle) throws InterruptedException {
        Set<String> before = new HashSet<>();
        asker.pending().forEach(p -> before.add(p.id()));
        var stage = asker.ask(request, decision, timeout).toCompletableFuture();
        for (Prompt p : asker.pending()) {
            if (!before.contains(p.id()) && p.source().equals(request.source()) && p.service().equals(request.service())
                    && p.argument().equals(request.argument())) {
                handle.opened(asker, p.id());
                break;
            }
        }
        try {
            // the prompt times out by itself; the extra second only guards against one that never answers
            return Optional.of(stage.get(timeout.toMillis() + 1000, TimeUnit.MILLISECONDS));
        } catch (ExecutionException | TimeoutException e) {
            return Optional.empty();
        }
    }

    /** Finds, makes or starts the target qube. */
    private Outcome place(String target, PolicyDecision decision, String detail) {
        if (target == null || target.equals("dom0") || target.equals("@adminvm")) {
            return Outcome.refused(decision.action(), "no services run in dom0 yet");
        }
        try {
            if (target.startsWith(DISPVM_PREFIX)) {
                Qube disposable = admin.createDisposable(target.substring(DISPVM_PREFIX.length()));
                return new Outcome(new Route(disposable.name(), decision.user(), true, decision.action(), detail), null);
            }
            Qube qube = admin.get(target);
            if (!qube.state().isActive()) {
                if (!decision.autostart()) {
                    return Outcome.refused(decision.action(), "target " + target + " is not running and autostart=no");
                }
                admin.start(target);
            }
            return new Outcome(new Route(target, decision.user(), false, decision.action(), detail), null);
        } catch (AdminException e) {
            return Outcome.refused(decision.action(), "cannot reach target " + target + ": " + e.getMessage());
        }
    }
}
