package dev.bulkhead.core.internal;

import dev.bulkhead.testing.Await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;

import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.locks.ReentrantLock;

import org.junit.jupiter.api.Test;

/** The lock of a service qube is there while its calls run or wait, and only then; its calls still run one at a time. */
class ServiceQubeCallsTest {
    private final ServiceQubeCalls calls = new ServiceQubeCalls(new ReentrantLock());

    @Test
    void noLockIsKeptForAQubeOnceItsCallsHaveEnded() {
        for (int i = 0; i < 100; i++) {
            calls.call("sys-" + i, () -> { });
        }
        assertEquals(0, calls.qubesWithCalls());
    }

    @Test
    void callsForOneQubeStillRunOneAtATimeWhileTheLastLeaves() throws InterruptedException {
        List<String> order = new CopyOnWriteArrayList<>();
        CountDownLatch firstIn = new CountDownLatch(1);
        CountDownLatch releaseFirst = new CountDownLatch(1);
        CountDownLatch secondIn = new CountDownLatch(1);
        CountDownLatch releaseSecond = new CountDownLatch(1);
        Thread first = new Thread(() -> calls.call("sys-net", () -> {
            order.add("first in");
            firstIn.countDown();
            await(releaseFirst);
            order.add("first out");
        }));
        first.start();
        firstIn.await();
        Thread second = new Thread(() -> calls.call("sys-net", () -> {
            order.add("second in");
            secondIn.countDown();
            await(releaseSecond);
            order.add("second out");
        }));
        second.start();
        Await.until("the second call to wait for the first", () -> calls.qubesWithCalls() == 1
                && second.getState() == Thread.State.WAITING);
        releaseFirst.countDown();
        secondIn.await();
        // the first has left: a third call must still wait for the second
        Thread third = new Thread(() -> calls.call("sys-net", () -> order.add("third")));
        third.start();
        Await.until("the third call to wait for the second", () -> third.getState() == Thread.State.WAITING);
        releaseSecond.countDown();
        for (Thread t : List.of(first, second, third)) {
            t.join(10_000);
            assertFalse(t.isAlive(), "a call did not end");
        }
        assertEquals(List.of("first in", "first out", "second in", "second out", "third"), order);
        assertEquals(0, calls.qubesWithCalls());
    }

    private static void await(CountDownLatch latch) {
        try {
            latch.await();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
