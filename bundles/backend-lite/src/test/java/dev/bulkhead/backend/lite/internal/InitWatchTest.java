package dev.bulkhead.backend.lite.internal;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.util.List;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import dev.bulkhead.api.host.ProcessHostCommands;

/** The watch on real processes: a sleep stands in for a container's init. */
class InitWatchTest {
    private final BlockingQueue<String> deaths = new LinkedBlockingQueue<>();
    private final InitWatch watch = new InitWatch(java.nio.file.Path.of("/proc"), "perl", new ProcessHostCommands(), deaths::add);

    @AfterEach
    void close() {
        watch.close();
    }

    private static Process init() throws IOException {
        return new ProcessBuilder(List.of("sleep", "600")).start();
    }

    @Test
    void aWatchedProcessKilledFromOutsideIsReportedByName() throws Exception {
        Process init = init();
        watch.watch("sys-net", init.pid());
        assertTrue(watch.watches("sys-net"));

        new ProcessBuilder("kill", "-9", Long.toString(init.pid())).start().waitFor();

        assertEquals("sys-net", deaths.poll(10, TimeUnit.SECONDS));
        assertFalse(watch.watches("sys-net"));
    }

    @Test
    void aProcessGoneBeforeTheWatchBeganIsReportedAtOnce() throws Exception {
        Process init = init();
        long pid = init.pid();
        init.destroyForcibly().waitFor();

        watch.watch("work", pid);

        assertEquals("work", deaths.poll(10, TimeUnit.SECONDS));
    }

    @Test
    void anExpectedEndIsNotReported() throws Exception {
        Process first = init();
        Process second = init();
        watch.watch("work", first.pid());
        watch.forget("work");
        first.destroyForcibly().waitFor();
        // the report of a later death shows that nothing of the forgotten watch came before it
        watch.watch("other", second.pid());
        second.destroyForcibly().waitFor();

        assertEquals("other", deaths.poll(10, TimeUnit.SECONDS));
        assertTrue(deaths.isEmpty(), deaths.toString());
    }
}
