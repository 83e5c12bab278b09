/**
 * Qrexec policy: which qube may call which service in which other qube, decided in dom0 by rules in
 * Qubes' policy format ({@code etc/policy.d/*.policy}, qubes-core-qrexec v5). {@link dev.bulkhead.api.policy.QrexecPolicy}
 * evaluates a {@link dev.bulkhead.api.policy.PolicyRequest} into a {@link dev.bulkhead.api.policy.PolicyDecision}
 * that names the {@link dev.bulkhead.api.policy.PolicyRule} that made it, lists the rules in force and loads them
 * again; a set of files with an error is refused whole ({@link dev.bulkhead.api.policy.PolicySyntaxException}) and
 * the rules in force stay.
 */
@Export
@Version("1.0.0")
package dev.bulkhead.api.policy;

import org.osgi.annotation.bundle.Export;
import org.osgi.annotation.versioning.Version;
