package dev.bulkhead.api.hypervisor;

import org.osgi.annotation.versioning.ConsumerType;

/**
 * A backend whose volumes can be copied, imported, resized and reverted, as {@code qvm-volume} and
 * {@code qvm-clone} offer. Without it, volumes exist only as the domains' starts make them.
 *
 * @since 2.0
 */
@ConsumerType
public interface VolumeStoring {
    /** How this backend keeps volumes. */
    VolumeStorage volumes();
}
