package dev.bulkhead.backend.lite.internal;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeSet;
import java.util.stream.Stream;

import dev.bulkhead.api.AdminException;
import dev.bulkhead.api.host.HostCommand;
import dev.bulkhead.api.host.HostCommandResult;
import dev.bulkhead.api.host.HostCommands;
import dev.bulkhead.api.host.WatchedProcess;
import dev.bulkhead.api.hypervisor.Leftover;

/**
 * Lists what this backend instance holds on the host (runc containers, named network namespaces with its
 * tag, its temporary host links, mounts under its home, loop devices backed by files of its data directory,
 * cgroups under its parent and the processes in them, channel directories with its tag) and removes what {@link LeftoverPlan} finds to be
 * left over. A crash of the platform between the steps of a start or a stop leaves such things; runc alone
 * does not know about them.
 */
final class HostReconciler {
    private static final String STOPPED = "stopped";
    private static final String DELETED_SUFFIX = " (deleted)";
    /** Between a namespace and an interface in it, in the item of a link. */
    private static final String NETNS_LINK = ":";

    private final InstanceLayout layout;
    private final Path dataDirectory;
    private final RuncRuntime runc;
    private final NetnsManager netns;
    private final CgroupDirectories cgroups;
    private final MountTable mounts;
    private final LiteVolumes volumes;
    private final LiteChannels channels;
    private final HostCommands executor;
    private final HostPaths host;
    private final Duration timeout;

    HostReconciler(InstanceLayout layout, Path dataDirectory, RuncRuntime runc, NetnsManager netns, CgroupDirectories cgroups,
            MountTable mounts, LiteVolumes volumes, LiteChannels channels, HostCommands executor, HostPaths host,
            Duration timeout) {
        this.layout = layout;
        this.dataDirectory = dataDirectory.toAbsolutePath().normalize();
        this.runc = runc;
        this.netns = netns;
        this.cgroups = cgroups;
        this.mounts = mounts;
        this.volumes = volumes;
        this.channels = channels;
        this.executor = executor;
        this.host = host;
        this.timeout = timeout;
    }

    /** What the instance holds now, and which containers have a live init. */
    record Listing(List<LeftoverPlan.Found> found, Set<String> live) {
    }

    List<Leftover> reconcile(Set<String> keep) {
        Listing listing = list();
        List<Leftover> report = new ArrayList<>();
        List<LeftoverPlan.Removal> plan = LeftoverPlan.decide(listing.found(), listing.live(), keep);
        Map<String, List<LeftoverPlan.Removal>> domainMounts = new LinkedHashMap<>();
        for (LeftoverPlan.Removal r : plan) {
            LeftoverPlan.Found f = r.found();
            if (f.kind() == LeftoverPlan.Kind.MOUNT && f.domain() != null) {
                domainMounts.computeIfAbsent(f.domain(), d -> new ArrayList<>()).add(r);
                continue;
            }
            if (f.kind().compareTo(LeftoverPlan.Kind.MOUNT) > 0) {
                // A domain's mounts go together, before the loop devices and cgroups that follow them.
                releaseAll(domainMounts, report);
            }
            report.add(remove(r));
        }
        releaseAll(domainMounts, report);
        try {
            cgroups.removeWhereEmpty(layout.cgroupParent());
        } catch (AdminException e) {
            // The instance's grouping cgroup is not a domain's leftover: the next destroy tries again.
        }
        return report;
    }

