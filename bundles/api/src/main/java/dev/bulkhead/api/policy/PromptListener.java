package dev.bulkhead.api.policy;

import org.osgi.annotation.versioning.ConsumerType;

/**
 * Told when prompts open and end, to show them (the console's event stream, dom0's dialog). Register as a
 * whiteboard service. Calls come from the policy's own threads and must return quickly; a listener that throws is
 * logged and told the next event all the same.
 *
 * @since 1.1
 */
@ConsumerType
public interface PromptListener {
    /** A prompt waits for an answer. */
    void opened(Prompt prompt);

    /** A prompt ended: answered, timed out or cancelled. */
    void closed(Prompt prompt, PromptAnswer answer);
}
