package dev.bulkhead.it;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.util.Comparator;
import java.util.List;
import java.util.stream.Stream;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;

/**
 * A fresh data directory for one test class, removed when the test JVM exits. It lives under the
 * system temporary directory rather than the build directory to keep the client socket's path
 * short (a unix socket path has at most 107 bytes).
 */
final class TestDataDirectory {
    private TestDataDirectory() {
    }

    static Path create(Class<?> testClass) throws IOException {
        Path dir = Files.createTempDirectory("bulkhead-it-" + testClass.getSimpleName() + "-");
        Runtime.getRuntime().addShutdownHook(new Thread(() -> remove(dir), "remove " + dir));
        return dir;
    }

    /**
     * A fresh etc directory for one test class whose template-keys/ trusts what the distribution
     * trusts: the public half of the development key the build signed the default template with.
     */
    static Path createEtc(Class<?> testClass, Path workspace) throws IOException {
        Path dir = Files.createTempDirectory("bulkhead-it-etc-" + testClass.getSimpleName() + "-");
        Runtime.getRuntime().addShutdownHook(new Thread(() -> remove(dir), "remove " + dir));
        Path keys = Files.createDirectory(dir.resolve("template-keys"));
        Path devKey = workspace.resolve("distro/target/bulkhead/etc/template-keys/dev.pub");
        if (Files.isRegularFile(devKey)) {
            Files.copy(devKey, keys.resolve("dev.pub"));
        }
        return dir;
    }

    /**
     * Stops what the platform may have left running (the tests remove their qubes, but a test JVM
     * can end before they do), then deletes the directory unless something is still mounted below
     * it: a mount's contents must not be deleted through the data directory.
     */
    private static void remove(Path dir) {
        try {
            stopLeftoverContainers(dir);
            stopLeftoverVirtualMachines(dir);
            List<String> mounts = mountsBelow(dir);
            if (!mounts.isEmpty()) {
                System.err.println("not removing " + dir + ": still mounted below it: " + mounts);
                return;
            }
            try (Stream<Path> walk = Files.walk(dir)) {
                for (Path p : walk.sorted(Comparator.reverseOrder()).toList()) {
                    Files.deleteIfExists(p);
                }
            }
        } catch (IOException | UncheckedIOException e) {
            System.err.println("cannot remove " + dir + ": " + e);
        }
    }

    /**
     * Deletes every container of the lite backend's runc state directory, then what its OCI
     * configuration says it had on the host besides: the network namespace it joined and its cgroup
     * (with the parents the cgroup path names, where they are empty).
     */
    private static void stopLeftoverContainers(Path dir) throws IOException {
        Path runcRoot = dir.resolve("lite").resolve("runc");
        if (!Files.isDirectory(runcRoot)) {
            return;
        }
        HostCommand.Result list = HostCommand.run("runc", "--root", runcRoot.toString(), "list", "--quiet");
        for (String id : list.stdout().lines().map(String::strip).filter(s -> !s.isEmpty()).toList()) {
            System.err.println("deleting container " + id + " left running in " + dir);
            HostCommand.run("runc", "--root", runcRoot.toString(), "delete", "--force", id);
            Path config = dir.resolve("lite").resolve("domains").resolve(id).resolve("config.json");
            if (!Files.isRegularFile(config)) {
                continue;
            }
            JsonNode linux = new ObjectMapper().readTree(config.toFile()).path("linux");
            for (JsonNode ns : linux.path("namespaces")) {
                String path = ns.path("path").asText("");
                if (ns.path("type").asText().equals("network") && path.startsWith("/run/netns/")) {
                    HostCommand.run("ip", "netns", "delete", Path.of(path).getFileName().toString());
                }
            }
            removeCgroup(linux.path("cgroupsPath").asText(""));
        }
    }

    /**
     * Kills every QEMU the qemu backend left running from this directory (a shared qube of a test class run only in
     * part, say), found by its pid file and checked by its command line, then deletes the host-side network namespace
     * it ran in, {@code bq-<tag>-<qube>}, with the ends of its links.
     */
    private static void stopLeftoverVirtualMachines(Path dir) throws IOException {
        Path domains = dir.resolve("qemu").resolve("domains");
        if (!Files.isDirectory(domains)) {
            return;
        }
        try (Stream<Path> all = Files.list(domains)) {
            for (Path domain : all.toList()) {
                Path pidFile = domain.resolve("qemu.pid");
                if (!Files.isRegularFile(pidFile)) {
                    continue;
                }
                String pid = Files.readString(pidFile).strip();
                Path cmdline = Path.of("/proc", pid, "cmdline");
                if (pid.matches("[0-9]{1,9}") && Files.isReadable(cmdline) && Files.readString(cmdline).contains(domain.toString())) {
                    System.err.println("killing QEMU " + pid + " left running in " + dir);
                    HostCommand.run("kill", "-KILL", pid);
                }
                HostCommand.run("ip", "netns", "delete", "bq-" + tag(dir) + "-" + domain.getFileName());
            }
        }
    }

    /** The tag the backends put in host-wide names for this data directory: the first three bytes of its path's SHA-256. */
    private static String tag(Path dir) {
        try {
            byte[] hash = java.security.MessageDigest.getInstance("SHA-256")
                    .digest(dir.toAbsolutePath().normalize().toString().getBytes(java.nio.charset.StandardCharsets.UTF_8));
            return java.util.HexFormat.of().formatHex(hash, 0, 3);
        } catch (java.security.NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }

    private static void removeCgroup(String cgroupsPath) throws IOException {
        Path relative = Path.of(cgroupsPath.replaceFirst("^/+", ""));
        if (relative.toString().isEmpty() || relative.toString().contains("..")) {
            return;
        }
        try (Stream<Path> hierarchies = Files.list(Path.of("/sys/fs/cgroup"))) {
            for (Path hierarchy : hierarchies.filter(h -> Files.isDirectory(h, LinkOption.NOFOLLOW_LINKS)).toList()) {
                for (Path p = relative; p != null; p = p.getParent()) {
                    try {
                        Files.deleteIfExists(hierarchy.resolve(p));
                    } catch (IOException e) {
                        break; // still in use, or not a cgroup directory: it and its parents stay
                    }
                }
            }
        }
    }

    /** Mount points strictly below the directory, as the host's mount table lists them. */
    static List<String> mountsBelow(Path dir) throws IOException {
        String prefix = dir.toRealPath() + "/";
        try (Stream<String> lines = Files.lines(Path.of("/proc/self/mountinfo"))) {
            return lines.map(l -> l.split(" ")[4]).filter(m -> m.startsWith(prefix)).toList();
        }
    }
}
