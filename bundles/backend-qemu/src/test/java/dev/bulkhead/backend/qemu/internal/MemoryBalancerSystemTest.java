package dev.bulkhead.backend.qemu.internal;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.atomic.AtomicLong;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import dev.bulkhead.api.ExecResult;
import dev.bulkhead.api.QubeClass;
import dev.bulkhead.api.host.ProcessHostCommands;
import dev.bulkhead.api.hypervisor.DomainSpec;
import dev.bulkhead.testing.Await;
import dev.bulkhead.testing.SystemTest;

/**
 * A qube with memory=256 and maxmem=768 on the real QEMU (TCG): its guest starts with about 256 MiB, gets more
 * plugged (virtio-mem) as it fills a tmpfs, never beyond 768 MiB, and gives it back once the files are gone.
 */
@SystemTest
class MemoryBalancerSystemTest {
    private static final Duration EXEC_TIMEOUT = Duration.ofSeconds(30);
    private static final long MiB = 1024 * 1024;
    private static final int CHUNK_MIB = 32;
    private static final int FILL_MIB = 384;

    @TempDir
    Path temp;
    private QemuBackend backend;

    @AfterEach
    void destroy() {
        if (backend != null) {
            backend.destroy("mem");
            backend.deactivate();
        }
    }

    @Test
    void aGuestGrowsTowardsMaxmemAsItFillsMemoryAndShrinksBackWhenItFreesIt() {
        backend = new QemuBackend(temp.resolve("data"), QemuBackendSystemTest.tcgSettings(), HostPaths.system(),
                new ProcessHostCommands(), dev.bulkhead.api.host.NetworkNamespaces.DIRECTORY, MemoryBalancer.policy(25), Duration.ofSeconds(1));
        backend.start(new DomainSpec("mem", 9, QubeClass.AppVM, 256, 768, 1, "", false, List.of()));
        long first = memTotal();
        System.out.printf("memory balancer: MemTotal at start %d MiB%n", first / MiB);
        assertTrue(first > 150 * MiB && first <= 256 * MiB, "MemTotal " + first / MiB + " MiB of a guest with memory=256");
        assertTrue(sh("cat /proc/cmdline").contains(QemuCommandLine.HOTPLUG_OPTIONS), "hot-plugged memory is onlined movable");

        AtomicLong highest = new AtomicLong(first);
        sh("mkdir -p /mnt/fill && mount -t tmpfs -o size=700m tmpfs /mnt/fill");
        for (int written = 0; written < FILL_MIB; written += CHUNK_MIB) {
            sh("dd if=/dev/zero of=/mnt/fill/" + written + " bs=1M count=" + CHUNK_MIB + " 2>/dev/null");
            // the next chunk once the balancer has given back the margin the last one took
            Await.until("a margin of available memory after " + (written + CHUNK_MIB) + " MiB written", Duration.ofSeconds(90),
                    () -> {
                        long total = memTotal();
                        highest.accumulateAndGet(total, Math::max);
                        assertTrue(total <= 768 * MiB, "MemTotal " + total / MiB + " MiB beyond maxmem=768");
                        return memAvailable() >= CHUNK_MIB * 3 / 2 * MiB;
                    }, () -> meminfo());
        }
        long grown = memTotal();
        System.out.printf("memory balancer: MemTotal with %d MiB in a tmpfs %d MiB, highest %d MiB, QEMU holds %d MiB%n", FILL_MIB,
                grown / MiB, highest.get() / MiB, backend.stats("mem").orElseThrow().memoryBytes() / MiB);
        assertTrue(grown > 256 * MiB + FILL_MIB / 2 * MiB, "MemTotal " + grown / MiB + " MiB after " + FILL_MIB + " MiB were written");
        assertTrue(highest.get() <= 768 * MiB, "MemTotal reached " + highest.get() / MiB + " MiB, beyond maxmem=768");

        sh("rm -f /mnt/fill/*");
        Await.until("MemTotal back near its start once the files are gone", Duration.ofSeconds(120),
                () -> memTotal() <= first + CHUNK_MIB * MiB, () -> meminfo());
        System.out.printf("memory balancer: MemTotal after freeing %d MiB, QEMU holds %d MiB%n", memTotal() / MiB,
                backend.stats("mem").orElseThrow().memoryBytes() / MiB);
    }

    private long memTotal() {
        return meminfoKiB("MemTotal") * 1024;
    }

    private long memAvailable() {
        return meminfoKiB("MemAvailable") * 1024;
    }

    private long meminfoKiB(String field) {
        return Long.parseLong(sh("grep '^" + field + ":' /proc/meminfo").replaceAll("[^0-9]", ""));
    }

    private String meminfo() {
        return sh("grep -E '^(MemTotal|MemAvailable|Shmem):' /proc/meminfo").replace('\n', ' ');
    }

    private String sh(String command) {
        ExecResult r = backend.exec("mem", List.of("sh", "-c", command), new byte[0], EXEC_TIMEOUT);
        assertEquals(0, r.exitStatus(), command + ": " + r.stderrText());
        return r.stdoutText();
    }
}
