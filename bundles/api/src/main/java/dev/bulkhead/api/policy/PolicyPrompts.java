package dev.bulkhead.api.policy;

import java.time.Duration;
import java.util.List;
import java.util.concurrent.CompletionStage;

import org.osgi.annotation.versioning.ProviderType;

/**
 * Where the user answers the policy's {@code ask}: a call waits for a {@link Prompt} to be answered, in the web
 * console or in a dialog dom0 draws on its display, and is denied when no one answers in time. A prompt lists only
 * the targets the policy allows ({@link PolicyDecision#targetsForAsk()}); an answer naming another is refused.
 * Whoever shows prompts listens as a {@link PromptListener} whiteboard service.
 *
 * @since 1.1
 */
@ProviderType
public interface PolicyPrompts {
    /**
     * Opens a prompt for a call the policy answered with {@code ask}, and returns at once.
     *
     * @param request the call as the calling qube asked for it
     * @param decision the policy's {@link PolicyAction#ASK} decision, with the targets it allows
     * @param timeout how long the prompt waits; positive
     * @return the answer: the user's, or {@link PromptAnswer#timedOut()} when the timeout passed first, or
     *         {@link PromptAnswer#cancelled()} when the prompt was withdrawn (the caller went away, the platform stops).
     *         The stage never completes exceptionally by itself. A caller that no longer needs the answer (its
     *         caller hung up) cancels it ({@code toCompletableFuture().cancel(false)}): that withdraws the prompt as
     *         {@link #cancel} does, without the caller having to know its id.
     * @throws dev.bulkhead.api.InvalidValueException when the decision is not an {@code ask} with at least one target,
     *             or the timeout is not positive
     */
    CompletionStage<PromptAnswer> ask(PolicyRequest request, PolicyDecision decision, Duration timeout);

    /** The prompts waiting for an answer, oldest first. */
    List<Prompt> pending();

    /**
     * Answers a waiting prompt. An allowing answer must name one of the prompt's {@link Prompt#targets()}.
     *
     * @param by who answered, for the call log ({@code console}, {@code gui}, {@code shell})
     * @throws dev.bulkhead.api.InvalidValueException when the answer names a target the prompt does not offer
     * @throws dev.bulkhead.api.InvalidStateException when no prompt of that id waits (answered, timed out, unknown)
     */
    void answer(String promptId, boolean allow, String target, String by);

    /** Withdraws a waiting prompt: its call is answered {@link PromptAnswer#cancelled()}. Unknown ids are ignored. */
    void cancel(String promptId);
}
