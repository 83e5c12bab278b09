package dev.bulkhead.backend.qemu.internal;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.atomic.AtomicLong;

import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;

import dev.bulkhead.api.QubeClass;
import dev.bulkhead.api.hypervisor.DomainSpec;

/**
 * One round of the balancer against a fake QMP monitor: what it asks QEMU and what it sets, for a qube with memory=256
 * and maxmem=768; MemoryBalancerSystemTest is the twin against the real QEMU and guest.
 */
class MemoryBalancerTest {
    private static final String GREETING = "{\"QMP\": {\"version\": {}, \"capabilities\": []}}\r\n";
    private static final long MiB = 1024 * 1024;

    @TempDir
    Path temp;
    private DomainLayout layout;
    private MemoryBalancer balancer;

    @BeforeEach
    void setUp() throws Exception {
        layout = new DomainLayout(temp);
        ObjectMapper json = new ObjectMapper();
        GuestControl control = new GuestControl(layout, new QmpClient(json, Duration.ofSeconds(5)), new GuestAgentClient(json),
                Duration.ofSeconds(5));
        balancer = new MemoryBalancer(layout, control, name -> true, MemoryBalancer.policy(25), Duration.ZERO);
        Files.createDirectories(layout.directory("mem"));
        balancer.prepare(new DomainSpec("mem", 9, QubeClass.AppVM, 256, 768, 1, "", false, List.of()));
    }

    /** A monitor whose device has {@code size} plugged of {@code requested}, and whose guest reports {@code stats}. */
    private FakeJsonServer qemu(long size, long requested, String stats) throws Exception {
        return qemu(size, requested, stats, new AtomicLong(Long.MAX_VALUE / 2));
    }

    /** The same, with the statistics stamped {@code lastUpdate} (s since the epoch). */
    private FakeJsonServer qemu(long size, long requested, String stats, AtomicLong lastUpdate) throws Exception {
        String device = "{\"return\": [{\"type\": \"virtio-mem\", \"data\": {\"id\": \"vmem0\", \"size\": " + size
                + ", \"requested-size\": " + requested + ", \"max-size\": " + 512 * MiB + ", \"block-size\": 2097152}}]}\n";
        return new FakeJsonServer(layout.qmpSocket("mem"), GREETING, r -> switch (r.path("execute").asText()) {
            case "qmp_capabilities", "qom-set" -> "{\"return\": {}}\n";
            case "query-memory-devices" -> device;
            case "qom-get" -> "{\"return\": {\"stats\": " + stats + ", \"last-update\": " + lastUpdate.get() + "}}\n";
            default -> "{\"error\": {\"class\": \"CommandNotFound\", \"desc\": \"no\"}}\n";
        });
    }

    private static String stats(String total, String available) {
        return "{\"stat-total-memory\": " + total + ", \"stat-available-memory\": " + available + ", \"stat-free-memory\": 0}";
    }

    private static List<JsonNode> sets(FakeJsonServer qemu, String property) {
        return qemu.requests().stream().filter(r -> r.path("execute").asText().equals("qom-set")
                && r.path("arguments").path("property").asText().equals(property)).toList();
    }

    @Test
    void aGuestShortOfMemoryIsAskedToPlugMoreAndItsBalloonOnlyReportsStatistics() throws Exception {
        try (FakeJsonServer qemu = qemu(0, 0, stats(Long.toString(200 * MiB), Long.toString(32 * MiB)))) {
            assertEquals(Optional.of(32 * MiB), balancer.balance("mem"));
            List<JsonNode> plug = sets(qemu, "requested-size");
            assertEquals(1, plug.size(), qemu.requests().toString());
            assertEquals("/machine/peripheral/vmem0", plug.get(0).path("arguments").path("path").asText());
            assertEquals(32 * MiB, plug.get(0).path("arguments").path("value").asLong());
            List<JsonNode> polling = sets(qemu, "guest-stats-polling-interval");
            assertEquals("/machine/peripheral/balloon0", polling.get(0).path("arguments").path("path").asText());
            assertFalse(qemu.commands().contains("balloon"), "the balloon is never inflated");

            balancer.balance("mem");
            assertEquals(1, sets(qemu, "guest-stats-polling-interval").size(), "the polling interval is set once");
        }
    }

