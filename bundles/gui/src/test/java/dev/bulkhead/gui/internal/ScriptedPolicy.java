package dev.bulkhead.gui.internal;

import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;

import dev.bulkhead.api.InvalidStateException;
import dev.bulkhead.api.InvalidValueException;
import dev.bulkhead.api.policy.CallLog;
import dev.bulkhead.api.policy.CallRecord;
import dev.bulkhead.api.policy.PolicyAction;
import dev.bulkhead.api.policy.PolicyDecision;
import dev.bulkhead.api.policy.PolicyPrompts;
import dev.bulkhead.api.policy.PolicyRequest;
import dev.bulkhead.api.policy.PolicyRule;
import dev.bulkhead.api.policy.PolicyStatus;
import dev.bulkhead.api.policy.Prompt;
import dev.bulkhead.api.policy.PromptAnswer;
import dev.bulkhead.api.policy.PromptListener;
import dev.bulkhead.api.policy.QrexecPolicy;

/**
 * The policy as the GUI daemon sees it, scripted per SOURCE:TARGET (the policy's own semantics are tested in its
 * bundle): its decisions, the prompts it was asked to open (answered by the test) and the calls recorded.
 */
final class ScriptedPolicy implements QrexecPolicy, PolicyPrompts, CallLog {
    final Map<String, PolicyAction> actions = new ConcurrentHashMap<>();
    final List<Prompt> asked = new CopyOnWriteArrayList<>();
    final List<CallRecord> calls = new CopyOnWriteArrayList<>();
    final List<PromptListener> listeners = new CopyOnWriteArrayList<>();
    private final Map<String, CompletableFuture<PromptAnswer>> waiting = new ConcurrentHashMap<>();

    ScriptedPolicy set(String source, String target, PolicyAction action) {
        actions.put(source + ":" + target, action);
        return this;
    }

    @Override
    public PolicyDecision evaluate(PolicyRequest r) {
        PolicyAction a = actions.getOrDefault(r.source() + ":" + r.target(), PolicyAction.DENY);
        PolicyRule rule = new PolicyRule("30-test.policy", 1, r.service() + " * " + r.source() + " " + r.target() + " " + a.word());
        return switch (a) {
            case ALLOW -> new PolicyDecision(a, r.target(), List.of(), null, null, true, false, rule, "allowed");
            case ASK -> new PolicyDecision(a, null, List.of(r.target(), "other"), null, null, true, false, rule, "ask");
            case DENY -> new PolicyDecision(a, null, List.of(), null, null, true, true, rule, "denied by 30-test.policy:1");
        };
    }

    @Override
    public List<PolicyRule> rules() {
        return List.of();
    }

    @Override
    public PolicyStatus status() {
        return new PolicyStatus("policy.d", List.of(), actions.size(), Instant.EPOCH, null);
    }

    @Override
    public PolicyStatus reload() {
        return status();
    }

    @Override
    public CompletionStage<PromptAnswer> ask(PolicyRequest r, PolicyDecision d, Duration timeout) {
        String id = "p" + asked.size();
        CompletableFuture<PromptAnswer> f = new CompletableFuture<>();
        waiting.put(id, f);
        Prompt p = new Prompt(id, r.source(), r.service(), r.argument(), r.target(), d.targetsForAsk(), d.defaultTarget(), Instant.now(),
                Instant.now().plus(timeout));
        asked.add(p);
        listeners.forEach(l -> l.opened(p));
        return f;
    }

    @Override
    public List<Prompt> pending() {
        return asked.stream().filter(p -> waiting.containsKey(p.id())).toList();
    }

    @Override
    public void answer(String promptId, boolean allow, String target, String by) {
        Prompt p = prompt(promptId);
        if (allow && !p.targets().contains(target)) {
            throw new InvalidValueException("target", String.valueOf(target), "one of " + p.targets());
        }
        end(promptId, allow ? PromptAnswer.allowed(target, by) : PromptAnswer.denied(by));
    }

    @Override
    public void cancel(String promptId) {
        end(promptId, PromptAnswer.cancelled());
    }

    /** Ends a prompt without telling the listeners, as one that ended while its closed event is still on its way. */
    void endQuietly(String promptId) {
        CompletableFuture<PromptAnswer> f = waiting.remove(promptId);
        if (f != null) {
            f.complete(PromptAnswer.timedOut());
        }
    }

    private Prompt prompt(String promptId) {
        return pending().stream().filter(p -> p.id().equals(promptId)).findFirst()
                .orElseThrow(() -> new InvalidStateException("no prompt '" + promptId + "' waits"));
    }

    private void end(String promptId, PromptAnswer answer) {
        Prompt p = asked.stream().filter(q -> q.id().equals(promptId)).findFirst().orElse(null);
        CompletableFuture<PromptAnswer> f = waiting.remove(promptId);
        if (f != null) {
            f.complete(answer);
            listeners.forEach(l -> l.closed(p, answer));
        }
    }

    @Override
    public void record(CallRecord call) {
        calls.add(call);
    }

    @Override
    public List<CallRecord> recent(int max) {
        return calls.subList(Math.max(0, calls.size() - max), calls.size());
    }

    /** The daemon's clipboard decided by this policy. */
    GuiDaemon bindTo(GuiDaemon daemon) {
        daemon.policy = this;
        daemon.prompts = this;
        daemon.calls = this;
        return daemon;
    }
}
