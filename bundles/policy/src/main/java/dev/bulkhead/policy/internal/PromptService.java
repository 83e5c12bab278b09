package dev.bulkhead.policy.internal;

import java.security.SecureRandom;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.Comparator;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.ScheduledThreadPoolExecutor;
import java.util.concurrent.TimeUnit;

import org.osgi.service.component.annotations.Activate;
import org.osgi.service.component.annotations.Component;
import org.osgi.service.component.annotations.Deactivate;
import org.osgi.service.component.annotations.Modified;
import org.osgi.service.component.annotations.Reference;
import org.osgi.service.component.annotations.ReferenceCardinality;
import org.osgi.service.component.annotations.ReferencePolicy;
import org.osgi.service.metatype.annotations.Designate;

import dev.bulkhead.api.InvalidStateException;
import dev.bulkhead.api.InvalidValueException;
import dev.bulkhead.api.policy.PolicyAction;
import dev.bulkhead.api.policy.PolicyDecision;
import dev.bulkhead.api.policy.PolicyPrompts;
import dev.bulkhead.api.policy.PolicyRequest;
import dev.bulkhead.api.policy.Prompt;
import dev.bulkhead.api.policy.PromptAnswer;
import dev.bulkhead.api.policy.PromptListener;

/**
 * The prompts waiting for the user. Each ends exactly once: whoever removes it from the waiting map first (an answer,
 * its deadline, a cancel, the component stopping) completes its stage, and every later attempt finds it gone. Ids are
 * 128 random bits. Listeners are told on one thread of this service, in order (opened before closed), never while a
 * lock is held. One calling qube may have only so many prompts waiting; a further ask is denied at once.
 */
@Component(configurationPid = PromptConfig.PID)
@Designate(ocd = PromptConfig.class)
public final class PromptService implements PolicyPrompts {
    static final int MAX_PENDING_LIMIT = 100;
    /** Who denied an ask over the per-qube limit, as the answer says. */
    static final String BY_LIMIT = "limit";
    private static final System.Logger LOG = System.getLogger(PromptService.class.getName());

    private static final class Waiting {
        final Prompt prompt;
        final CompletableFuture<PromptAnswer> answer = new CompletableFuture<>();
        /** Set just after the prompt is in the map, so that a deadline can never fire before it is there. */
        volatile ScheduledFuture<?> timer;

        Waiting(Prompt prompt) {
            this.prompt = prompt;
        }

        Prompt prompt() {
            return prompt;
        }
    }

    private final Map<String, Waiting> waiting = new ConcurrentHashMap<>();
    private final List<PromptListener> listeners = new CopyOnWriteArrayList<>();
    private final ScheduledExecutorService executor;
    private final SecureRandom random = new SecureRandom();
    private final Clock clock;
    private volatile int maxPerSource;

    @Activate
    public PromptService(PromptConfig config) {
        this(config, Clock.systemUTC());
    }

    PromptService(PromptConfig config, Clock clock) {
        this.clock = clock;
        this.maxPerSource = limit(config);
        ScheduledThreadPoolExecutor ex = new ScheduledThreadPoolExecutor(1, r -> {
            Thread t = new Thread(r, "bulkhead-policy-prompts");
            t.setDaemon(true);
            return t;
        });
        ex.setRemoveOnCancelPolicy(true);
        this.executor = ex;
    }

    @Modified
    void modified(PromptConfig config) {
        maxPerSource = limit(config);
    }

    private static int limit(PromptConfig config) {
        int n = config.max_pending_per_source();
        if (n < 1 || n > MAX_PENDING_LIMIT) {
            throw new InvalidValueException("max_pending_per_source", Integer.toString(n), "1 to " + MAX_PENDING_LIMIT);
        }
        return n;
    }

    /** Cancels every waiting prompt: the platform stops, no one can answer. */
    @Deactivate
    void deactivate() {
        waiting.keySet().forEach(this::cancel);
        executor.shutdown();
    }

    @Reference(cardinality = ReferenceCardinality.MULTIPLE, policy = ReferencePolicy.DYNAMIC)
    void addListener(PromptListener l) {
        listeners.add(l);
    }

    void removeListener(PromptListener l) {
        listeners.remove(l);
    }