    @Test
    void statisticsOlderThanTheLastChangeChangeNothing() throws Exception {
        AtomicLong lastUpdate = new AtomicLong(System.currentTimeMillis() / 1000 - 5);
        try (FakeJsonServer qemu = qemu(0, 0, stats(Long.toString(200 * MiB), Long.toString(32 * MiB)), lastUpdate)) {
            assertEquals(Optional.of(32 * MiB), balancer.balance("mem"));
            assertEquals(1, sets(qemu, "requested-size").size());
        }
        Files.deleteIfExists(layout.qmpSocket("mem"));
        // the guest has plugged the 32 MiB; the statistics QEMU holds are still those from before
        try (FakeJsonServer qemu = qemu(32 * MiB, 32 * MiB, stats(Long.toString(200 * MiB), Long.toString(32 * MiB)), lastUpdate)) {
            assertEquals(Optional.of(32 * MiB), balancer.balance("mem"));
            assertEquals(List.of(), sets(qemu, "requested-size"), "stale statistics grow nothing");
            lastUpdate.set(System.currentTimeMillis() / 1000 + 5);
            assertEquals(Optional.of(64 * MiB), balancer.balance("mem"), "newer ones, as short, do");
        }
    }

    @Test
    void hostileStatisticsChangeNothing() throws Exception {
        for (String stats : List.of(stats("18446744073709551615", "18446744073709551615"), stats("-1", "-5"),
                stats("\"200000000\"", "0"), stats(Long.toString(200 * MiB), "1.5e9"), stats(Long.toString(2000 * MiB), "0"),
                stats(Long.toString(100 * MiB), Long.toString(200 * MiB)), "{}", "[1, 2]", "null")) {
            try (FakeJsonServer qemu = qemu(128 * MiB, 128 * MiB, stats)) {
                assertEquals(Optional.of(128 * MiB), balancer.balance("mem"), stats);
                assertEquals(List.of(), sets(qemu, "requested-size"), stats);
            }
            Files.deleteIfExists(layout.qmpSocket("mem"));
        }
    }

    @Test
    void aDeviceSizeBeyondTheLimitsOrAPlugStillUnderWayChangesNothing() throws Exception {
        try (FakeJsonServer qemu = qemu(600 * MiB, 0, stats(Long.toString(200 * MiB), "0"))) {
            assertEquals(Optional.empty(), balancer.balance("mem"));
            assertEquals(List.of(), sets(qemu, "requested-size"));
        }
        Files.deleteIfExists(layout.qmpSocket("mem"));
        try (FakeJsonServer qemu = qemu(64 * MiB, 128 * MiB, stats(Long.toString(200 * MiB), "0"))) {
            assertEquals(Optional.of(128 * MiB), balancer.balance("mem"));
            assertEquals(List.of(), sets(qemu, "requested-size"));
            assertFalse(qemu.commands().contains("qom-get"), "no statistics are read while the guest still plugs");
        }
    }

    @Test
    void aQubeWithoutRoomAboveMemoryIsNotBalanced() throws Exception {
        balancer.prepare(new DomainSpec("mem", 9, QubeClass.AppVM, 256, 256, 1, "", false, List.of()));
        assertFalse(Files.exists(layout.directory("mem").resolve(MemoryBalancer.LIMITS)));
        try (FakeJsonServer qemu = qemu(0, 0, stats(Long.toString(200 * MiB), "0"))) {
            assertEquals(Optional.empty(), balancer.balance("mem"));
            balancer.balanceAll();
            assertTrue(qemu.requests().isEmpty(), qemu.requests().toString());
        }
    }

    @Test
    void everyRunningQubeWithLimitsIsBalancedInARound() throws Exception {
        try (FakeJsonServer qemu = qemu(0, 0, stats(Long.toString(200 * MiB), Long.toString(10 * MiB)))) {
            balancer.balanceAll();
            assertEquals(1, sets(qemu, "requested-size").size(), qemu.requests().toString());
        }
    }
}
