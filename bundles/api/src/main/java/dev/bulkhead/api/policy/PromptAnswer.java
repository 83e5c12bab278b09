package dev.bulkhead.api.policy;

import java.util.Objects;

/**
 * How a prompt ended.
 *
 * @param outcome allowed, denied, timed out or cancelled
 * @param target for {@link Outcome#ALLOWED}, the target the user chose; {@code null} otherwise
 * @param by who answered ({@code console}, {@code gui}, ...); {@code null} for a timeout or a cancel
 */
public record PromptAnswer(Outcome outcome, String target, String by) {
    /** How a prompt ended. */
    public enum Outcome {
        ALLOWED, DENIED, TIMED_OUT, CANCELLED
    }

    public PromptAnswer {
        Objects.requireNonNull(outcome, "outcome");
        if ((outcome == Outcome.ALLOWED) != (target != null)) {
            throw new IllegalArgumentException("a target is given exactly when the call is allowed");
        }
    }

    public static PromptAnswer allowed(String target, String by) {
        return new PromptAnswer(Outcome.ALLOWED, Objects.requireNonNull(target, "target"), by);
    }

    public static PromptAnswer denied(String by) {
        return new PromptAnswer(Outcome.DENIED, null, by);
    }

    public static PromptAnswer timedOut() {
        return new PromptAnswer(Outcome.TIMED_OUT, null, null);
    }

    public static PromptAnswer cancelled() {
        return new PromptAnswer(Outcome.CANCELLED, null, null);
    }

    public boolean allowed() {
        return outcome == Outcome.ALLOWED;
    }
}
