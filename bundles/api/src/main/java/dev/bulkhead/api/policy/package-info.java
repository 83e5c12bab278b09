/**
 * Qrexec policy: which qube may call which service in which other qube, decided in dom0 by rules in
 * Qubes' policy format ({@code etc/policy.d/*.policy}, qubes-core-qrexec v5). {@link dev.bulkhead.api.policy.QrexecPolicy}
 * evaluates a {@link dev.bulkhead.api.policy.PolicyRequest} into a {@link dev.bulkhead.api.policy.PolicyDecision}
 * that names the {@link dev.bulkhead.api.policy.PolicyRule} that made it, lists the rules in force and loads them
 * again; a set of files with an error is refused whole ({@link dev.bulkhead.api.policy.PolicySyntaxException}) and
 * the rules in force stay.
 * <p>
 * Since 1.1: {@link dev.bulkhead.api.policy.PolicyPrompts} asks the user about a call the policy answers with
 * {@code ask}, shown by {@link dev.bulkhead.api.policy.PromptListener}s; {@link dev.bulkhead.api.policy.CallLog} keeps
 * every call's decision, told to {@link dev.bulkhead.api.policy.CallListener}s; {@link dev.bulkhead.api.policy.PolicyFiles}
 * reads, checks and saves the policy's files for an editor.
 */
@Export
@Version("1.1.0")
package dev.bulkhead.api.policy;

import org.osgi.annotation.bundle.Export;
import org.osgi.annotation.versioning.Version;
