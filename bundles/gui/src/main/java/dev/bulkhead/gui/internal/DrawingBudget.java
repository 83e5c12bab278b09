package dev.bulkhead.gui.internal;

import java.awt.EventQueue;
import java.util.concurrent.Semaphore;

/**
 * The drawing work one qube may have waiting on AWT's event thread, in pixels. A qube that sends
 * faster than dom0 draws stalls its own stream when its budget is spent, instead of filling dom0's
 * memory with queued updates that every other qube's windows would then wait behind.
 */
final class DrawingBudget {
    /** 16 Mi pixels, 64 MiB of queued pixel data at most per qube. */
    static final int DEFAULT_PIXELS = 1 << 24;

    private final Semaphore pixels;

    DrawingBudget(int pixels) {
        this.pixels = new Semaphore(pixels);
    }

    /**
     * Runs {@code work} on AWT's event thread once {@code cost} pixels (at least one) of the budget
     * are free, waiting for them; they are given back when the work has run.
     */
    void run(int cost, Runnable work) {
        int permits = Math.max(1, cost);
        pixels.acquireUninterruptibly(permits);
        EventQueue.invokeLater(() -> {
            try {
                work.run();
            } finally {
                pixels.release(permits);
            }
        });
    }

    /** Pixels of the budget free now. */
    int available() {
        return pixels.availablePermits();
    }
}
