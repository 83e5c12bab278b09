/**
 * The core without a framework: a plain-Java program (a test, a tool) runs the platform on the backends and roles
 * that {@link java.util.ServiceLoader} finds on its class path.
 */
@Export
@Version("1.0.0")
package dev.bulkhead.core.embed;

import org.osgi.annotation.bundle.Export;
import org.osgi.annotation.versioning.Version;
