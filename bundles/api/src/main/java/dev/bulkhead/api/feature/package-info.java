/**
 * Features: named groups of bundles and default configuration (OSGi Feature JSON, Compendium R8
 * chapter 160) that a user installs into and uninstalls from the running platform, as in Karaf.
 */
@Export
@Version("1.0.0")
package dev.bulkhead.api.feature;

import org.osgi.annotation.bundle.Export;
import org.osgi.annotation.versioning.Version;
