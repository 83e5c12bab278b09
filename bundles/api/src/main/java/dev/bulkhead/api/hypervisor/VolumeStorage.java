package dev.bulkhead.api.hypervisor;

import java.nio.file.Path;
import java.util.List;

import org.osgi.annotation.versioning.ConsumerType;

import dev.bulkhead.api.VolumeRevision;

/**
 * How a backend keeps volumes on the host, for the operations on halted (or, for resize, running)
 * domains that {@code qvm-volume} and {@code qvm-clone} offer. Each call takes a
 * {@link VolumeSpec} whose {@code source} names the volume's storage directory; every method throws
 * {@link dev.bulkhead.api.AdminException} with a one-line reason and leaves the storage as it was
 * when it cannot do its work.
 */
@ConsumerType
public interface VolumeStorage {
    /** Whether the volume has storage of its own yet (it is made at the first start otherwise). */
    boolean exists(VolumeSpec volume);

    /** Makes {@code to}, which has no storage yet, a copy of {@code from}'s content (no revisions). */
    void copy(VolumeSpec from, VolumeSpec to);

    /**
     * Replaces the volume's content with {@code content}, which the backend takes over: a directory
     * tree for the lite backend's root, an image file for VM backends. Revisions are kept.
     */
    void importContent(VolumeSpec volume, Path content);

    /** Grows the volume to {@code sizeBytes}, also while {@code domain} runs where the backend can. */
    void resize(String domain, VolumeSpec volume, long sizeBytes);

    /** Bytes the volume and its revisions take on the host. */
    long usage(VolumeSpec volume);

    /** The kept revisions, newest first. */
    List<VolumeRevision> revisions(VolumeSpec volume);

    /** Makes a revision the volume's content again; the revision is used up and the content it replaces is dropped. */
    void revert(VolumeSpec volume, String revision);
}
