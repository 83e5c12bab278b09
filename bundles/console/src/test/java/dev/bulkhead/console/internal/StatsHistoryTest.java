package dev.bulkhead.console.internal;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.Set;

import org.junit.jupiter.api.Test;

import dev.bulkhead.api.QubeStats;

class StatsHistoryTest {
    private static final Instant START = Instant.parse("2026-01-01T00:00:00Z");
    private static final Duration PERIOD = Duration.ofSeconds(2);

    private final StatsHistory history = new StatsHistory(Duration.ofMinutes(10), PERIOD);

    /** Samples {@code qube} at START + i periods, with {@code cpuPerPeriod} ns of CPU used in each. */
    private Instant sampleAt(int i, String qube, long cpuNanos, long memory, Set<String> existing) {
        Instant t = START.plus(PERIOD.multipliedBy(i));
        history.record(Map.of(qube, new QubeStats(cpuNanos, memory, t)), existing, t);
        return t;
    }

    @Test
    void aRingHoldsTheWholeRetentionAndNoMore() {
        int tenMinutes = (int) (Duration.ofMinutes(10).toMillis() / PERIOD.toMillis());
        for (int i = 0; i <= 3 * tenMinutes; i++) {
            sampleAt(i, "work", i * 1_000_000L, 1 << 20, Set.of("work"));
        }
        Instant now = START.plus(PERIOD.multipliedBy(3L * tenMinutes));
        List<StatsHistory.Sample> kept = history.since(Instant.EPOCH).get("work");
        assertTrue(kept.size() <= history.capacity(), kept.size() + " samples in a ring of " + history.capacity());
        assertEquals(tenMinutes + 1, kept.size(), "ten minutes of samples, both ends included");
        assertEquals(now.minus(Duration.ofMinutes(10)).toEpochMilli(), kept.get(0).time(), "the oldest is ten minutes old");
        assertEquals(now.toEpochMilli(), kept.get(kept.size() - 1).time());
    }

    @Test
    void samplesOlderThanTheRetentionGoEvenWhenNoNewOnesCome() {
        sampleAt(0, "work", 0, 100, Set.of("work", "other"));
        sampleAt(1, "work", 0, 100, Set.of("work", "other"));
        Instant stopped = START.plus(PERIOD.multipliedBy(2));
        history.record(Map.of(), Set.of("work", "other"), stopped);
        // only another qube runs from now on: work's samples, its stop mark too, age out all the same
        Instant later = stopped.plus(Duration.ofMinutes(10)).plusMillis(1);
        history.record(Map.of("other", new QubeStats(0, 1, later)), Set.of("work", "other"), later);
        assertFalse(history.since(Instant.EPOCH).containsKey("work"), history.since(Instant.EPOCH).toString());
    }

    @Test
    void cpuIsTheRateBetweenTwoSamplesInPercentOfOneCpu() {
        sampleAt(0, "work", 0, 100, Set.of("work"));
        // half a CPU for one period of 2 s: 1 s of CPU time
        sampleAt(1, "work", 1_000_000_000L, 100, Set.of("work"));
        List<StatsHistory.Sample> s = history.since(Instant.EPOCH).get("work");
        assertNull(s.get(0).cpuPercent(), "the first sample of a run has no rate");
        assertEquals(50.0, s.get(1).cpuPercent(), 1e-9);
    }

    @Test
    void aStoppedQubeKeepsItsHistoryWithAnEndMarkAndItsNextRunHasNoRateAgainstTheOld() {
        sampleAt(0, "work", 5_000_000_000L, 300, Set.of("work"));
        sampleAt(1, "work", 6_000_000_000L, 300, Set.of("work"));
        Instant stopped = START.plus(PERIOD.multipliedBy(2));
        history.record(Map.of(), Set.of("work"), stopped);
        history.record(Map.of(), Set.of("work"), stopped.plus(PERIOD));
        // started again: its counter starts from nothing
        sampleAt(4, "work", 1_000_000L, 200, Set.of("work"));

        List<StatsHistory.Sample> s = history.since(Instant.EPOCH).get("work");
        assertEquals(4, s.size(), "two samples, one mark of the stop (not one per period), one of the new run: " + s);
        StatsHistory.Sample mark = s.get(2);
        assertEquals(stopped.toEpochMilli(), mark.time());
        assertEquals(0, mark.memoryBytes(), "a stopped qube uses no memory");
        assertNull(mark.cpuPercent());
        assertNull(s.get(3).cpuPercent(), "no rate across a stop: " + s.get(3));
        assertEquals(200, s.get(3).memoryBytes());
    }

    @Test
    void aRestartBetweenTwoSamplesGivesNoNegativeRate() {
        sampleAt(0, "work", 9_000_000_000L, 300, Set.of("work"));
        sampleAt(1, "work", 10_000_000L, 300, Set.of("work"));
        assertNull(history.since(Instant.EPOCH).get("work").get(1).cpuPercent());
    }

    @Test
    void aRemovedQubesHistoryGoes() {
        sampleAt(0, "work", 0, 100, Set.of("work", "gone"));
        sampleAt(0, "gone", 0, 100, Set.of("work", "gone"));
        assertEquals(Set.of("work", "gone"), history.since(Instant.EPOCH).keySet());
        history.record(Map.of(), Set.of("work"), START.plus(PERIOD));
        assertEquals(Set.of("work"), history.since(Instant.EPOCH).keySet());
    }

    @Test
    void aSampleNotNewerThanTheLastIsIgnored() {
        sampleAt(1, "work", 2, 100, Set.of("work"));
        sampleAt(1, "work", 3, 100, Set.of("work"));
        sampleAt(0, "work", 1, 100, Set.of("work"));
        assertEquals(1, history.since(Instant.EPOCH).get("work").size());
    }

    @Test
    void sinceLeavesOutOlderSamples() {
        for (int i = 0; i < 10; i++) {
            sampleAt(i, "work", i, 100, Set.of("work"));
        }
        assertEquals(3, history.since(START.plus(PERIOD.multipliedBy(7))).get("work").size());
    }

    @Test
    void aRetentionOrPeriodOfNothingIsRefused() {
        assertThrows(IllegalArgumentException.class, () -> new StatsHistory(Duration.ZERO, PERIOD));
        assertThrows(IllegalArgumentException.class, () -> new StatsHistory(Duration.ofMinutes(10), Duration.ZERO));
    }
}
