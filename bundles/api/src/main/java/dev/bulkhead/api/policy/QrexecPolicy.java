package dev.bulkhead.api.policy;

import java.util.List;

import org.osgi.annotation.versioning.ProviderType;

/**
 * The qrexec policy: decides who may call which service where. The rules are read from the policy directory's
 * {@code *.policy} files in lexical order, with their {@code !include}s; the first rule that matches a request decides,
 * and a request that none matches is denied. The facts a rule may test (whether a qube exists, its class and tags,
 * {@code template_for_dispvms}, {@code default_dispvm}, whether it runs) are taken from the admin service at each
 * evaluation.
 */
@ProviderType
public interface QrexecPolicy {
    /**
     * Decides on a request. A denied request and one for a target that does not exist get the same kind of answer
     * (a {@link PolicyAction#DENY} decision), so that a caller cannot learn which qubes exist.
     *
     * @throws dev.bulkhead.api.InvalidValueException when the request is malformed: a service or argument with
     *             characters outside Qubes' set ({@code A-Z a-z 0-9 - . _}, and {@code +} in the argument), longer
     *             than Qubes allows, or a source that is no qube name
     */
    PolicyDecision evaluate(PolicyRequest request);

    /** The rules in force, in the order they are tried. */
    List<PolicyRule> rules();

    /** The policy in force and the outcome of the last load. */
    PolicyStatus status();

    /**
     * Reads the policy directory again and puts its rules in force, all at once.
     *
     * @return the new status
     * @throws PolicySyntaxException when a file has an error; the rules in force stay, and {@link #status()} names the
     *             problem
     */
    PolicyStatus reload();
}
