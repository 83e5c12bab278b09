package dev.bulkhead.api.policy;

import java.util.List;
import java.util.Objects;
import java.util.Optional;

/**
 * What the policy decided for one request.
 *
 * @param action allow, deny or ask
 * @param target for {@code allow}, the qube to connect to: a name, {@code dom0}, or {@code @dispvm:TEMPLATE} for a new
 *            disposable of that template; {@code null} otherwise
 * @param targetsForAsk for {@code ask}, the targets the user may choose from, sorted (names, {@code dom0},
 *            {@code @dispvm:TEMPLATE}); empty otherwise
 * @param defaultTarget for {@code ask}, the target chosen in advance ({@code default_target=}), one of
 *            {@link #targetsForAsk}; {@code null} when there is none
 * @param user the user to run the service as ({@code user=}); {@code null} for the target's default
 * @param autostart whether the target is started for the call when it does not run ({@code autostart=}, default yes)
 * @param notifyUser whether the user is told about the decision ({@code notify=}; default yes for deny, no otherwise)
 * @param rule the rule that decided; {@code null} when no rule matched (then the call is denied)
 * @param reason one line on why: the rule's place for allow and ask, what made the call fail for deny
 */
public record PolicyDecision(PolicyAction action, String target, List<String> targetsForAsk, String defaultTarget,
        String user, boolean autostart, boolean notifyUser, PolicyRule rule, String reason) {
    public PolicyDecision {
        Objects.requireNonNull(action, "action");
        targetsForAsk = List.copyOf(targetsForAsk);
        Objects.requireNonNull(reason, "reason");
    }

    /** The rule that decided, if one matched. */
    public Optional<PolicyRule> matchedRule() {
        return Optional.ofNullable(rule);
    }
}
