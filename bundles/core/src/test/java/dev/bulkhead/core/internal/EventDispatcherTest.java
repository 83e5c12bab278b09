package dev.bulkhead.core.internal;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import dev.bulkhead.api.QubeEvent;
import dev.bulkhead.api.QubeEventListener;

/** Post-events: ordered per qube, and a slow or throwing listener holds up or breaks no one else. */
class EventDispatcherTest {
    final EventDispatcher events = new EventDispatcher();
    final CountDownLatch release = new CountDownLatch(1);

    @AfterEach
    void close() {
        release.countDown();
        events.close();
    }

    /** A listener that, on the events of {@code qube}, waits until the test releases it. */
    QubeEventListener stuckOn(String qube, List<QubeEvent> seen) {
        return e -> {
            seen.add(e);
            if (e.qube().equals(qube)) {
                try {
                    release.await();
                } catch (InterruptedException x) {
                    Thread.currentThread().interrupt();
                }
            }
        };
    }

    static void await(String what, CountDownLatch latch) throws InterruptedException {
        assertTrue(latch.await(10, TimeUnit.SECONDS), "not within 10 s: " + what);
    }

    @Test
    void eachQubesEventsArriveInTheOrderFired() {
        List<QubeEvent> seen = new CopyOnWriteArrayList<>();
        events.add(seen::add);
        for (int i = 0; i < 500; i++) {
            for (String qube : List.of("a", "b", "c")) {
                events.fire("n", qube, Map.of("i", Integer.toString(i)));
            }
        }
        events.close();
        for (String qube : List.of("a", "b", "c")) {
            List<String> order = new ArrayList<>();
            seen.stream().filter(e -> e.qube().equals(qube)).forEach(e -> order.add(e.data().get("i")));
            List<String> fired = new ArrayList<>();
            for (int i = 0; i < 500; i++) {
                fired.add(Integer.toString(i));
            }
            assertEquals(fired, order, "events of " + qube);
        }
    }

    @Test
    void aListenerStuckOnOneQubeStillReceivesTheOthers() throws InterruptedException {
        CountDownLatch otherQube = new CountDownLatch(1);
        List<QubeEvent> seen = new CopyOnWriteArrayList<>();
        QubeEventListener stuck = stuckOn("slow", seen);
        events.add(e -> {
            stuck.onEvent(e);
            if (e.qube().equals("fast")) {
                otherQube.countDown();
            }
        });
        events.fire("domain-start", "slow");
        events.fire("domain-start", "fast");
        await("the event of another qube while the listener is stuck", otherQube);
    }

    @Test
    void aStuckListenerHoldsUpNoOtherListener() throws InterruptedException {
        events.add(stuckOn("work", new CopyOnWriteArrayList<>()));
        CountDownLatch both = new CountDownLatch(2);
        events.add(e -> both.countDown());
        events.fire("domain-start", "work");
        events.fire("domain-shutdown", "work");
        await("both events at the other listener", both);
    }

    @Test
    void aThrowingListenerBreaksNoOtherAndKeepsReceiving() throws InterruptedException {
        List<String> thrower = new CopyOnWriteArrayList<>();
        events.add(e -> {
            thrower.add(e.type());
            throw new IllegalStateException("listener bug");
        });
        List<String> other = new CopyOnWriteArrayList<>();
        events.add(e -> other.add(e.type()));
        events.fire("one", "work");
        events.fire("two", "work");
        events.close();
        assertEquals(List.of("one", "two"), thrower);
        assertEquals(List.of("one", "two"), other);
    }

    @Test
    void aRemovedListenerReceivesNothingMore() {
        List<QubeEvent> seen = new CopyOnWriteArrayList<>();
        QubeEventListener l = seen::add;
        events.add(l);
        events.fire("one", "work");
        events.close();
        EventDispatcher next = new EventDispatcher();
        next.add(l);
        next.remove(l);
        next.fire("two", "work");
        next.close();
        assertEquals(List.of("one"), seen.stream().map(QubeEvent::type).toList());
    }
}
