package dev.bulkhead.templates.internal.tool;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;

import dev.bulkhead.api.AdminException;
import dev.bulkhead.api.host.HostCommand;
import dev.bulkhead.api.host.HostCommands;

/**
 * Builds a small root filesystem from programs of the build host: a static busybox with its applets,
 * other programs with every library {@code ldd} names (each at its host path), the users, Qubes'
 * virtual DNS servers, and {@code /sbin/qube-init}, which the lite backend runs as the qube's init.
 * The Debian packages the programs come from are listed in {@code /usr/share/bulkhead/packages}.
 */
final class RootfsBuilder {
    /** pid 1: stays up, reaps orphans (ash's wait collects any child), and ends at once on SIGTERM. */
    static final String INIT_SCRIPT = """
            #!/bin/sh
            trap 'exit 0' TERM INT
            echo "qube $(hostname) up"
            while :; do
                sleep 2147483647 &
                wait $!
            done
            """;
    private static final String PASSWD = """
            root:x:0:0:root:/root:/bin/sh
            user:x:1000:1000:user:/home/user:/bin/sh
            tor:x:60101:60101:tor:/nonexistent:/bin/false
            """;
    private static final String GROUP = """
            root:x:0:
            user:x:1000:
            tor:x:60101:
            """;
    private static final String RESOLV_CONF = """
            nameserver 10.139.1.1
            nameserver 10.139.1.2
            """;
    private static final List<String> DIRECTORIES = List.of("bin", "sbin", "dev", "etc", "home", "proc", "root", "run", "rw", "sys",
            "tmp", "var", "usr/bin", "usr/sbin", "usr/share/bulkhead");

    /** How long one host tool (busybox --list, ldd, dpkg) may take. */
    private static final Duration COMMAND_TIMEOUT = Duration.ofSeconds(60);

    private final Path root;
    private final HostCommands host;

    RootfsBuilder(Path root, HostCommands host) {
        this.root = root;
        this.host = host;
    }

    /** Builds the root; returns the packages listed. */
    List<String> build(Path busybox, List<Path> programs) throws IOException {
        Files.createDirectories(root);
        try (var entries = Files.list(root)) {
            if (entries.findAny().isPresent()) {
                throw new IOException(root + " is not empty; the root is built in an empty directory");
            }
        }
        for (String dir : DIRECTORIES) {
            Files.createDirectories(root.resolve(dir));
        }
        Files.setAttribute(root.resolve("tmp"), "unix:mode", 01777);
        homeOfUser(root);
        Files.copy(busybox.toRealPath(), root.resolve("bin/busybox"), StandardCopyOption.COPY_ATTRIBUTES);
        for (String applet : run(busybox.toString(), "--list").lines().map(String::strip).filter(a -> !a.isEmpty()).toList()) {
            if (applet.contains("/") || applet.startsWith(".")) {
                throw new IOException(busybox + " --list named an applet that is not a file name: '" + applet + "'");
            }
            if (!applet.equals("busybox")) {
                Files.createSymbolicLink(root.resolve("bin").resolve(applet), Path.of("busybox"));
            }
        }
        for (Path program : programs) {
            copyWithLibraries(program);
        }
        write("etc/passwd", PASSWD, "rw-r--r--");
        write("etc/group", GROUP, "rw-r--r--");
        write("etc/resolv.conf", RESOLV_CONF, "rw-r--r--");
        write("sbin/qube-init", INIT_SCRIPT, "rwxr-xr-x");
        List<Path> sources = new ArrayList<>(List.of(busybox));
        sources.addAll(programs);
        List<String> packages = packagesOf(sources);
        write("usr/share/bulkhead/packages", packages.isEmpty() ? "" : String.join("\n", packages) + "\n", "rw-r--r--");
        return packages;
    }

