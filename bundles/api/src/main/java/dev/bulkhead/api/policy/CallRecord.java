package dev.bulkhead.api.policy;

import java.time.Instant;
import java.util.Objects;

/**
 * One call between qubes (or from or to dom0), as the call log keeps it: who asked what, and what was decided.
 * Never the data the call carried.
 *
 * @param time when the decision was made
 * @param source the calling qube ({@code dom0} for dom0)
 * @param service the service, without its argument
 * @param argument the argument with its leading {@code +}; {@code +} alone when there is none
 * @param targetAsked the target as the caller asked for it
 * @param target the qube the call went to ({@code @dispvm:T} resolved to the disposable's name when one was made);
 *            {@code null} when it was denied
 * @param action the policy's action for the call ({@link PolicyAction#ASK} for a call the user answered)
 * @param allowed whether the call was let through
 * @param detail one line: the rule ({@code FILE:LINE}), who answered an {@code ask} or that it timed out, why it
 *            failed, and the exit status when the call has ended
 */
public record CallRecord(Instant time, String source, String service, String argument, String targetAsked,
        String target, PolicyAction action, boolean allowed, String detail) {
    public CallRecord {
        Objects.requireNonNull(time, "time");
        Objects.requireNonNull(source, "source");
        Objects.requireNonNull(service, "service");
        Objects.requireNonNull(argument, "argument");
        Objects.requireNonNull(targetAsked, "targetAsked");
        Objects.requireNonNull(action, "action");
        Objects.requireNonNull(detail, "detail");
    }
}
