package dev.bulkhead.backend.qemu.internal;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.function.Predicate;
import java.util.stream.Stream;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;

import dev.bulkhead.api.AdminException;
import dev.bulkhead.api.QubeNames;
import dev.bulkhead.api.hypervisor.DomainSpec;

/**
 * Gives each running qube whose {@code maxmem} is above its {@code memory} what it needs in between, as Qubes' qmemman
 * does: at a fixed period it reads the guest's memory statistics (through a virtio balloon that is never inflated, its
 * statistics only) and sets the size its virtio-mem device is asked to plug ({@link MemoryPolicy}). A qube's limits are
 * in its state directory ({@value #LIMITS}, written at its start), so the qubes that outlive the platform are balanced
 * again at its next start.
 */
final class MemoryBalancer implements AutoCloseable {
    /** A qube's limits, in MiB: its {@code memory} and the size of its memory device. */
    static final String LIMITS = "memory-limits";
    static final int DEFAULT_PERIOD_SECONDS = 2;
    static final String PERIOD_HELP = "How often qubes whose maxmem is above their memory get memory plugged or unplugged;"
            + " 0 for never.";
    static final String MARGIN_HELP = "The part of its memory a qube should have available (at least 64 MiB): below it, it"
            + " grows; above twice it, it shrinks.";
    static final int DEFAULT_FREE_PERCENT = 25;
    /** The free margin's least size, whatever its percentage gives. */
    static final int FREE_MINIMUM_MIB = 64;
    private static final System.Logger LOG = System.getLogger(MemoryBalancer.class.getName());
    private static final long MiB = 1024 * 1024;
    private static final String DEVICE_PATH = "/machine/peripheral/" + QemuCommandLine.MEMORY_DEVICE;
    private static final String STATS_PATH = "/machine/peripheral/" + QemuCommandLine.STATS_DEVICE;

    private final DomainLayout layout;
    private final GuestControl control;
    private final Predicate<String> running;
    private final MemoryPolicy policy;
    private final Duration period;
    /** The qubes whose balloon reports statistics at the period: QEMU keeps that setting while it runs. */
    private final Set<String> polling = ConcurrentHashMap.newKeySet();
    /** When (s since the epoch, the host's clock) each domain's requested size last changed. */
    private final Map<String, Long> changed = new ConcurrentHashMap<>();
    private final ScheduledExecutorService timer;

    /**
     * @param running whether a domain's QEMU runs
     * @param period  how often each qube is looked at; zero for never (no thread, {@link #balance} alone)
     */
    MemoryBalancer(DomainLayout layout, GuestControl control, Predicate<String> running, MemoryPolicy policy, Duration period) {
        if (period.isNegative()) {
            throw new IllegalArgumentException("memoryBalanceSeconds " + period.toSeconds() + ": 0 or more");
        }
        this.layout = layout;
        this.control = control;
        this.running = running;
        this.policy = policy;
        this.period = period;
        if (period.isZero()) {
            timer = null;
        } else {
            timer = Executors.newSingleThreadScheduledExecutor(r -> {
                Thread t = new Thread(r, "bulkhead qemu memory balancer");
                t.setDaemon(true);
                return t;
            });
            timer.scheduleWithFixedDelay(this::balanceAll, period.toMillis(), period.toMillis(), TimeUnit.MILLISECONDS);
        }
    }

    static MemoryPolicy policy(int freePercent) {
        return new MemoryPolicy(freePercent, FREE_MINIMUM_MIB * MiB);
    }

    /**
     * Before a domain's start: records its limits when it gets a memory device
     * ({@link QemuCommandLine#memoryHotplug}), forgets them otherwise.
     */
    void prepare(DomainSpec spec) {
        String name = spec.name();
        polling.remove(name);
        changed.remove(name);
        long plug = QemuCommandLine.hotplugBytes(spec);
        Path limits = layout.directory(name).resolve(LIMITS);
        try {
            if (plug == 0) {
                Files.deleteIfExists(limits);
            } else {
                Files.writeString(limits, spec.memoryMiB() + " " + plug / MiB + "\n");
            }
        } catch (IOException e) {
            throw new AdminException("cannot record the memory limits of '" + name + "': " + e.getMessage(), e);
        }
    }

