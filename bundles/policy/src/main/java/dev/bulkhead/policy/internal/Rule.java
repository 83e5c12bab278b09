package dev.bulkhead.policy.internal;

import dev.bulkhead.api.policy.PolicyAction;
import dev.bulkhead.api.policy.PolicyRule;

/**
 * One parsed rule: {@code SERVICE +ARGUMENT SOURCE TARGET ACTION [PARAMS]}.
 *
 * @param service the service, null for {@code *}
 * @param argument the argument with its {@code +}, null for {@code *}
 * @param redirect {@code target=}, or null
 * @param defaultTarget {@code default_target=} (ask only), or null
 * @param user {@code user=}, or null
 * @param notifyUser {@code notify=}, with the action's default (yes for deny, no otherwise)
 * @param autostart {@code autostart=}, default yes
 * @param origin where it stands and its text
 */
record Rule(String service, String argument, Token source, Token target, PolicyAction action, Token redirect,
        Token defaultTarget, String user, boolean notifyUser, boolean autostart, PolicyRule origin) {
}