    @Override
    public CompletionStage<PromptAnswer> ask(PolicyRequest request, PolicyDecision decision, Duration timeout) {
        if (decision.action() != PolicyAction.ASK || decision.targetsForAsk().isEmpty()) {
            throw new InvalidValueException("decision", decision.action().word(), "an ask decision with at least one target");
        }
        if (timeout == null || timeout.isNegative() || timeout.isZero()) {
            throw new InvalidValueException("timeout", String.valueOf(timeout), "a positive duration");
        }
        synchronized (this) {
            long open = waiting.values().stream().filter(w -> w.prompt().source().equals(request.source())).count();
            if (open >= maxPerSource) {
                LOG.log(System.Logger.Level.WARNING, "qrexec ask from " + PolicyNames.printable(request.source()) + " for "
                        + PolicyNames.printable(request.service() + request.argument()) + " denied: " + open
                        + " prompts of that qube wait already (max_pending_per_source)");
                return CompletableFuture.completedFuture(PromptAnswer.denied(BY_LIMIT));
            }
            Instant now = clock.instant();
            List<String> targets = decision.targetsForAsk().stream().sorted().toList();
            String def = decision.defaultTarget() != null && targets.contains(decision.defaultTarget()) ? decision.defaultTarget() : null;
            Prompt prompt = new Prompt(newId(), request.source(), request.service(), request.argument(),
                    request.target().isEmpty() ? "@default" : request.target(), targets, def, now, now.plus(timeout));
            Waiting w = new Waiting(prompt);
            // told before it can be answered, so that listeners hear of it opening before it closing
            executor.execute(() -> tell(l -> l.opened(prompt)));
            waiting.put(prompt.id(), w);
            w.timer = executor.schedule(() -> end(prompt.id(), PromptAnswer.timedOut()), timeout.toNanos(), TimeUnit.NANOSECONDS);
            // the caller cancelled (or otherwise completed) the stage itself: the prompt is withdrawn
            w.answer.whenComplete((a, t) -> end(prompt.id(), PromptAnswer.cancelled()));
            return w.answer;
        }
    }

    @Override
    public List<Prompt> pending() {
        return waiting.values().stream().map(Waiting::prompt).sorted(Comparator.comparing(Prompt::opened).thenComparing(Prompt::id)).toList();
    }

    @Override
    public void answer(String promptId, boolean allow, String target, String by) {
        Waiting w = promptId == null ? null : waiting.get(promptId);
        if (w == null) {
            throw new InvalidStateException("no prompt '" + PolicyNames.printable(String.valueOf(promptId))
                    + "' waits for an answer: it was answered, timed out or never existed");
        }
        if (allow && (target == null || !w.prompt().targets().contains(target))) {
            throw new InvalidValueException("target", PolicyNames.printable(String.valueOf(target)),
                    "one of the prompt's targets: " + String.join(", ", w.prompt().targets()));
        }
        String who = by == null || by.isBlank() ? "unknown" : PolicyNames.printable(by);
        if (!end(promptId, allow ? PromptAnswer.allowed(target, who) : PromptAnswer.denied(who))) {
            throw new InvalidStateException("prompt '" + promptId + "' ended meanwhile: it was answered, timed out or cancelled");
        }
    }

    @Override
    public void cancel(String promptId) {
        if (promptId != null) {
            end(promptId, PromptAnswer.cancelled());
        }
    }

    /** Ends a waiting prompt with {@code answer}; false when it had ended already. */
    private boolean end(String id, PromptAnswer answer) {
        Waiting w = waiting.remove(id);
        if (w == null) {
            return false;
        }
        ScheduledFuture<?> timer = w.timer;
        if (timer != null) {
            timer.cancel(false);
        }
        LOG.log(System.Logger.Level.INFO, "qrexec prompt " + PolicyNames.printable(w.prompt().source()) + " -> "
                + PolicyNames.printable(w.prompt().targetAsked()) + " " + PolicyNames.printable(w.prompt().service() + w.prompt().argument())
                + ": " + answer.outcome().name().toLowerCase() + (answer.target() == null ? "" : " " + answer.target())
                + (answer.by() == null ? "" : " by " + answer.by()));
        w.answer.complete(answer);
        try {
            executor.execute(() -> tell(l -> l.closed(w.prompt(), answer)));
        } catch (java.util.concurrent.RejectedExecutionException e) {
            // stopping: no one listens any more
        }
        return true;
    }

    private void tell(java.util.function.Consumer<PromptListener> event) {
        for (PromptListener l : listeners) {
            try {
                event.accept(l);
            } catch (RuntimeException e) {
                LOG.log(System.Logger.Level.WARNING, "prompt listener " + l.getClass().getName() + " failed", e);
            }
        }
    }

    private String newId() {
        byte[] b = new byte[16];
        random.nextBytes(b);
        return HexFormat.of().formatHex(b);
    }
}