    Listing list() {
        List<LeftoverPlan.Found> found = new ArrayList<>();
        Set<String> live = new TreeSet<>();
        Set<String> domains = new TreeSet<>(domainDirectories());
        for (RuncRuntime.ContainerState c : runc.list()) {
            if (!c.status().equals(STOPPED)) {
                live.add(c.id());
            }
            found.add(new LeftoverPlan.Found(LeftoverPlan.Kind.CONTAINER, c.id(), c.id()));
            domains.add(c.id());
        }
        List<String> domainCgroups = cgroups.descendants(layout.cgroupParent());
        for (String cgroup : domainCgroups) {
            String domain = domainOfCgroup(cgroup);
            domains.add(domain);
            for (long pid : cgroups.processes(cgroup)) {
                found.add(new LeftoverPlan.Found(LeftoverPlan.Kind.PROCESS, Long.toString(pid), domain));
            }
        }
        String prefix = layout.netnsName("");
        for (String name : netnsNames()) {
            if (name.startsWith(prefix) && name.length() > prefix.length()) {
                String domain = name.substring(prefix.length());
                found.add(new LeftoverPlan.Found(LeftoverPlan.Kind.NETNS, name, domain));
                for (String link : linksIn(name)) {
                    found.add(new LeftoverPlan.Found(LeftoverPlan.Kind.LINK, name + NETNS_LINK + link, domain));
                }
                domains.add(domain);
            }
        }
        List<MountTable.Mount> all = mounts.all();
        for (MountTable.Mount m : mounts.below(layout.home())) {
            String domain = domainOfMount(m.mountPoint());
            found.add(new LeftoverPlan.Found(LeftoverPlan.Kind.MOUNT, m.mountPoint().toString(), domain));
            if (domain != null) {
                domains.add(domain);
            }
        }
        Set<String> hostLinks = hostLinks();
        for (String domain : domains) {
            String link = NetnsManager.temporaryUplinkName(layout.netnsName(domain));
            if (hostLinks.contains(link)) {
                found.add(new LeftoverPlan.Found(LeftoverPlan.Kind.LINK, link, domain));
            }
        }
        Set<String> mountedDevices = new LinkedHashSet<>();
        all.forEach(m -> mountedDevices.add(m.source()));
        for (String device : loopDevicesOnOwnFiles()) {
            if (!mountedDevices.contains(device)) {
                found.add(new LeftoverPlan.Found(LeftoverPlan.Kind.LOOP, device, null));
            }
        }
        for (String cgroup : domainCgroups) {
            found.add(new LeftoverPlan.Found(LeftoverPlan.Kind.CGROUP, cgroup, domainOfCgroup(cgroup)));
        }
        for (String domain : channels.domainsWithDirectories()) {
            found.add(new LeftoverPlan.Found(LeftoverPlan.Kind.CHANNELS, channels.directory(domain).toString(), domain));
        }
        return new Listing(found, live);
    }

    private Leftover remove(LeftoverPlan.Removal r) {
        LeftoverPlan.Found f = r.found();
        try {
            switch (f.kind()) {
                case PROCESS -> killProcess(Long.parseLong(f.item()));
                case CONTAINER -> runc.delete(f.item());
                case NETNS -> netns.delete(f.item());
                case LINK -> removeLink(f.item());
                case MOUNT -> executor.runOrThrow(HostCommand.of(timeout, List.of("umount", f.item())));
                case LOOP -> executor.runOrThrow(HostCommand.of(timeout, List.of("losetup", "--detach", f.item())));
                case CGROUP -> cgroups.remove(f.item());
                case CHANNELS -> channels.remove(f.domain());
            }
            return Leftover.removed(f.kind().label, f.item(), r.reason());
        } catch (AdminException e) {
            return new Leftover(f.kind().label, f.item(), r.reason(), e.getMessage());
        }
    }

    /**
     * A link in a namespace ({@code NETNS:NAME}) normally went with its namespace, removed before; one in the
     * host's namespace (a macvlan uplink a crash caught before its move) is deleted.
     */
    private void removeLink(String item) {
        int separator = item.indexOf(NETNS_LINK);
        if (separator < 0) {
            executor.runOrThrow(HostCommand.of(timeout, List.of("ip", "link", "delete", item)));
        } else if (netns.exists(item.substring(0, separator))) {
            executor.runOrThrow(HostCommand.of(timeout, List.of("ip", "-n", item.substring(0, separator), "link", "delete",
                    item.substring(separator + NETNS_LINK.length()))));
        }
    }

    /** Unmounts each domain's mounts together, in the order its volumes need, and reports each mount. */
    private void releaseAll(Map<String, List<LeftoverPlan.Removal>> domainMounts, List<Leftover> report) {
        for (Map.Entry<String, List<LeftoverPlan.Removal>> e : domainMounts.entrySet()) {
            String failure = null;
            try {
                volumes.release(layout.volumesDirectory(e.getKey()));
            } catch (AdminException x) {
                failure = x.getMessage();
            }
            for (LeftoverPlan.Removal r : e.getValue()) {
                report.add(new Leftover(r.found().kind().label, r.found().item(), r.reason(), failure));
            }
        }
        domainMounts.clear();
    }

