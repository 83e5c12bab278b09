/**
 * Qubes' firewall rule model: an ordered list per qube, first match wins, an implicit drop at the
 * end, and the {@code qvm-firewall} text form ({@code action=accept proto=tcp dstports=443 ...}).
 */
@Export
@Version("1.2.0")
package dev.bulkhead.api.firewall;

import org.osgi.annotation.bundle.Export;
import org.osgi.annotation.versioning.Version;
