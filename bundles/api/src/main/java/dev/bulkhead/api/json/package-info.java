/**
 * The platform's one Jackson configuration, which every bundle that reads or writes JSON takes its
 * mappers from.
 */
@Export
@Version("1.0.0")
package dev.bulkhead.api.json;

import org.osgi.annotation.bundle.Export;
import org.osgi.annotation.versioning.Version;
