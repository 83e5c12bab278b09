/**
 * How shell commands read their arguments, beyond what Gogo's {@code @Parameter} expresses.
 */
@Export
@Version("1.0.0")
package dev.bulkhead.api.command;

import org.osgi.annotation.bundle.Export;
import org.osgi.annotation.versioning.Version;
