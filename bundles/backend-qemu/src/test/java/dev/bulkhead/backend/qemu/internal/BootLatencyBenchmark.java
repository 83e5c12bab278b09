package dev.bulkhead.backend.qemu.internal;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import com.fasterxml.jackson.databind.ObjectMapper;

import dev.bulkhead.api.QubeClass;
import dev.bulkhead.api.host.ProcessHostCommands;
import dev.bulkhead.api.host.WatchedProcess;
import dev.bulkhead.api.hypervisor.DomainSpec;

/**
 * A qube's start until a command has run in it, against a bare {@code qemu-system-x86_64} of the same command line
 * until its guest agent first answers, measured alternately in one run (TCG unless the host has KVM). Not part of
 * the default build: {@code mvn -pl bundles/backend-qemu test -Dgroups=benchmark -Dtest.excludedGroups=
 * -Dtest=BootLatencyBenchmark}.
 */
@Tag("benchmark")
class BootLatencyBenchmark {
    private static final int ROUNDS = 5;
    private static final Duration TIMEOUT = Duration.ofSeconds(120);

    @TempDir
    Path temp;
    private QemuBackend backend;

    @AfterEach
    void destroy() {
        backend.destroy("bench");
    }

    @Test
    void startToExecReady() throws Exception {
        Path data = temp.resolve("data");
        QemuSettings settings = QemuBackendSystemTest.tcgSettings();
        backend = new QemuBackend(data, settings, HostPaths.system(), new ProcessHostCommands());
        DomainLayout layout = new DomainLayout(data);
        DomainSpec spec = QemuBackendSystemTest.spec("bench", 256, 1, "", List.of());
        List<String> bareArgv = QemuCommandLine.of(settings, false, layout, spec, Optional.empty());
        GuestAgentClient agent = new GuestAgentClient(new ObjectMapper());
        QemuProcesses processes = new QemuProcesses(Path.of("/proc"));

        List<Long> qube = new ArrayList<>();
        List<Long> bare = new ArrayList<>();
        for (int i = 0; i < ROUNDS; i++) {
            long began = System.nanoTime();
            backend.start(spec);
            assertEquals(0, backend.exec("bench", List.of("true"), new byte[0], TIMEOUT).exitStatus());
            qube.add(System.nanoTime() - began);
            backend.kill("bench");

            Files.createDirectories(layout.directory("bench"));
            long bareBegan = System.nanoTime();
            assertEquals(0, new ProcessBuilder(bareArgv).inheritIO().start().waitFor());
            long deadline = bareBegan + TIMEOUT.toNanos();
            while (!agent.ping(layout.agentSocket("bench"), Duration.ofSeconds(1))) {
                assertTrue(System.nanoTime() < deadline, "the bare guest's agent did not answer");
            }
            bare.add(System.nanoTime() - bareBegan);
            WatchedProcess qemu = processes.running(layout.pidFile("bench")).orElseThrow();
            qemu.kill();
            qemu.awaitExit(TIMEOUT);
        }
        System.out.printf("qube start to exec done   %s%n", summary(qube));
        System.out.printf("bare qemu to agent ready  %s%n", summary(bare));
        System.out.printf("ratio (p50)               %.2f%n", (double) median(qube) / median(bare));
    }

    private static String summary(List<Long> nanos) {
        List<Long> sorted = nanos.stream().sorted().toList();
        return String.format("p50 %d ms, min %d ms, max %d ms (n=%d)", median(nanos) / 1_000_000, sorted.get(0) / 1_000_000,
                sorted.get(sorted.size() - 1) / 1_000_000, sorted.size());
    }

    private static long median(List<Long> nanos) {
        List<Long> sorted = nanos.stream().sorted().toList();
        return sorted.get(sorted.size() / 2);
    }
}
