package dev.bulkhead.backend.qemu.internal;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.function.Function;
import java.util.stream.Stream;

import dev.bulkhead.api.AdminException;
import dev.bulkhead.api.host.WatchedProcess;
import dev.bulkhead.api.hypervisor.Leftover;

/**
 * What a crash of the platform leaves of this backend's domains: QEMUs that are not the live process of a
 * kept domain (one started before its pid file was written, or one of a domain the caller does not keep),
 * and the pid files, sockets and channel directories of domains without a live QEMU. Console logs stay, as for a
 * halted domain.
 */
final class QemuLeftovers {
    private final DomainLayout layout;
    private final QemuProcesses processes;
    private final Duration timeout;
    private final Function<String, Object> lockOf;

    /** @param lockOf the lock that a domain's operations hold */
    QemuLeftovers(DomainLayout layout, QemuProcesses processes, Duration timeout, Function<String, Object> lockOf) {
        this.layout = layout;
        this.processes = processes;
        this.timeout = timeout;
        this.lockOf = lockOf;
    }

    List<Leftover> reconcile(Set<String> keep) {
        List<Leftover> report = new ArrayList<>();
        for (Map.Entry<Long, String> e : processes.ofDomainsUnder(layout.domains()).entrySet()) {
            long pid = e.getKey();
            String name = e.getValue();
            synchronized (lockOf.apply(name)) {
                boolean named = processes.running(layout.pidFile(name)).map(WatchedProcess::pid).equals(Optional.of(pid));
                if (keep.contains(name) && named) {
                    continue;
                }
                String reason = keep.contains(name) ? "its pid file does not name it: domain '" + name + "' runs another"
                        : "the platform runs no qube '" + name + "'";
                Optional<WatchedProcess> process = WatchedProcess.of(pid);
                process.ifPresent(WatchedProcess::kill);
                report.add(process.map(p -> p.awaitExit(timeout)).orElse(true) ? Leftover.removed("QEMU process", Long.toString(pid), reason)
                        : new Leftover("QEMU process", Long.toString(pid), reason, "still there after SIGKILL"));
            }
        }
        for (String name : domainNames()) {
            synchronized (lockOf.apply(name)) {
                if (keep.contains(name) && processes.running(layout.pidFile(name)).isPresent()) {
                    continue;
                }
                String reason = keep.contains(name) ? "domain '" + name + "' has no live QEMU" : "the platform runs no qube '" + name + "'";
                for (Path file : List.of(layout.pidFile(name), layout.qmpSocket(name), layout.agentSocket(name))) {
                    try {
                        if (Files.deleteIfExists(file)) {
                            report.add(Leftover.removed("runtime file", file.toString(), reason));
                        }
                    } catch (IOException x) {
                        report.add(new Leftover("runtime file", file.toString(), reason, x.getMessage()));
                    }
                }
                Path channels = layout.channelDirectory(name);
                if (Files.isDirectory(channels)) {
                    try {
                        try (Stream<Path> sockets = Files.list(channels)) {
                            for (Path socket : sockets.toList()) {
                                Files.deleteIfExists(socket);
                            }
                        }
                        Files.delete(channels);
                        report.add(Leftover.removed("channel directory", channels.toString(), reason));
                    } catch (IOException x) {
                        report.add(new Leftover("channel directory", channels.toString(), reason, x.getMessage()));
                    }
                }
            }
        }
        return report;
    }

    private List<String> domainNames() {
        if (!Files.isDirectory(layout.domains())) {
            return List.of();
        }
        try (Stream<Path> dirs = Files.list(layout.domains())) {
            return dirs.filter(Files::isDirectory).map(d -> d.getFileName().toString()).sorted().toList();
        } catch (IOException e) {
            throw new AdminException("cannot list the domains in " + layout.domains() + ": " + e.getMessage(), e);
        }
    }
}
