package dev.bulkhead.api.hypervisor;

import java.nio.file.Path;

import org.osgi.annotation.versioning.ConsumerType;

/**
 * A backend that boots other operating systems ({@code virt_mode=hvm}, {@link DomainSpec#hvm()}): a qube's bootable
 * disk image or ISO is kept in the storage of its {@code root} volume, and the domain's firmware boots it, with no
 * Bulkhead agent inside. Without it, a backend refuses such qubes.
 *
 * @since 2.4
 */
@ConsumerType
public interface BootImages {
    /**
     * Copies a bootable image, given by the user, into the storage of the qube's root volume, replacing what was
     * there. The image is hostile input: it must be a regular file within the backend's size bound, and its format is
     * told by its content alone (never by its name); one the backend cannot boot safely is refused before anything
     * changes.
     *
     * @return the format found, in words (e.g. {@code ISO 9660 image})
     */
    String installBootImage(VolumeSpec root, Path image);

    /** Whether the storage of this root volume holds a boot image. */
    boolean hasBootImage(VolumeSpec root);
}
