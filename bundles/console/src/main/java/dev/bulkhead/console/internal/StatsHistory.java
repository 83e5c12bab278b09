package dev.bulkhead.console.internal;

import java.time.Duration;
import java.time.Instant;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

import dev.bulkhead.api.QubeStats;

/**
 * The recent CPU and memory use of every qube: a bounded ring of samples per qube, the oldest
 * going when a new one comes or when it is older than the retention. A stopped qube keeps its
 * samples until they age out (its chart shows when it stopped); a removed qube's ring goes at the
 * next sample. CPU use is the rate between two samples of one run, as percent of one CPU: the first
 * sample of a run, or one whose counter went back (the qube restarted), has none.
 */
final class StatsHistory {
    /**
     * One sample.
     *
     * @param time        when it was taken, in milliseconds since the epoch
     * @param cpuPercent  CPU use since the sample before, in percent of one CPU; null for the first of a run
     * @param memoryBytes memory in use
     * @param cpuNanos    the qube's CPU time counter, to compute the next sample's rate
     */
    record Sample(long time, Double cpuPercent, long memoryBytes, long cpuNanos) {
    }

    private final Duration retention;
    private final Duration period;
    private final int capacity;
    private final Map<String, Deque<Sample>> rings = new LinkedHashMap<>();

    /**
     * @param retention how far back samples are kept
     * @param period    how often samples are taken; with the retention it gives each ring's size
     */
    StatsHistory(Duration retention, Duration period) {
        if (retention.isNegative() || retention.isZero() || period.isNegative() || period.isZero()) {
            throw new IllegalArgumentException("retention and period must be positive: " + retention + ", " + period);
        }
        this.retention = retention;
        this.period = period;
        // one more than fits in the retention, so that a ring spans all of it
        this.capacity = (int) Math.min(100_000, retention.toMillis() / period.toMillis() + 2);
    }

    int capacity() {
        return capacity;
    }

    Duration retention() {
        return retention;
    }

    Duration period() {
        return period;
    }

    /**
     * Adds a sample of each running qube, forgets the rings of qubes that no longer exist and the
     * samples older than the retention.
     *
     * @param running  the stats of each running qube now
     * @param existing the names of every qube that exists now
     */
    synchronized void record(Map<String, QubeStats> running, Set<String> existing, Instant now) {
        rings.keySet().retainAll(existing);
        for (Map.Entry<String, QubeStats> e : running.entrySet()) {
            if (!existing.contains(e.getKey())) {
                continue;
            }
            QubeStats s = e.getValue();
            Deque<Sample> ring = rings.computeIfAbsent(e.getKey(), k -> new ArrayDeque<>());
            long time = s.time().toEpochMilli();
            Sample last = ring.peekLast();
            if (last != null && time <= last.time()) {
                continue;
            }
            Double cpu = last == null || s.cpuNanos() < last.cpuNanos() || last.cpuNanos() < 0 ? null
                    : (s.cpuNanos() - last.cpuNanos()) / ((time - last.time()) * 1e6) * 100;
            ring.addLast(new Sample(time, cpu, s.memoryBytes(), s.cpuNanos()));
            while (ring.size() > capacity) {
                ring.removeFirst();
            }
        }
        for (String stopped : existing) {
            Deque<Sample> ring = rings.get(stopped);
            if (ring != null && !running.containsKey(stopped) && ring.peekLast() != null && ring.peekLast().cpuNanos() >= 0) {
                // marks the end of a run: the next sample after a start has no rate against one before the stop
                ring.addLast(new Sample(now.toEpochMilli(), null, 0, -1));
                while (ring.size() > capacity) {
                    ring.removeFirst();
                }
            }
        }
        long oldest = now.minus(retention).toEpochMilli();
        rings.values().forEach(ring -> {
            while (!ring.isEmpty() && ring.peekFirst().time() < oldest) {
                ring.removeFirst();
            }
        });
        rings.values().removeIf(Deque::isEmpty);
    }

    /** The samples of each qube taken at or after {@code from}, oldest first. */
    synchronized Map<String, List<Sample>> since(Instant from) {
        long t = from.toEpochMilli();
        Map<String, List<Sample>> all = new LinkedHashMap<>();
        rings.forEach((name, ring) -> {
            List<Sample> samples = new ArrayList<>(ring.size());
            for (Sample s : ring) {
                if (s.time() >= t) {
                    samples.add(s);
                }
            }
            if (!samples.isEmpty()) {
                all.put(name, samples);
            }
        });
        return all;
    }
}
