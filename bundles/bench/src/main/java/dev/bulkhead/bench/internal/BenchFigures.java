package dev.bulkhead.bench.internal;

import java.util.List;

/** How the bench turns measured times into the figures it prints. */
final class BenchFigures {
    private BenchFigures() {
    }

    static long percentile(List<Long> values, int pct) {
        List<Long> sorted = values.stream().sorted().toList();
        int index = (int) Math.ceil(pct / 100.0 * sorted.size()) - 1;
        return sorted.get(Math.max(0, Math.min(index, sorted.size() - 1)));
    }

    static double ms(long nanos) {
        return Math.round(nanos / 10_000.0) / 100.0;
    }

    static double ratio(long value, long floor) {
        return Math.round(100.0 * value / floor) / 100.0;
    }
}
