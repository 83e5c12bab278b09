/**
 * Test support: scratch network namespaces for tests that act on the kernel's network stack (exported so
 * that integration tests inside the framework use the same helper), a recording role context for roles,
 * a recording fake of the host-command service, and a role that does nothing for tests that need one present.
 */
@Export
@Version("1.2.0")
package dev.bulkhead.testing;

import org.osgi.annotation.bundle.Export;
import org.osgi.annotation.versioning.Version;
