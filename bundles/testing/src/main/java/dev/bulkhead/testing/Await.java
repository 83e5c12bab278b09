package dev.bulkhead.testing;

import java.time.Duration;
import java.util.function.BooleanSupplier;
import java.util.function.Supplier;

/**
 * The one way tests wait for what happens on another thread or in another process: poll a
 * condition until it holds, at most for a bound, and fail naming the awaited condition (and, if
 * given, what was observed instead).
 */
public final class Await {
    /** The bound most waits use: generous for a loaded machine, short enough to fail a hung test quickly. */
    public static final Duration DEFAULT_BOUND = Duration.ofSeconds(10);
    private static final long FIRST_PAUSE_NANOS = 1_000_000;
    private static final long LONGEST_PAUSE_NANOS = 50_000_000;

    private Await() {
    }

    /** Waits at most {@link #DEFAULT_BOUND} for {@code condition}, named {@code what}. */
    public static void until(String what, BooleanSupplier condition) {
        until(what, DEFAULT_BOUND, condition);
    }

    public static void until(String what, Duration bound, BooleanSupplier condition) {
        until(what, bound, condition, () -> null);
    }

    /**
     * Waits at most {@code bound} for {@code condition}, named {@code what}; on timeout the failure
     * also says what {@code observed} reports at that moment.
     */
    public static void until(String what, Duration bound, BooleanSupplier condition, Supplier<String> observed) {
        long start = System.nanoTime();
        long pause = FIRST_PAUSE_NANOS;
        while (!condition.getAsBoolean()) {
            if (System.nanoTime() - start > bound.toNanos()) {
                String seen = observed.get();
                throw new AssertionError("not within " + bound.toMillis() + " ms: " + what + (seen == null ? "" : "; observed: " + seen));
            }
            try {
                Thread.sleep(pause / 1_000_000, (int) (pause % 1_000_000));
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new AssertionError("interrupted while waiting for: " + what, e);
            }
            pause = Math.min(pause * 2, LONGEST_PAUSE_NANOS);
        }
    }
}