    private void copyWithLibraries(Path program) throws IOException {
        Path destination = root.resolve(program.toString().substring(1));
        Files.createDirectories(destination.getParent());
        Files.copy(program.toRealPath(), destination, StandardCopyOption.COPY_ATTRIBUTES);
        for (String line : run("ldd", program.toString()).lines().toList()) {
            String library = libraryPath(line);
            if (library == null) {
                continue;
            }
            Path inRoot = root.resolve(library.substring(1));
            if (!Files.exists(inRoot, LinkOption.NOFOLLOW_LINKS)) {
                Files.createDirectories(inRoot.getParent());
                Files.copy(Path.of(library).toRealPath(), inRoot, StandardCopyOption.COPY_ATTRIBUTES);
            }
        }
    }

    /** The absolute library path in a line of {@code ldd} output ({@code libx.so => /lib/libx.so (0x..)} or {@code /lib64/ld.so (0x..)}). */
    static String libraryPath(String line) {
        String text = line.strip();
        int arrow = text.indexOf("=> ");
        if (arrow >= 0) {
            text = text.substring(arrow + 3);
        }
        int space = text.indexOf(' ');
        String path = space < 0 ? text : text.substring(0, space);
        return path.startsWith("/") && !path.contains("..") ? path : null;
    }

    /** {@code package version} of the Debian packages that hold the files, as dpkg knows them; empty without dpkg. */
    private List<String> packagesOf(List<Path> files) {
        Set<String> names = new TreeSet<>();
        for (Path f : files) {
            for (String candidate : candidates(f)) {
                try {
                    String owner = run("dpkg", "-S", candidate).lines().findFirst().orElse("");
                    int colon = owner.indexOf(':');
                    if (colon > 0) {
                        names.add(owner.substring(0, colon));
                        break;
                    }
                } catch (IOException e) {
                    // not a packaged path under this spelling: try the next
                }
            }
        }
        List<String> packages = new ArrayList<>();
        for (String name : names) {
            try {
                packages.add(run("dpkg-query", "-W", "-f", "${Package} ${Version}", name).strip());
            } catch (IOException e) {
                packages.add(name);
            }
        }
        return packages;
    }

    /** Spellings dpkg may know a file by: on a merged-/usr system /bin/x is packaged as /bin/x or /usr/bin/x. */
    private static List<String> candidates(Path file) {
        List<String> all = new ArrayList<>(List.of(file.toString()));
        try {
            all.add(file.toRealPath().toString());
        } catch (IOException e) {
            // a missing file was reported when it was copied
        }
        String text = file.toString();
        all.add(text.startsWith("/usr/") ? text.substring(4) : "/usr" + text);
        return all;
    }

    private void write(String path, String text, String permissions) throws IOException {
        Path file = root.resolve(path);
        Files.writeString(file, text, StandardCharsets.UTF_8);
        Files.setPosixFilePermissions(file, PosixFilePermissions.fromString(permissions));
    }

    private String run(String... command) throws IOException {
        try {
            return host.runOrThrow(HostCommand.of(COMMAND_TIMEOUT, command)).stdoutText();
        } catch (AdminException e) {
            throw new IOException(e.getMessage(), e);
        }
    }

    /**
     * {@code /home/user}, owned by user (1000) with Debian's mode 755, which a qube's /home starts as: the qube's own
     * root cannot make it for user, as it may not change owners. The owner is set only where this runs as root
     * (as the distribution's build and the backend do); a root built by another user keeps that user as owner.
     */
    static void homeOfUser(Path root) throws IOException {
        Path home = Files.createDirectories(root.resolve("home/user"));
        Files.setPosixFilePermissions(home, java.nio.file.attribute.PosixFilePermissions.fromString("rwxr-xr-x"));
        try {
            Files.setAttribute(home, "unix:uid", 1000, java.nio.file.LinkOption.NOFOLLOW_LINKS);
            Files.setAttribute(home, "unix:gid", 1000, java.nio.file.LinkOption.NOFOLLOW_LINKS);
        } catch (java.nio.file.FileSystemException e) {
            // not root: the owner stays the builder
        }
    }
}