    /** Each running domain with limits, once; a domain that fails is left as it is until the next round. */
    void balanceAll() {
        if (!Files.isDirectory(layout.domains())) {
            return;
        }
        List<String> names;
        try (Stream<Path> dirs = Files.list(layout.domains())) {
            names = dirs.filter(d -> Files.isRegularFile(d.resolve(LIMITS))).map(d -> d.getFileName().toString()).sorted().toList();
        } catch (IOException e) {
            LOG.log(System.Logger.Level.WARNING, "memory balancer: cannot list " + layout.domains() + ": " + e.getMessage());
            return;
        }
        for (String name : names) {
            try {
                if (running.test(QubeNames.validate(name))) {
                    balance(name);
                }
            } catch (RuntimeException e) {
                LOG.log(System.Logger.Level.DEBUG, "memory balancer: '" + name + "' left as it is: " + e.getMessage());
            }
        }
    }

    /**
     * One domain: its statistics, its device's sizes, and a new requested size where the policy asks for one. While
     * the guest is still plugging what it was asked for, or its statistics are older than the last change (QEMU stamps
     * them with the host's time when they arrive), nothing changes.
     *
     * @return the requested size in bytes after this round, empty when the domain has no limits or told nothing usable
     */
    Optional<Long> balance(String name) {
        Optional<long[]> limits = limits(name);
        if (limits.isEmpty()) {
            return Optional.empty();
        }
        long base = limits.get()[0] * MiB;
        long maxPlug = limits.get()[1] * MiB;
        if (!polling.contains(name)) {
            control.monitor(name, "qom-set", property(STATS_PATH, "guest-stats-polling-interval")
                    .put("value", Math.max(1, period.toSeconds())));
            polling.add(name);
        }
        JsonNode device = device(name);
        if (device == null) {
            return Optional.empty();
        }
        long plugged = size(device.path("size"), maxPlug);
        long asked = size(device.path("requested-size"), maxPlug);
        if (plugged < 0 || asked < 0) {
            return Optional.empty();
        }
        if (plugged < asked) {
            return Optional.of(asked);
        }
        JsonNode reported = control.monitor(name, "qom-get", property(STATS_PATH, "guest-stats"));
        if (figure(reported.path("last-update")) <= changed.getOrDefault(name, 0L)) {
            return Optional.of(asked);
        }
        JsonNode stats = reported.path("stats");
        MemoryPolicy.Sample sample = new MemoryPolicy.Sample(figure(stats.path("stat-total-memory")),
                figure(stats.path("stat-available-memory")));
        long target = policy.target(new MemoryPolicy.Device(base, asked, maxPlug, QemuCommandLine.MEMORY_BLOCK), sample);
        if (target != asked) {
            control.monitor(name, "qom-set", property(DEVICE_PATH, "requested-size").put("value", target));
            changed.put(name, System.currentTimeMillis() / 1000);
        }
        return Optional.of(target);
    }

    /** The entry of the domain's memory device in {@code query-memory-devices}, or null. */
    private JsonNode device(String name) {
        JsonNode devices = control.monitor(name, "query-memory-devices");
        for (JsonNode d : devices) {
            if (d.path("type").asText().equals("virtio-mem") && d.path("data").path("id").asText().equals(QemuCommandLine.MEMORY_DEVICE)) {
                return d.path("data");
            }
        }
        return null;
    }

    /** The limits recorded at the domain's start (by this backend, not by the guest), or empty. */
    private Optional<long[]> limits(String name) {
        try {
            String[] words = Files.readString(layout.directory(name).resolve(LIMITS), StandardCharsets.US_ASCII).strip().split(" ");
            long base = Long.parseLong(words[0]);
            long plug = Long.parseLong(words[1]);
            return base > 0 && plug > 0 && words.length == 2 ? Optional.of(new long[] { base, plug }) : Optional.empty();
        } catch (IOException | RuntimeException e) {
            return Optional.empty();
        }
    }

    /** A size QEMU reports of the device, or -1 when it is not a whole number in [0, maxPlug]. */
    private static long size(JsonNode node, long maxPlug) {
        long value = figure(node);
        return value <= maxPlug ? value : -1;
    }

    /**
     * A figure of the guest's: a whole number that fits a long and is not negative, or -1 (QEMU reports a figure the guest
     * did not give as 2^64 - 1).
     */
    static long figure(JsonNode node) {
        if (node == null || !node.isIntegralNumber() || !node.canConvertToLong()) {
            return -1;
        }
        long value = node.asLong();
        return value < 0 ? -1 : value;
    }

    private static ObjectNode property(String path, String property) {
        return JsonNodeFactory.instance.objectNode().put("path", path).put("property", property);
    }

    @Override
    public void close() {
        if (timer != null) {
            timer.shutdownNow();
        }
    }
}
