package dev.bulkhead.backend.qemu.internal;

import java.time.Duration;
import java.util.function.BooleanSupplier;
import java.util.function.Supplier;

/** Waiting for what happens on another thread: polls with a deadline, never a fixed sleep. */
final class BackendAssertions {
    private BackendAssertions() {
    }

    static void awaitTrue(BooleanSupplier condition, Duration timeout, Supplier<String> observed) throws InterruptedException {
        long deadline = System.nanoTime() + timeout.toNanos();
        while (!condition.getAsBoolean()) {
            if (System.nanoTime() - deadline > 0) {
                throw new AssertionError("waited " + timeout.toMillis() + " ms; " + observed.get());
            }
            Thread.sleep(5);
        }
    }
}
