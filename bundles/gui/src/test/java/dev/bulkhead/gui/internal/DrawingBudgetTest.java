package dev.bulkhead.gui.internal;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.awt.EventQueue;
import java.time.Duration;
import java.time.Instant;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

import org.junit.jupiter.api.Test;

class DrawingBudgetTest {
    @Test
    void aQubeThatOutrunsTheEventThreadWaitsInsteadOfQueueingWithoutBound() throws Exception {
        DrawingBudget budget = new DrawingBudget(100);
        CountDownLatch edtHeld = new CountDownLatch(1);
        CountDownLatch release = new CountDownLatch(1);
        EventQueue.invokeLater(() -> {
            edtHeld.countDown();
            try {
                release.await();
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        });
        assertTrue(edtHeld.await(20, TimeUnit.SECONDS), "the event thread is busy");
        AtomicInteger drawn = new AtomicInteger();
        budget.run(60, drawn::incrementAndGet);
        budget.run(40, drawn::incrementAndGet);
        assertEquals(0, budget.available());

        Thread sender = new Thread(() -> budget.run(1, drawn::incrementAndGet));
        sender.start();
        Instant end = Instant.now().plus(Duration.ofSeconds(20));
        while (sender.getState() != Thread.State.WAITING && Instant.now().isBefore(end)) {
            Thread.onSpinWait();
        }
        assertEquals(Thread.State.WAITING, sender.getState(), "the sender waits for the budget");
        assertEquals(0, drawn.get());

        release.countDown();
        sender.join(20_000);
        EventQueue.invokeAndWait(() -> { });
        assertEquals(3, drawn.get(), "all of it is drawn once the event thread runs");
        assertEquals(100, budget.available());
    }
}
