package dev.bulkhead.backend.qemu.internal;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.api.Test;

/**
 * The balancer's decision as a table: a qube with memory=256 MiB and maxmem=768 MiB (a 512 MiB device of 2 MiB
 * blocks), a margin of 25 % and at least 64 MiB. Sizes in MiB; -1 is a figure the guest did not report.
 */
class MemoryPolicyTest {
    private static final long MiB = 1024 * 1024;
    private static final MemoryPolicy POLICY = new MemoryPolicy(25, 64 * MiB);

    @ParameterizedTest(name = "{0}: plugged {1}, total {2}, available {3} -> {4}")
    @CsvSource({
            // within the margin: unchanged
            "within the margin,              0,  200,  100,   0",
            "within with something plugged, 128, 330, 120,   128",
            // grow: to keep 25 % (and 64 MiB) available, in whole blocks
            "below the minimum,              0,  200,  32,    32",
            "below the percentage,           128, 330, 70,    146",
            "nothing available,              0,  200,  0,     68",
            "grow stops at maxmem,           500, 700, 10,    512",
            "grow from a full device,        512, 760, 0,     512",
            // shrink: above twice the margin, keep one and a half margins
            "plenty available,               256, 460, 450,   0",
            "some surplus,                   256, 460, 240,   190",
            "shrink stops at memory,         32,  230, 200,   0",
            // hostile or missing statistics: unchanged
            "no total,                       128, -1,  100,   128",
            "no available,                   128, 330, -1,    128",
            "more available than total,      128, 330, 331,   128",
            "total beyond maxmem,            128, 769, 10,    128",
            "zero total,                     128, 0,   0,     128",
            "huge total,                     128, 9223372036854775807, 0, 128",
            // a plugged size QEMU reports out of range is clamped first
            "plugged beyond the device,      600, 700, 300,   512",
            "plugged negative,               -4,  200, 100,   0",
    })
    void decides(String what, long plugged, long total, long available, long expected) {
        MemoryPolicy.Device device = new MemoryPolicy.Device(256 * MiB, mib(plugged), 512 * MiB, 2 * MiB);
        assertEquals(expected * MiB, POLICY.target(device, new MemoryPolicy.Sample(mib(total), mib(available))), what);
    }

    @Test
    void aTargetIsAlwaysWholeBlocks() {
        MemoryPolicy.Device device = new MemoryPolicy.Device(256 * MiB, 0, 512 * MiB, 2 * MiB);
        long target = POLICY.target(device, new MemoryPolicy.Sample(200 * MiB + 12345, 30 * MiB - 777));
        assertEquals(0, target % (2 * MiB), Long.toString(target));
        assertEquals(36 * MiB, target, "34 MiB and a few bytes short of 64 MiB available, rounded up to a block");
    }

    @Test
    void aMarginOutsideItsRangeIsRefused() {
        assertThrows(IllegalArgumentException.class, () -> new MemoryPolicy(0, 0));
        assertThrows(IllegalArgumentException.class, () -> new MemoryPolicy(91, 0));
        assertThrows(IllegalArgumentException.class, () -> new MemoryPolicy(25, -1));
    }

    private static long mib(long value) {
        // a negative figure stays as the guest gave it; one too big to scale stays too big
        return value < 0 || value > Long.MAX_VALUE / MiB ? value : value * MiB;
    }
}
