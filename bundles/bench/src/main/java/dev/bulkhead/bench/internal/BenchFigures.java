package dev.bulkhead.bench.internal;

import java.util.List;

import com.fasterxml.jackson.databind.node.ObjectNode;

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

    /**
     * Puts the measured times' median and {@code top} percentile ({@code max} for 100), the floor's
     * median as {@code floor_<floorName>_p50}, and how many times the floor the median is: the
     * figures every measurement against a floor reports, under the same names.
     */
    static void putAgainstFloor(ObjectNode out, List<Long> measured, int top, List<Long> floor, String floorName) {
        out.put("p50", ms(percentile(measured, 50)));
        out.put(top == 100 ? "max" : "p" + top, ms(percentile(measured, top)));
        out.put("floor_" + floorName + "_p50", ms(percentile(floor, 50)));
        out.put("ratio_p50", ratio(percentile(measured, 50), percentile(floor, 50)));
    }

    /** Megabytes (10^6 bytes) a second of a stream of this many MiB that took this long, to two decimals. */
    static double mbPerSecond(int mib, long nanos) {
        return Math.round(100.0 * mib * 1.048576 / (nanos / 1e9)) / 100.0;
    }

    /**
     * Puts the throughput of a stream through a chain of qubes under {@code chainName} and of the same bytes through
     * the floor as {@code floor_<floorName>}, both in MB/s, the chain's throughput as a share of the floor's ({@code ratio},
     * as the other throughput figures, to four decimals: a chain of emulated guests runs at a small share of a veth pair)
     * and the stream's size.
     */
    static void putThroughput(ObjectNode out, String chainName, int mib, long chainNanos, String floorName, long floorNanos) {
        out.put(chainName, mbPerSecond(mib, chainNanos));
        out.put("floor_" + floorName, mbPerSecond(mib, floorNanos));
        out.put("ratio", Math.round(10_000.0 * floorNanos / chainNanos) / 10_000.0);
        out.put("stream_mib", mib);
    }
}
