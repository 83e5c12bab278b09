package dev.bulkhead.core.internal;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.logging.Handler;
import java.util.logging.LogRecord;
import java.util.logging.Logger;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import dev.bulkhead.api.Label;
import dev.bulkhead.api.PowerState;
import dev.bulkhead.api.QubeClass;
import dev.bulkhead.api.QubeSpec;
import dev.bulkhead.api.hypervisor.Leftover;

/** At take-over the core has the backend remove what no running qube owns, and logs each item. */
class TakeOverReconcileTest {
    @TempDir
    Path data;
    private final FakeBackend backend = new FakeBackend();
    private final List<String> log = new CopyOnWriteArrayList<>();
    private final Logger coreLogger = Logger.getLogger(QubeAdminService.class.getName());
    private final Handler capture = new Handler() {
        @Override
        public void publish(LogRecord r) {
            log.add(r.getLevel() + " " + r.getMessage());
        }

        @Override
        public void flush() {
        }

        @Override
        public void close() {
        }
    };
    private QubeAdminService admin;

    @BeforeEach
    void capture() {
        coreLogger.addHandler(capture);
    }

    @AfterEach
    void close() {
        coreLogger.removeHandler(capture);
        if (admin != null) {
            admin.deactivate();
        }
    }

    @Test
    void theBackendKeepsOnlyTheRunningQubesAndEachLeftoverIsLogged() throws IOException {
        admin = start();
        for (String name : List.of("work", "halted")) {
            admin.create(new QubeSpec(name, QubeClass.AppVM, Label.RED, Map.of()));
        }
        admin.start("work");
        admin.deactivate();
        backend.domains.put("ghost", PowerState.Running);
        backend.calls.clear();
        backend.reconciled.clear();
        backend.leftovers = List.of(Leftover.removed("network namespace", "bh-abc123-halted", "the platform runs no qube 'halted'"),
                new Leftover("mount", "/data/lite/domains/halted/volumes", "the platform runs no qube 'halted'", "umount: busy"));

        admin = start();

        assertEquals(List.of(Set.of("work")), backend.reconciled);
        assertTrue(backend.callsBeforeReconcile.contains("destroy ghost"), "unwanted domains are destroyed first: " + backend.calls);
        assertTrue(log.contains("INFO take-over of backend lite: removed network namespace bh-abc123-halted"
                + " (the platform runs no qube 'halted')"), log.toString());
        assertTrue(log.contains("WARNING take-over of backend lite: cannot remove mount /data/lite/domains/halted/volumes"
                + " (the platform runs no qube 'halted'): umount: busy"), log.toString());
        assertEquals(PowerState.Running, admin.get("work").state());
    }

    @Test
    void aBackendThatCannotListItsLeftoversIsTakenOverAllTheSame() throws IOException {
        admin = start();
        admin.create(new QubeSpec("work", QubeClass.AppVM, Label.RED, Map.of()));
        admin.start("work");
        admin.deactivate();
        backend.reconcileFailure = new java.io.UncheckedIOException(new java.io.IOException("/run/netns: Input/output error"));

        admin = start();

        assertEquals(PowerState.Running, admin.get("work").state());
        assertTrue(log.contains("WARNING cannot look for leftovers of backend lite: java.io.IOException: /run/netns: Input/output error"),
                log.toString());
    }

    private QubeAdminService start() throws IOException {
        QubeAdminService a = new QubeAdminService(data, QubeAdminServiceTest.config("auto"));
        a.addBackend(backend);
        return a;
    }
}
