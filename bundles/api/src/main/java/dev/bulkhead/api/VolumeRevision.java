package dev.bulkhead.api;

import java.time.Instant;
import java.util.Objects;

/**
 * A kept state of a volume, as {@code qvm-volume revert} offers it: the content the volume had
 * before a start of its qube, kept when the volume has {@code revisions_to_keep} above 0.
 *
 * @param name what {@link QubeAdmin#revertVolume} takes
 * @param time when the state was kept
 */
public record VolumeRevision(String name, Instant time) {
    public VolumeRevision {
        Objects.requireNonNull(name, "name");
        Objects.requireNonNull(time, "time");
    }
}
