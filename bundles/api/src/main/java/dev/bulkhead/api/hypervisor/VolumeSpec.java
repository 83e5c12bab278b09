package dev.bulkhead.api.hypervisor;

import java.nio.file.Path;
import java.util.Objects;

/**
 * A volume given to a domain, as in Qubes: {@code root}, {@code private}, {@code volatile},
 * {@code kernel}. {@code source} is a directory tree on the lite backend and an image file on VM
 * backends. A read-only volume may still be given a writable layer by the backend that is
 * discarded at shutdown ({@code snapshot}), as an AppVM's root over its template's.
 */
public record VolumeSpec(String name, Path source, boolean readOnly, boolean snapshot, long sizeBytes) {
    public static final String ROOT = "root";
    public static final String PRIVATE = "private";
    public static final String VOLATILE = "volatile";
    public static final String KERNEL = "kernel";

    public VolumeSpec {
        Objects.requireNonNull(name, "name");
        Objects.requireNonNull(source, "source");
    }
}
