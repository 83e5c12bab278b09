package dev.bulkhead.api.policy;

/** What a policy rule does with a call it matches. */
public enum PolicyAction {
    /** The call goes ahead, to the target the decision names. */
    ALLOW,
    /** The call is refused. */
    DENY,
    /** The user chooses a target among those the decision lists, or refuses. */
    ASK;

    /** The word the policy files use: {@code allow}, {@code deny}, {@code ask}. */
    public String word() {
        return name().toLowerCase(java.util.Locale.ROOT);
    }
}
