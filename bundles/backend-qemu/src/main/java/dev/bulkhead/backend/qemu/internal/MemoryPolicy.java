package dev.bulkhead.backend.qemu.internal;

/**
 * How much memory a qube should have plugged beyond its {@code memory}, from what its guest reports, as Qubes' qmemman
 * decides: keep a margin of available memory, grow when the guest has less, give back what is well beyond it. A pure
 * function of its arguments; every figure from the guest is hostile, and a sample that cannot be true changes nothing.
 *
 * @param freePercent the margin, in percent of the memory the guest has: below it the qube grows
 * @param freeMinimum the margin's least size in bytes, whatever the percentage gives
 */
record MemoryPolicy(int freePercent, long freeMinimum) {
    private static final long MiB = 1024 * 1024;

    MemoryPolicy {
        if (freePercent < 1 || freePercent > 90) {
            throw new IllegalArgumentException("memoryFreePercent " + freePercent + ": 1 to 90");
        }
        if (freeMinimum < 0) {
            throw new IllegalArgumentException("memoryFreeMinimumMiB " + freeMinimum / MiB + ": 0 or more");
        }
    }

    /**
     * What a qube's memory device holds and may hold, all in bytes: {@code base} is what the guest booted with
     * ({@code memory}), {@code plugged} what the device has plugged now, {@code maxPlug} the device's size
     * ({@code maxmem - memory}), {@code block} its block size (every plugged size is a multiple of it).
     */
    record Device(long base, long plugged, long maxPlug, long block) {
    }

    /**
     * What the guest says of its memory, as QEMU passes its balloon statistics on, in bytes; -1 for a figure it did not
     * report. {@code total} is all the memory the guest's kernel manages, {@code available} what it could give a program
     * without swapping.
     */
    record Sample(long total, long available) {
    }

    /**
     * The size to request of the device: a multiple of its block in [0, maxPlug]. The plugged size when the sample is
     * missing or impossible (a negative figure, more available than total, a total beyond what the qube can have), or
     * the guest is within its margin; more when the guest has less available than the margin; less when it has more
     * than twice the margin, keeping one and a half margins.
     */
    long target(Device device, Sample sample) {
        long plugged = clamp(device, device.plugged());
        if (!plausible(device, sample)) {
            return plugged;
        }
        long total = sample.total();
        long available = sample.available();
        long margin = margin(total);
        if (available < margin) {
            // grow by d so that available + d >= percent * (total + d), and >= the minimum
            long byPercent = ceilDiv(Math.subtractExact(Math.multiplyExact(total, (long) freePercent), Math.multiplyExact(available, 100L)),
                    100L - freePercent);
            long need = Math.max(Math.max(byPercent, freeMinimum - available), 1);
            return clamp(device, plugged + roundUp(need, device.block()));
        }
        if (available > 2 * margin) {
            long surplus = available - margin - margin / 2;
            return clamp(device, plugged - surplus / device.block() * device.block());
        }
        return plugged;
    }

    private long margin(long total) {
        return Math.max(total / 100 * freePercent, freeMinimum);
    }

    /**
     * Figures the guest could truly report: each known and not negative, no more available than total, and no more total
     * than base plus maxPlug (which bounds every product above).
     */
    private static boolean plausible(Device device, Sample sample) {
        return sample.total() > 0 && sample.available() >= 0 && sample.available() <= sample.total()
                && sample.total() <= device.base() + device.maxPlug();
    }

    private static long clamp(Device device, long size) {
        long max = device.maxPlug() / device.block() * device.block();
        long s = Math.max(0, Math.min(size, max));
        return s / device.block() * device.block();
    }

    private static long roundUp(long value, long block) {
        return ceilDiv(value, block) * block;
    }

    private static long ceilDiv(long value, long divisor) {
        return -Math.floorDiv(-value, divisor);
    }
}
