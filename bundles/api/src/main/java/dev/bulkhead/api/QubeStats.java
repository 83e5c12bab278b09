package dev.bulkhead.api;

import java.time.Instant;
import java.util.Objects;

/**
 * What a running qube uses on the host at one moment, as its backend counts it.
 *
 * @param cpuNanos    CPU time used since the qube started, in nanoseconds; the rate between two
 *                    samples is its CPU load
 * @param memoryBytes memory in use now, in bytes
 * @param time        when the sample was taken
 */
public record QubeStats(long cpuNanos, long memoryBytes, Instant time) {
    public QubeStats {
        Objects.requireNonNull(time, "time");
        if (cpuNanos < 0 || memoryBytes < 0) {
            throw new IllegalArgumentException("negative usage: cpu " + cpuNanos + " ns, memory " + memoryBytes + " bytes");
        }
    }
}
