package dev.bulkhead.api;

import java.util.List;
import java.util.Objects;

/**
 * One volume of a qube, as {@code qvm-volume info} shows it. Every qube but dom0 has {@code root},
 * {@code private} and {@code volatile}.
 *
 * @param qube            the qube it belongs to
 * @param name            {@code root}, {@code private} or {@code volatile}
 * @param pool            the backend that keeps it ({@code lite}, ...)
 * @param vid             where the backend keeps it on the host; empty when it has no storage of its
 *                        own (yet, or ever: a snapshot, the built-in root, a volatile volume)
 * @param rw              whether the qube may write to it
 * @param source          for a volume taken fresh from another one at each start, that one as
 *                        {@code QUBE:VOLUME}; empty otherwise
 * @param saveOnStop      whether what the qube wrote is kept when it stops
 * @param snapOnStart     whether it starts each time as a snapshot of {@code source}
 * @param size            its size limit in bytes
 * @param usage           bytes it takes on the host now
 * @param revisionsToKeep how many earlier states are kept for revert
 * @param revisions       the kept states, newest first
 */
public record VolumeInfo(String qube, String name, String pool, String vid, boolean rw, String source,
        boolean saveOnStop, boolean snapOnStart, long size, long usage, int revisionsToKeep,
        List<VolumeRevision> revisions) {
    public VolumeInfo {
        Objects.requireNonNull(qube, "qube");
        Objects.requireNonNull(name, "name");
        Objects.requireNonNull(pool, "pool");
        Objects.requireNonNull(vid, "vid");
        Objects.requireNonNull(source, "source");
        revisions = List.copyOf(revisions);
    }

    /** Whether {@link QubeAdmin#revertVolume} has a state to go back to. */
    public boolean revertPossible() {
        return !revisions.isEmpty();
    }
}
