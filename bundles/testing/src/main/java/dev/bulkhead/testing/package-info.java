/**
 * Test support: scratch network namespaces for tests that act on the kernel's network stack (exported so
 * that integration tests inside the framework use the same helper), a recording role context for roles,
 * a recording fake of the host-command service, a role that does nothing for tests that need one present, and a
 * GUI daemon whose sessions a test sets.
 */
@Export
@Version("1.3.0")
package dev.bulkhead.testing;

import org.osgi.annotation.bundle.Export;
import org.osgi.annotation.versioning.Version;
