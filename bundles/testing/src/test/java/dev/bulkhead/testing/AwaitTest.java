package dev.bulkhead.testing;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Duration;
import java.util.concurrent.atomic.AtomicInteger;

import org.junit.jupiter.api.Test;

class AwaitTest {
    @Test
    void returnsOnceTheConditionHolds() {
        AtomicInteger polls = new AtomicInteger();
        Await.until("the third poll", () -> polls.incrementAndGet() >= 3);
        assertEquals(3, polls.get());
    }

    @Test
    void aConditionThatNeverHoldsFailsNamingItAndWhatWasObserved() {
        AssertionError e = assertThrows(AssertionError.class,
                () -> Await.until("the moon to rise", Duration.ofMillis(20), () -> false, () -> "still dark"));
        assertTrue(e.getMessage().contains("not within 20 ms: the moon to rise; observed: still dark"), e.getMessage());
    }

    @Test
    void anInterruptedWaitFailsAndKeepsTheInterrupt() {
        Thread.currentThread().interrupt();
        try {
            AssertionError e = assertThrows(AssertionError.class, () -> Await.until("nothing", Duration.ofSeconds(5), () -> false));
            assertTrue(e.getMessage().contains("interrupted while waiting for: nothing"), e.getMessage());
            assertTrue(Thread.currentThread().isInterrupted());
        } finally {
            Thread.interrupted();
        }
    }
}
