package dev.bulkhead.core.internal;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;

import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;

import dev.bulkhead.api.AdminException;
import dev.bulkhead.api.ExecResult;
import dev.bulkhead.api.PowerState;
import dev.bulkhead.api.QubeStats;
import dev.bulkhead.api.VolumeRevision;
import dev.bulkhead.api.hypervisor.DomainExitListener;
import dev.bulkhead.api.hypervisor.DomainLinking;
import dev.bulkhead.api.hypervisor.DomainSpec;
import dev.bulkhead.api.hypervisor.DomainStatus;
import dev.bulkhead.api.hypervisor.DomainUplinking;
import dev.bulkhead.api.hypervisor.ExitNotifying;
import dev.bulkhead.api.hypervisor.HypervisorBackend;
import dev.bulkhead.api.hypervisor.Leftover;
import dev.bulkhead.api.hypervisor.LeftoverReconciling;
import dev.bulkhead.api.hypervisor.LinkEndpoint;
import dev.bulkhead.api.hypervisor.LinkSpec;
import dev.bulkhead.api.hypervisor.UplinkSpec;
import dev.bulkhead.api.hypervisor.UsageCounting;
import dev.bulkhead.api.hypervisor.VolumeSpec;
import dev.bulkhead.api.hypervisor.VolumeStorage;
import dev.bulkhead.api.hypervisor.VolumeStoring;

/**
 * An in-memory hypervisor for fast tests of the core's logic. Its twin, the real lite backend,
 * is exercised by the integration tests. A volume's storage is a directory {@code current} in the
 * volume's storage directory (made at the first start of a kept volume, as the real backend does),
 * and its revisions are entries of {@code revisions}.
 */
