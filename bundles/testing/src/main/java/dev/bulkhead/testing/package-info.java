/**
 * Test support: scratch network namespaces for tests that act on the kernel's network stack (exported so
 * that integration tests inside the framework use the same helper), a recording role context for roles,
 * and a recording fake of the host-command service.
 */
@Export
@Version("1.0.0")
package dev.bulkhead.testing;

import org.osgi.annotation.bundle.Export;
import org.osgi.annotation.versioning.Version;
