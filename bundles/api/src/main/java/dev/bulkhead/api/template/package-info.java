/**
 * Templates, as {@code qvm-template} handles them: a signed package whose payload becomes the root
 * of a TemplateVM. A package holds a manifest (name, version, backends, volume sizes, the SHA-256 of
 * every payload file), its Ed25519 signature, and the payload: a root filesystem archive for the
 * lite backend; a kernel, an initramfs and a disk image for VM backends.
 */
@Export
@Version("1.0.0")
package dev.bulkhead.api.template;

import org.osgi.annotation.bundle.Export;
import org.osgi.annotation.versioning.Version;
