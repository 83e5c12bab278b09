package dev.bulkhead.backend.lite.internal;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.DirectoryStream;
import java.nio.file.FileSystemException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Optional;
import java.util.OptionalLong;
import java.util.Set;
import java.util.SortedSet;
import java.util.TreeSet;
import java.util.stream.Stream;

import dev.bulkhead.api.AdminException;

/**
 * A cgroup path in every hierarchy mounted under the cgroup root: one per v1 controller plus the unified
 * one on a hybrid host, or the root itself on a unified-only host. runc removes a container's cgroups when it deletes it; this removes what it left.
 */
final class CgroupDirectories {
    private final Path root;

    CgroupDirectories(Path root) {
        this.root = root;
    }

    /** The directories of the cgroup that exist now, in any hierarchy. */
    List<Path> existing(String cgroupPath) {
        List<Path> found = new ArrayList<>();
        for (Path hierarchy : hierarchies()) {
            Path dir = hierarchy.resolve(relative(cgroupPath));
            if (Files.isDirectory(dir, LinkOption.NOFOLLOW_LINKS)) {
                found.add(dir);
            }
        }
        return found;
    }

    /** The cgroups below the path in any hierarchy, as cgroup paths, each after those below it. */
    List<String> descendants(String cgroupPath) {
        Set<String> found = new LinkedHashSet<>();
        for (Path dir : existing(cgroupPath)) {
            try (Stream<Path> walk = Files.walk(dir)) {
                walk.skip(1).filter(p -> Files.isDirectory(p, LinkOption.NOFOLLOW_LINKS))
                        .forEach(p -> found.add(cgroupPath + "/" + dir.relativize(p)));
            } catch (IOException | UncheckedIOException e) {
                // The cgroup went away while being listed: nothing of it is left to find.
            }
        }
        List<String> deepestFirst = new ArrayList<>(found);
        deepestFirst.sort(Comparator.comparing((String c) -> c.split("/").length).reversed());
        return deepestFirst;
    }

    /** The processes in the cgroup itself, in any hierarchy. */
    SortedSet<Long> processes(String cgroupPath) {
        SortedSet<Long> pids = new TreeSet<>();
        for (Path dir : existing(cgroupPath)) {
            try {
                Files.readAllLines(dir.resolve("cgroup.procs")).stream().map(String::strip).filter(l -> !l.isEmpty())
                        .map(Long::valueOf).forEach(pids::add);
            } catch (IOException e) {
                // Gone meanwhile, with its processes.
            }
        }
        return pids;
    }

    /** CPU time and memory of one cgroup. */
    record Usage(long cpuNanos, long memoryBytes) {
    }

    /**
     * What the cgroup uses, read from whichever hierarchy counts it: {@code cpuacct.usage} and
     * {@code memory.usage_in_bytes} on v1, {@code cpu.stat} and {@code memory.current} on v2. Empty when
     * the cgroup is gone (its qube stopped meanwhile) or no hierarchy counts CPU or memory for it.
     */
    Optional<Usage> usage(String cgroupPath) {
        OptionalLong cpu = OptionalLong.empty();
        OptionalLong memory = OptionalLong.empty();
        for (Path dir : existing(cgroupPath)) {
            if (cpu.isEmpty()) {
                cpu = readNumber(dir.resolve("cpuacct.usage"));
            }
            if (cpu.isEmpty()) {
                cpu = readStat(dir.resolve("cpu.stat"), "usage_usec");
                cpu = cpu.isPresent() ? OptionalLong.of(cpu.getAsLong() * 1000) : cpu;
            }
            if (memory.isEmpty()) {
                memory = readNumber(dir.resolve("memory.usage_in_bytes"));
            }
            if (memory.isEmpty()) {
                memory = readNumber(dir.resolve("memory.current"));
            }
        }
        return cpu.isPresent() && memory.isPresent() ? Optional.of(new Usage(cpu.getAsLong(), memory.getAsLong()))
                : Optional.empty();
    }

    private static OptionalLong readNumber(Path file) {
        try {
            return OptionalLong.of(Long.parseLong(Files.readString(file).strip()));
        } catch (NoSuchFileException | NumberFormatException e) {
            return OptionalLong.empty();
        } catch (IOException e) {
            // The cgroup went away between listing and reading: its qube just stopped.
            return OptionalLong.empty();
        }
    }

    private static OptionalLong readStat(Path file, String key) {
        try {
            for (String line : Files.readAllLines(file)) {
                String[] parts = line.split(" ");
                if (parts.length == 2 && parts[0].equals(key)) {
                    return OptionalLong.of(Long.parseLong(parts[1]));
                }
            }
            return OptionalLong.empty();
        } catch (IOException | NumberFormatException e) {
            return OptionalLong.empty();
        }
    }

    /** Removes the cgroup everywhere; it must hold no processes any more. */
    void remove(String cgroupPath) {
        for (Path dir : existing(cgroupPath)) {
            try {
                Files.deleteIfExists(dir);
            } catch (IOException e) {
                throw new AdminException("cannot remove cgroup " + dir + ": " + e.getMessage(), e);
            }
        }
    }

    /** Removes the cgroup where it has no child cgroups left, and keeps it where it has. */
    void removeWhereEmpty(String cgroupPath) {
        for (Path dir : existing(cgroupPath)) {
            try {
                Files.deleteIfExists(dir);
            } catch (FileSystemException e) {
                // Still a parent of some other domain's cgroup: it stays.
            } catch (IOException e) {
                throw new AdminException("cannot remove cgroup " + dir + ": " + e.getMessage(), e);
            }
        }
    }

    private List<Path> hierarchies() {
        if (Files.exists(root.resolve("cgroup.controllers"))) {
            return List.of(root);
        }
        List<Path> hierarchies = new ArrayList<>();
        try (DirectoryStream<Path> entries = Files.newDirectoryStream(root)) {
            for (Path entry : entries) {
                // Skip the cpu,cpuacct style aliases: they are links to a hierarchy listed anyway.
                if (Files.isDirectory(entry, LinkOption.NOFOLLOW_LINKS)) {
                    hierarchies.add(entry);
                }
            }
        } catch (NoSuchFileException e) {
            return List.of();
        } catch (IOException e) {
            throw new AdminException("cannot list cgroup hierarchies in " + root + ": " + e.getMessage(), e);
        }
        return hierarchies;
    }

    private static String relative(String cgroupPath) {
        return cgroupPath.startsWith("/") ? cgroupPath.substring(1) : cgroupPath;
    }
}
