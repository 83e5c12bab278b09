package dev.bulkhead.bench.crash;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Set;
import java.util.stream.Stream;

/**
 * What one installation's lite backend holds on the host that no running qube owns: network namespaces
 * with its instance tag, runc containers, mounts under its data directory, loop devices backed by its
 * files, cgroups under its parent and the processes in them. Read straight from the kernel's interfaces,
 * not through the platform, so that the platform's own view cannot hide a leak.
 */
final class HostLeaks {
    private static final Path NETNS = Path.of("/run/netns");
    private static final Path CGROUPS = Path.of("/sys/fs/cgroup");
    private static final Path SYS_BLOCK = Path.of("/sys/block");
    private static final String DELETED = " (deleted)";

    private final Path data;
    private final String tag;

    HostLeaks(Path dataDirectory) {
        this.data = dataDirectory.toAbsolutePath().normalize();
        this.tag = tagOf(data);
    }

    /** The lite backend's instance tag: the first three bytes of the SHA-256 of the data directory's path. */
    static String tagOf(Path data) {
        try {
            byte[] hash = MessageDigest.getInstance("SHA-256").digest(data.toString().getBytes(StandardCharsets.UTF_8));
            return HexFormat.of().formatHex(hash, 0, 3);
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("every Java runtime has SHA-256", e);
        }
    }

    /** Each leaked item, one line each ({@code kind item}), given the qubes that run. */
    List<String> find(Set<String> running) {
        List<String> leaks = new ArrayList<>();
        String prefix = "bh-" + tag + "-";
        for (String ns : names(NETNS)) {
            if (ns.startsWith(prefix) && !running.contains(ns.substring(prefix.length()))) {
                leaks.add("netns " + ns);
            }
        }
        for (String container : names(data.resolve("lite/runc"))) {
            if (!running.contains(container)) {
                leaks.add("runc-container " + container);
            }
        }
        List<String[]> mounts = mounts();
        for (String[] m : mounts) {
            Path point = Path.of(m[0]);
            if (point.startsWith(data) && !ownedByRunning(point, running)) {
                leaks.add("mount " + point + " (" + m[1] + ")");
            }
        }
        for (String loop : names(SYS_BLOCK)) {
            String backing = read(SYS_BLOCK.resolve(loop).resolve("loop/backing_file")).strip();
            if (!loop.startsWith("loop") || backing.isEmpty()) {
                continue;
            }
            backing = backing.endsWith(DELETED) ? backing.substring(0, backing.length() - DELETED.length()) : backing;
            String device = "/dev/" + loop;
            boolean inUseByRunning = mounts.stream().anyMatch(m -> m[1].equals(device) && ownedByRunning(Path.of(m[0]), running));
            if (Path.of(backing).startsWith(data) && !inUseByRunning) {
                leaks.add("loop-device " + device + " on " + backing);
            }
        }
        for (Path hierarchy : hierarchies()) {
            Path parent = hierarchy.resolve("bulkhead-" + tag);
            for (String child : names(parent)) {
                Path cgroup = parent.resolve(child);
                if (!Files.isDirectory(cgroup, LinkOption.NOFOLLOW_LINKS) || running.contains(child)) {
                    continue;
                }
                leaks.add("cgroup " + cgroup);
                for (String pid : read(cgroup.resolve("cgroup.procs")).split("\\s+")) {
                    if (!pid.isEmpty()) {
                        leaks.add("process " + pid + " in " + cgroup);
                    }
                }
            }
        }
        return leaks;
    }

    private boolean ownedByRunning(Path mountPoint, Set<String> running) {
        Path domains = data.resolve("lite/domains");
        return mountPoint.startsWith(domains) && mountPoint.getNameCount() > domains.getNameCount() + 1
                && running.contains(mountPoint.getName(domains.getNameCount()).toString())
                && mountPoint.getName(domains.getNameCount() + 1).toString().equals("volumes");
    }

    /** Mount point and source of each mount of this mount namespace. */
    private static List<String[]> mounts() {
        List<String[]> mounts = new ArrayList<>();
        for (String line : read(Path.of("/proc/self/mountinfo")).split("\n")) {
            String[] f = line.split(" ");
            int dash = List.of(f).indexOf("-");
            if (f.length > 4 && dash > 0 && dash + 2 < f.length) {
                mounts.add(new String[] { unescape(f[4]), f[dash + 2] });
            }
        }
        return mounts;
    }

    private static String unescape(String text) {
        return text.replace("\\040", " ").replace("\\011", "\t").replace("\\012", "\n").replace("\\134", "\\");
    }

    private static List<Path> hierarchies() {
        if (Files.exists(CGROUPS.resolve("cgroup.controllers"))) {
            return List.of(CGROUPS);
        }
        return names(CGROUPS).stream().map(CGROUPS::resolve).filter(p -> Files.isDirectory(p, LinkOption.NOFOLLOW_LINKS)).toList();
    }

    private static List<String> names(Path directory) {
        try (Stream<Path> entries = Files.list(directory)) {
            return entries.map(p -> p.getFileName().toString()).sorted().toList();
        } catch (NoSuchFileException e) {
            return List.of();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private static String read(Path file) {
        try {
            return Files.readString(file);
        } catch (IOException e) {
            return "";
        }
    }
}
