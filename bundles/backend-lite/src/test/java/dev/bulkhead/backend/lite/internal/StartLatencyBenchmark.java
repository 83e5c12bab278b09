package dev.bulkhead.backend.lite.internal;

import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import dev.bulkhead.api.QubeClass;
import dev.bulkhead.api.host.HostCommand;
import dev.bulkhead.api.host.ProcessHostCommands;
import dev.bulkhead.api.hypervisor.DomainSpec;

/**
 * Start latency of a qube against a bare {@code runc run -d} of the same bundle in a fresh netns, measured
 * alternately in one run. Needs root; not part of the default build:
 * {@code mvn -pl bundles/backend-lite test -Dgroups=benchmark -Dtest.excludedGroups= -Dtest=StartLatencyBenchmark}.
 */
@Tag("benchmark")
class StartLatencyBenchmark {
    private static final int WARMUP = 5;
    private static final int ROUNDS = 21;

    @TempDir
    Path temp;
    private LiteBackend backend;

    @AfterEach
    void destroy() {
        backend.destroy("bench");
    }

    @Test
    void startLatency() throws Exception {
        Path data = temp.resolve("data");
        ProcessHostCommands executor = new ProcessHostCommands();
        backend = new LiteBackend(data, LiteBackendSystemTest.SETTINGS, executor, HostPaths.system());
        InstanceLayout layout = new InstanceLayout(data);
        // No volumes: the bare run below reuses the qube's config.json, which must not name mounts made for a start.
        DomainSpec spec = new DomainSpec("bench", 9, QubeClass.AppVM, 256, 256, 1, "", false, List.of());
        String netns = layout.netnsName("bench");
        Duration timeout = Duration.ofSeconds(30);
        HostCommand bareRun = HostCommand.of(timeout, List.of("runc", "--root", layout.runcRoot().toString(), "run", "-d",
                "--bundle", layout.domainDirectory("bench").toString(), "bench")).withOutputTo(layout.consoleLog("bench"));

        List<Long> qube = new ArrayList<>();
        List<Long> bare = new ArrayList<>();
        List<Long> shutdown = new ArrayList<>();
        for (int i = 0; i < WARMUP + ROUNDS; i++) {
            long began = System.nanoTime();
            backend.start(spec);
            long started = System.nanoTime();
            backend.shutdown("bench", Duration.ofSeconds(5));
            long stopped = System.nanoTime();

            executor.runOrThrow(HostCommand.of(timeout, List.of("ip", "netns", "add", netns)));
            executor.runOrThrow(HostCommand.of(timeout, List.of("ip", "-n", netns, "link", "set", "lo", "up")));
            long bareBegan = System.nanoTime();
            executor.runOrThrow(bareRun);
            long bareStarted = System.nanoTime();
            backend.kill("bench");

            if (i >= WARMUP) {
                qube.add(started - began);
                shutdown.add(stopped - started);
                bare.add(bareStarted - bareBegan);
            }
        }
        System.out.printf("qube start      %s%n", summary(qube));
        System.out.printf("bare runc run   %s%n", summary(bare));
        System.out.printf("qube shutdown   %s%n", summary(shutdown));
        System.out.printf("start overhead  p50 %.1f ms%n", (median(qube) - median(bare)) / 1e6);
        assertTrue(median(qube) > 0);
    }

    private static String summary(List<Long> nanos) {
        List<Long> sorted = nanos.stream().sorted().toList();
        return String.format("n=%d min %.1f ms  p50 %.1f ms  p90 %.1f ms  max %.1f ms", sorted.size(), sorted.get(0) / 1e6,
                median(sorted) / 1e6, sorted.get((int) Math.ceil(sorted.size() * 0.9) - 1) / 1e6,
                sorted.get(sorted.size() - 1) / 1e6);
    }

    private static double median(List<Long> nanos) {
        List<Long> sorted = nanos.stream().sorted().toList();
        return sorted.get(sorted.size() / 2);
    }
}
