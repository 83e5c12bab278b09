/**
 * The role SPI: what a role bundle (NetVM, FirewallVM, TorVM, VPN-VM, or a third party's) registers
 * so that the core can wire it into the qubes that carry it. A qube carries a role through its
 * {@value dev.bulkhead.api.role.QubeRole#ROLE_FEATURE} feature; roles come and go at any time.
 */
@Export
@Version("1.4.0")
package dev.bulkhead.api.role;

import org.osgi.annotation.bundle.Export;
import org.osgi.annotation.versioning.Version;
