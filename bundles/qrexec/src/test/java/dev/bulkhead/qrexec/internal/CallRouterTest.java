package dev.bulkhead.qrexec.internal;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.lang.reflect.Proxy;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.atomic.AtomicReference;

import org.junit.jupiter.api.Test;

import dev.bulkhead.api.QubeAdmin;
import dev.bulkhead.api.policy.PolicyAction;
import dev.bulkhead.api.policy.PolicyDecision;
import dev.bulkhead.api.policy.PolicyPrompts;
import dev.bulkhead.api.policy.PolicyRequest;
import dev.bulkhead.api.policy.PolicyRule;
import dev.bulkhead.api.policy.PolicyStatus;
import dev.bulkhead.api.policy.Prompt;
import dev.bulkhead.api.policy.PromptAnswer;
import dev.bulkhead.api.policy.QrexecPolicy;

/** An ask that no one answers, that is denied, times out or is withdrawn is a refusal: never a call, never an error. */
class CallRouterTest {
    private static final PolicyRequest REQUEST = new PolicyRequest("qubes.Filecopy", "+", "work", "@default");
    private static final Duration TIMEOUT = Duration.ofSeconds(30);

    @Test
    void anAskWithNothingToShowPromptsIsRefused() throws Exception {
        CallRouter.Outcome outcome = router(null).route(REQUEST, TIMEOUT, withdraw -> {
        });
        assertNull(outcome.route());
        assertEquals(PolicyAction.ASK, outcome.refusal().action());
        assertTrue(outcome.refusal().detail().startsWith("ask denied: nothing shows prompts"), outcome.refusal().detail());
    }

    @Test
    void anAskDeniedOrTimedOutIsRefusedNamingHow() throws Exception {
        assertEquals("ask denied by console", router(answering(PromptAnswer.denied("console"))).route(REQUEST, TIMEOUT, w -> {
        }).refusal().detail());
        assertEquals("ask timed out", router(answering(PromptAnswer.timedOut())).route(REQUEST, TIMEOUT, w -> {
        }).refusal().detail());
    }

    @Test
    void aPromptTheCallerWithdrawsIsRefusedWithoutAnError() throws Exception {
        AtomicReference<CompletableFuture<PromptAnswer>> open = new AtomicReference<>();
        PolicyPrompts waiting = prompts(() -> {
            open.set(new CompletableFuture<>());
            return open.get();
        });
        CallRouter.Outcome outcome = router(waiting).route(REQUEST, TIMEOUT, Runnable::run);
        assertTrue(open.get().isCancelled(), "the withdrawal reached the prompt's stage");
        assertNull(outcome.route());
        assertEquals("ask not answered", outcome.refusal().detail());
    }

    private static CallRouter router(PolicyPrompts prompts) {
        QrexecPolicy policy = new QrexecPolicy() {
            @Override
            public PolicyDecision evaluate(PolicyRequest request) {
                return new PolicyDecision(PolicyAction.ASK, null, List.of("personal"), null, null, true, false,
                        new PolicyRule("90-default.policy", 7, "qubes.Filecopy * @anyvm @anyvm ask"), "90-default.policy:7");
            }

            @Override
            public List<PolicyRule> rules() {
                return List.of();
            }

            @Override
            public PolicyStatus status() {
                throw new UnsupportedOperationException();
            }

            @Override
            public PolicyStatus reload() {
                throw new UnsupportedOperationException();
            }
        };
        // a refused call never reaches a qube
        QubeAdmin admin = (QubeAdmin) Proxy.newProxyInstance(CallRouterTest.class.getClassLoader(), new Class<?>[] { QubeAdmin.class },
                (p, m, a) -> {
                    throw new AssertionError("a refused call used the admin service: " + m.getName());
                });
        return new CallRouter(policy, admin, () -> prompts);
    }

    private static PolicyPrompts answering(PromptAnswer answer) {
        return prompts(() -> CompletableFuture.completedFuture(answer));
    }

    private static PolicyPrompts prompts(java.util.function.Supplier<CompletionStage<PromptAnswer>> stage) {
        return new PolicyPrompts() {
            @Override
            public CompletionStage<PromptAnswer> ask(PolicyRequest request, PolicyDecision decision, Duration timeout) {
                return stage.get();
            }

            @Override
            public List<Prompt> pending() {
                return List.of();
            }

            @Override
            public void answer(String promptId, boolean allow, String target, String by) {
                throw new UnsupportedOperationException();
            }

            @Override
            public void cancel(String promptId) {
                throw new UnsupportedOperationException();
            }
        };
    }
}
