package dev.bulkhead.api.hypervisor;

import java.nio.file.Path;
import java.util.Objects;

import dev.bulkhead.api.InvalidValueException;

/**
 * A volume given to a domain, with Qubes' semantics: {@code root}, {@code private},
 * {@code volatile}, {@code kernel}.
 * <p>
 * {@code source} is a directory that holds the volume's storage, laid out by the backend as it
 * needs (the lite backend keeps a root as a directory tree and a private volume as an ext4 image;
 * VM backends keep image files). The core names the directory and never looks inside.
 * <ul>
 * <li>Persistent ({@code saveOnStop}, not {@code snapshot}): the domain works on the volume's own
 * storage, which the backend makes, empty and of {@code sizeBytes}, when it does not exist yet. Before
 * each start the backend keeps the content as a revision when {@code revisionsToKeep} is above 0,
 * and keeps no more than that many. A TemplateVM's root, every private volume of AppVMs and
 * TemplateVMs.</li>
 * <li>Snapshot ({@code snapshot}): {@code source} is the storage of another volume, which the domain
 * sees as it was at start, through a writable layer that the backend discards when the domain stops
 * (overlayfs on lite, a qcow2 file backed by the image on VM backends). An AppVM's root over its
 * template's root; a disposable's private volume over its template's.</li>
 * <li>Volatile (neither): fresh and empty at each start, gone at stop; {@code source} is where the
 * backend may keep it meanwhile. The lite backend keeps it in memory and puts the writable layers of
 * snapshot volumes in it.</li>
 * </ul>
 * {@code readOnly} volumes are given to the domain read-only.
 */
public record VolumeSpec(String name, Path source, boolean readOnly, boolean snapshot, long sizeBytes,
        boolean saveOnStop, int revisionsToKeep) {
    public static final String ROOT = "root";
    public static final String PRIVATE = "private";
    public static final String VOLATILE = "volatile";
    public static final String KERNEL = "kernel";

    public VolumeSpec {
        Objects.requireNonNull(name, "name");
        Objects.requireNonNull(source, "source");
        if (snapshot && saveOnStop) {
            throw new InvalidValueException("volume " + name, "snapshot and saveOnStop",
                    "a snapshot is discarded at stop; a volume that is kept is not a snapshot");
        }
        if (sizeBytes < 0) {
            throw new InvalidValueException("size of volume " + name, Long.toString(sizeBytes), "0 or more bytes");
        }
        if (revisionsToKeep < 0 || revisionsToKeep > 0 && !saveOnStop) {
            throw new InvalidValueException("revisions_to_keep of volume " + name, Integer.toString(revisionsToKeep),
                    "0 or more, and only for a volume that is kept at stop");
        }
    }

    /** The form of API 1.0: a snapshot is discarded at stop, any other volume is kept, no revisions. */
    public VolumeSpec(String name, Path source, boolean readOnly, boolean snapshot, long sizeBytes) {
        this(name, source, readOnly, snapshot, sizeBytes, !snapshot, 0);
    }

    /** A volume kept across starts, in the storage under {@code source}. */
    public static VolumeSpec persistent(String name, Path source, long sizeBytes, int revisionsToKeep) {
        return new VolumeSpec(name, source, false, false, sizeBytes, true, revisionsToKeep);
    }

    /** A writable snapshot of the volume whose storage is under {@code origin}, discarded at stop. */
    public static VolumeSpec snapshotOf(String name, Path origin, long sizeBytes) {
        return new VolumeSpec(name, origin, false, true, sizeBytes, false, 0);
    }

    /** A fresh, empty volume for each start. */
    public static VolumeSpec fresh(String name, Path source, long sizeBytes) {
        return new VolumeSpec(name, source, false, false, sizeBytes, false, 0);
    }

    /** Whether the domain starts each time with an empty volume. */
    public boolean isVolatile() {
        return !snapshot && !saveOnStop;
    }
}