final class FakeBackend implements HypervisorBackend, DomainLinking, DomainUplinking, VolumeStoring, ExitNotifying,
        LeftoverReconciling, UsageCounting {
    /** Every optional ability this fake has. */
    static final List<Class<?>> ABILITIES = List.of(DomainLinking.class, DomainUplinking.class, VolumeStoring.class,
            ExitNotifying.class, LeftoverReconciling.class, UsageCounting.class);

    final Map<String, PowerState> domains = new ConcurrentHashMap<>();
    /** When set, exec fails with it. */
    volatile AdminException execFailure;
    /** When set, start fails with it. */
    volatile AdminException startFailure;
    /** When set, kill, shutdown, pause, unpause and destroy fail with it and change nothing. */
    volatile AdminException hostFailure;
    /**
     * When set, kill and start wait for it to open before they act, and fail as a host command does
     * when the calling thread is interrupted meanwhile: the command killed, nothing done.
     */
    volatile java.util.concurrent.CountDownLatch gate;
    final Map<String, DomainSpec> specs = new ConcurrentHashMap<>();
    final Map<String, LinkSpec> links = new ConcurrentHashMap<>();
    final List<String> calls = new CopyOnWriteArrayList<>();
    /** What {@link #stats} reports for each running domain. */
    final Map<String, QubeStats> stats = new ConcurrentHashMap<>();

    private void failIfAsked() {
        if (hostFailure != null) {
            throw hostFailure;
        }
    }

    private void passGate() {
        java.util.concurrent.CountDownLatch g = gate;
        if (g == null) {
            return;
        }
        try {
            g.await();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new AdminException("interrupted while running 'runc'", e);
        }
    }

    @Override
    public String name() {
        return "lite";
    }

    @Override
    public boolean isSupported() {
        return true;
    }

    @Override
    public void start(DomainSpec spec) {
        calls.add("start " + spec.name());
        passGate();
        if (startFailure != null) {
            throw startFailure;
        }
        if (domains.get(spec.name()) == PowerState.Running) {
            throw new AdminException(spec.name() + " already runs");
        }
        for (VolumeSpec v : spec.volumes()) {
            if (v.saveOnStop() && !volumes.exists(v)) {
                if (v.name().equals(VolumeSpec.ROOT)) {
                    throw new AdminException("root volume " + v.source() + " has no content");
                }
                createDirectories(v.source().resolve("current"));
            }
        }
        domains.put(spec.name(), PowerState.Running);
        specs.put(spec.name(), spec);
    }

    @Override
    public void shutdown(String name, Duration timeout) {
        calls.add("shutdown " + name);
        failIfAsked();
        domains.remove(name);
    }

    @Override
    public void kill(String name) {
        calls.add("kill " + name);
        passGate();
        failIfAsked();
        domains.remove(name);
    }

    @Override
    public void pause(String name) {
        failIfAsked();
        domains.put(name, PowerState.Paused);
    }

    @Override
    public void unpause(String name) {
        failIfAsked();
        domains.put(name, PowerState.Running);
    }

    @Override
    public PowerState state(String name) {
        return domains.getOrDefault(name, PowerState.Halted);
    }

    @Override
    public ExecResult exec(String name, List<String> command, byte[] stdin, Duration timeout) {
        calls.add("exec " + name + " " + String.join(" ", command));
        if (execFailure != null) {
            throw execFailure;
        }
        return new ExecResult(0, name.getBytes(), new byte[0]);
    }

    @Override
    public void destroy(String name) {
        calls.add("destroy " + name);
        failIfAsked();
        domains.remove(name);
    }

    @Override
    public List<DomainStatus> domains() {
        return domains.entrySet().stream().map(e -> new DomainStatus(e.getKey(), e.getValue())).toList();
    }

    /** The keep sets {@link #reconcile} was called with, in order. */
    final List<Set<String>> reconciled = new CopyOnWriteArrayList<>();
    /** The calls made before the latest {@link #reconcile}. */
    volatile List<String> callsBeforeReconcile = List.of();
    /** What {@link #reconcile} reports. */
    volatile List<Leftover> leftovers = List.of();
    /** When set, reconcile fails with it. */
    volatile RuntimeException reconcileFailure;

    @Override
    public List<Leftover> reconcile(Set<String> keep) {
        callsBeforeReconcile = List.copyOf(calls);
        reconciled.add(Set.copyOf(keep));
        if (reconcileFailure != null) {
            throw reconcileFailure;
        }
        return leftovers;
    }

    @Override
    public String consoleLog(String name) {
        return "";
    }

    @Override
    public Optional<QubeStats> stats(String name) {
        return domains.containsKey(name) ? Optional.ofNullable(stats.get(name)) : Optional.empty();
    }

    @Override
    public LinkEndpoint connect(LinkSpec link) {
        calls.add("connect " + link.client() + " " + link.netvm());
        links.put(link.client(), link);
        return new LinkEndpoint(link, "vif" + link.clientQid() + ".0", "eth0");
    }

    @Override
    public void disconnect(LinkSpec link) {
        calls.add("disconnect " + link.client() + " " + link.netvm());
        links.remove(link.client());
    }

    /** The uplinks each domain has now. */
    final Map<String, List<UplinkSpec>> uplinks = new ConcurrentHashMap<>();

    @Override
    public void attachUplink(String name, UplinkSpec uplink) {
        calls.add("attach-uplink " + name + " " + uplink.hostInterface());
        uplinks.computeIfAbsent(name, n -> new CopyOnWriteArrayList<>()).add(uplink);
    }

    @Override
    public void detachUplink(String name, UplinkSpec uplink) {
        calls.add("detach-uplink " + name + " " + uplink.hostInterface());
        uplinks.getOrDefault(name, List.of()).remove(uplink);
    }

    final List<DomainExitListener> exitListeners = new CopyOnWriteArrayList<>();

    @Override
    public void addExitListener(DomainExitListener listener) {
        exitListeners.add(listener);
    }

    @Override
    public void removeExitListener(DomainExitListener listener) {
        exitListeners.remove(listener);
    }

    /**
     * This backend as one named {@code name} that lacks the given optional abilities: it does the
     * rest as this one does, and records what it is asked into the same fields.
     */
    HypervisorBackend lacking(String name, Class<?>... missing) {
        List<Class<?>> kept = new java.util.ArrayList<>(List.of(HypervisorBackend.class));
        ABILITIES.stream().filter(a -> !List.of(missing).contains(a)).forEach(kept::add);
        return (HypervisorBackend) java.lang.reflect.Proxy.newProxyInstance(getClass().getClassLoader(), kept.toArray(Class<?>[]::new),
                (proxy, method, args) -> {
                    if (method.getName().equals("name") && method.getParameterCount() == 0) {
                        return name;
                    }
                    if (method.getDeclaringClass() == Object.class) {
                        return switch (method.getName()) {
                            case "equals" -> proxy == args[0];
                            case "hashCode" -> System.identityHashCode(proxy);
                            default -> "fake backend " + name;
                        };
                    }
                    try {
                        return method.invoke(this, args);
                    } catch (java.lang.reflect.InvocationTargetException e) {
                        throw e.getCause();
                    }
                });
    }

    @Override
    public VolumeStorage volumes() {
        return volumes;
    }

    final VolumeStorage volumes = new VolumeStorage() {
        @Override
        public boolean exists(VolumeSpec volume) {
            return Files.isDirectory(volume.source().resolve("current"));
        }

        @Override
        public void copy(VolumeSpec from, VolumeSpec to) {
            calls.add("copy " + from.source() + " " + to.source());
            copyTree(from.source().resolve("current"), to.source().resolve("current"));
        }

        @Override
        public void importContent(VolumeSpec volume, Path content) {
            calls.add("import " + volume.source());
            createDirectories(volume.source());
            try {
                Files.move(content, volume.source().resolve("current"));
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
        }

        @Override
        public void resize(String domain, VolumeSpec volume, long sizeBytes) {
            calls.add("resize " + volume.source() + " " + sizeBytes);
        }

        @Override
        public long usage(VolumeSpec volume) {
            return exists(volume) ? 4096 : 0;
        }

        @Override
        public List<VolumeRevision> revisions(VolumeSpec volume) {
            Path dir = volume.source().resolve("revisions");
            if (!Files.isDirectory(dir)) {
                return List.of();
            }
            try (var entries = Files.list(dir)) {
                return entries.map(p -> new VolumeRevision(p.getFileName().toString(), Instant.ofEpochMilli(Long.parseLong(p.getFileName().toString()))))
                        .sorted((a, b) -> b.time().compareTo(a.time())).toList();
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
        }

        @Override
        public void revert(VolumeSpec volume, String revision) {
            calls.add("revert " + volume.source() + " " + revision);
        }
    };

    private static void createDirectories(Path dir) {
        try {
            Files.createDirectories(dir);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private static void copyTree(Path from, Path to) {
        try (var walk = Files.walk(from)) {
            for (Path p : walk.toList()) {
                Path dest = to.resolve(from.relativize(p).toString());
                Files.createDirectories(dest.getParent());
                Files.copy(p, dest);
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
