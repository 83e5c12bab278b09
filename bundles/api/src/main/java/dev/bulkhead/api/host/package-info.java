/**
 * Running host programs: {@link dev.bulkhead.api.host.HostCommands}, the one way every bundle starts a
 * program on the host (argument lists only, a timeout, bounded output, the whole process tree killed when
 * it runs too long or is cancelled; a program watched or talked to while it runs has its stdout read line by
 * line, within bounds, and its stdin written), its implementation {@link dev.bulkhead.api.host.ProcessHostCommands},
 * {@link dev.bulkhead.api.host.WatchedProcess}, which follows a host process by pid and start time so
 * that a reused pid is never taken for the process it replaced, and
 * {@link dev.bulkhead.api.host.NetworkNamespaces}, the one helper that makes named network namespaces and
 * the veth pairs between them.
 * <p>
 * 1.2: {@link dev.bulkhead.api.host.HostCommands#pipe}, a program whose three streams the caller joins to others as
 * bytes, with back-pressure both ways.
 */
@Export
@Version("1.2.0")
package dev.bulkhead.api.host;

import org.osgi.annotation.bundle.Export;
import org.osgi.annotation.versioning.Version;