    private void killProcess(long pid) {
        // watched from before the kill: once it is gone its pid may be another process's
        Optional<WatchedProcess> watched = WatchedProcess.of(pid);
        HostCommandResult result = executor.run(HostCommand.of(timeout, List.of("kill", "-KILL", Long.toString(pid))));
        // One that ended by itself meanwhile is gone as well.
        if (!result.succeeded() && !result.stderrLine().contains("No such process")) {
            throw new AdminException("cannot kill process " + pid + ": " + result.stderrLine());
        }
        if (watched.isPresent() && !watched.get().awaitExit(timeout)) {
            throw new AdminException("process " + pid + " did not end within " + timeout.toSeconds() + " s of SIGKILL");
        }
    }

    /** The domain a cgroup below the instance's parent belongs to: the first name below the parent. */
    private String domainOfCgroup(String cgroup) {
        String below = cgroup.substring(layout.cgroupParent().length() + 1);
        int slash = below.indexOf('/');
        return slash < 0 ? below : below.substring(0, slash);
    }

    /** The domain whose runtime directory holds the mount point, or null for a mount elsewhere under the home. */
    private String domainOfMount(Path mountPoint) {
        Path domainsDirectory = layout.domainDirectory("x").getParent();
        if (!mountPoint.startsWith(domainsDirectory) || mountPoint.getNameCount() <= domainsDirectory.getNameCount()) {
            return null;
        }
        String domain = mountPoint.getName(domainsDirectory.getNameCount()).toString();
        return mountPoint.startsWith(layout.volumesDirectory(domain)) ? domain : null;
    }

    private List<String> domainDirectories() {
        return names(layout.domainDirectory("x").getParent());
    }

    private List<String> netnsNames() {
        return names(host.netnsDirectory());
    }

    private static List<String> names(Path directory) {
        try (Stream<Path> entries = Files.list(directory)) {
            return entries.map(p -> p.getFileName().toString()).sorted().toList();
        } catch (NoSuchFileException e) {
            return List.of();
        } catch (IOException e) {
            throw new AdminException("cannot list " + directory + ": " + e.getMessage(), e);
        }
    }

    /** The interfaces of the host's network namespace, by name. */
    private Set<String> hostLinks() {
        return linkNames(executor.runOrThrow(HostCommand.of(timeout, List.of("ip", "-o", "link", "show"))));
    }

    /** The interfaces in a namespace but its loopback; none when it cannot be read (a namespace file without a namespace). */
    private Set<String> linksIn(String namespace) {
        HostCommandResult result = executor.run(HostCommand.of(timeout, List.of("ip", "-n", namespace, "-o", "link", "show")));
        Set<String> names = result.succeeded() ? linkNames(result) : new TreeSet<>();
        names.remove("lo");
        return names;
    }

    private static Set<String> linkNames(HostCommandResult result) {
        Set<String> names = new TreeSet<>();
        for (String line : result.stdoutText().lines().toList()) {
            // "7: name@peer: <FLAGS> ..."
            String[] fields = line.split(": ", 3);
            if (fields.length >= 2) {
                String name = fields[1].strip();
                int at = name.indexOf('@');
                names.add(at < 0 ? name : name.substring(0, at));
            }
        }
        return names;
    }

    /** Loop devices whose backing file is in this instance's data directory. */
    private List<String> loopDevicesOnOwnFiles() {
        List<String> devices = new ArrayList<>();
        for (String device : names(host.sysBlock())) {
            if (!device.startsWith("loop")) {
                continue;
            }
            String backing;
            try {
                backing = Files.readString(host.sysBlock().resolve(device).resolve("loop").resolve("backing_file")).strip();
            } catch (IOException e) {
                continue; // not attached
            }
            if (backing.endsWith(DELETED_SUFFIX)) {
                backing = backing.substring(0, backing.length() - DELETED_SUFFIX.length());
            }
            if (Path.of(backing).toAbsolutePath().normalize().startsWith(dataDirectory)) {
                devices.add("/dev/" + device);
            }
        }
        return devices;
    }
}
