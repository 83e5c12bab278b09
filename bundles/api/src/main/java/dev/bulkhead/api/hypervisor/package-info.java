/**
 * The hypervisor SPI: what a backend bundle (lite, qemu, xen) implements so that the core can run
 * qubes on it. Role logic never depends on the backend; it talks to qubes through this SPI.
 */
@Export
@Version("1.2.0")
package dev.bulkhead.api.hypervisor;

import org.osgi.annotation.bundle.Export;
import org.osgi.annotation.versioning.Version;
