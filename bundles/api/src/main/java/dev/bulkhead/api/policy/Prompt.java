package dev.bulkhead.api.policy;

import java.time.Instant;
import java.util.List;
import java.util.Objects;

/**
 * A question to the user: may {@code source} call {@code service} in one of {@code targets}?
 *
 * @param id the prompt's id, unguessable, for {@link PolicyPrompts#answer}
 * @param source the calling qube
 * @param service the service, without its argument
 * @param argument the argument with its leading {@code +}; {@code +} alone when there is none
 * @param targetAsked the target as the caller asked for it (may be {@code @default})
 * @param targets the targets the policy allows the user to choose, sorted; never empty
 * @param defaultTarget the target to offer first; {@code null} when there is none
 * @param opened when the prompt was opened
 * @param deadline when it is answered {@link PromptAnswer#timedOut()} unless the user answered before
 */
public record Prompt(String id, String source, String service, String argument, String targetAsked,
        List<String> targets, String defaultTarget, Instant opened, Instant deadline) {
    public Prompt {
        Objects.requireNonNull(id, "id");
        Objects.requireNonNull(source, "source");
        Objects.requireNonNull(service, "service");
        Objects.requireNonNull(argument, "argument");
        Objects.requireNonNull(targetAsked, "targetAsked");
        targets = List.copyOf(targets);
        Objects.requireNonNull(opened, "opened");
        Objects.requireNonNull(deadline, "deadline");
    }
}
