package dev.bulkhead.backend.lite.internal;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.DirectoryNotEmptyException;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.List;

import dev.bulkhead.api.AdminException;
import dev.bulkhead.api.host.HostCommand;
import dev.bulkhead.api.host.HostCommandResult;
import dev.bulkhead.api.host.HostCommands;
import dev.bulkhead.volume.store.FileTrees;

/**
 * The minimal root a qube gets when its spec has no root volume: the host's static busybox with its
 * applets, the host's nftables and iproute2 tools with the libraries they load (what a network role
 * needs inside its qube), three users, Qubes' virtual DNS servers, {@code /var/run} as {@code /run},
 * and the init script. Built once; a half-built tree never takes the final name.
 */
final class BuiltinRootfs {
    /**
     * pid 1: stays up, reaps orphans (ash's wait collects any child), and ends at once on SIGTERM,
     * saying so on the console: a stop that the init took itself is told from a kill by that line.
     */
    static final String INIT_SCRIPT = """
            #!/bin/sh
            trap 'echo "qube $(hostname) down"; exit 0' TERM INT
            echo "qube $(hostname) up"
            while :; do
                sleep 2147483647 &
                wait $!
            done
            """;
    /** {@code tor}: the user a TorVM's tor runs as, so that its packet filter lets tor's traffic out and nothing else. */
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
    /** Qubes' virtual DNS addresses; each netvm forwards them to its upstream. */
    private static final String RESOLV_CONF = """
            nameserver 10.139.1.1
            nameserver 10.139.1.2
            """;
    private static final List<String> DIRECTORIES = List.of("bin", "sbin", "dev", "etc", "home", "proc", "root", "run",
            "rw", "sys", "tmp", "var", "usr/sbin");

    private final Path target;
    private final String busybox;
    /** Host tools copied into the root at their host paths when the host has them. */
    private final List<String> networkTools;
    private final HostCommands executor;
    private final Duration commandTimeout;

    BuiltinRootfs(Path target, String busybox, List<String> networkTools, HostCommands executor, Duration commandTimeout) {
        this.target = target;
        this.busybox = busybox;
        this.networkTools = networkTools;
        this.executor = executor;
        this.commandTimeout = commandTimeout;
    }

    /** The root directory, built now if it does not exist yet. */
    synchronized Path ensure() {
        if (Files.isDirectory(target)) {
            return target;
        }
        List<String> applets = applets();
        Path staging = target.resolveSibling(target.getFileName() + ".building");
        try {
            FileTrees.deleteRecursively(staging);
            build(staging, applets);
            Files.move(staging, target, StandardCopyOption.ATOMIC_MOVE);
        } catch (FileAlreadyExistsException | DirectoryNotEmptyException e) {
            FileTrees.deleteQuietly(staging);
        } catch (AtomicMoveNotSupportedException e) {
            FileTrees.deleteQuietly(staging);
            throw new AdminException("cannot build the built-in root in " + target + ": its directory does not allow an atomic rename");
        } catch (IOException | UncheckedIOException e) {
            FileTrees.deleteQuietly(staging);
            throw new AdminException("cannot build the built-in root in " + target + ": " + e.getMessage(), e);
        }
        return target;
    }

    private void build(Path root, List<String> applets) throws IOException {
        for (String dir : DIRECTORIES) {
            Files.createDirectories(root.resolve(dir));
        }
        Files.setPosixFilePermissions(root.resolve("tmp"), PosixFilePermissions.fromString("rwxrwxrwx"));
        homeOfUser(root);
        // /var/run is /run, where daemons put their sockets (wireguard-go: /var/run/wireguard); /run is a tmpfs per qube
        Files.createSymbolicLink(root.resolve("var/run"), Path.of("../run"));
        Path bin = root.resolve("bin");
        Files.copy(Path.of(busybox), bin.resolve("busybox"), StandardCopyOption.COPY_ATTRIBUTES);
        for (String applet : applets) {
            if (!applet.equals("busybox")) {
                Files.createSymbolicLink(bin.resolve(applet), Path.of("busybox"));
            }
        }
        for (String tool : networkTools) {
            Path binary = Path.of(tool);
            if (Files.isExecutable(binary)) {
                copyWithLibraries(binary, root, root.resolve(tool.substring(1)));
            }
        }
        Files.writeString(root.resolve("etc/resolv.conf"), RESOLV_CONF, StandardCharsets.UTF_8);
        Files.writeString(root.resolve("etc/passwd"), PASSWD, StandardCharsets.UTF_8);
        Files.writeString(root.resolve("etc/group"), GROUP, StandardCharsets.UTF_8);
        Path init = root.resolve(OciConfig.INIT.substring(1));
        Files.writeString(init, INIT_SCRIPT, StandardCharsets.UTF_8);
        Files.setPosixFilePermissions(init, PosixFilePermissions.fromString("rwxr-xr-x"));
    }

    /** Copies a dynamically linked binary and every library {@code ldd} names, each at its host path. */
    private void copyWithLibraries(Path binary, Path root, Path destination) throws IOException {
        Files.createDirectories(destination.getParent());
        Files.copy(binary.toRealPath(), destination, StandardCopyOption.COPY_ATTRIBUTES);
        HostCommandResult ldd = executor.runOrThrow(HostCommand.of(commandTimeout, List.of("ldd", binary.toString())));
        for (String line : ldd.stdoutText().lines().toList()) {
            String library = libraryPath(line);
            if (library == null) {
                continue;
            }
            Path inRoot = root.resolve(library.substring(1));
            if (!Files.exists(inRoot)) {
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

    private List<String> applets() {
        HostCommand list = HostCommand.of(commandTimeout, List.of(busybox, "--list"));
        HostCommandResult result = executor.runOrThrow(list);
        List<String> applets = result.stdoutText().lines().map(String::strip).filter(a -> !a.isEmpty()).toList();
        for (String applet : applets) {
            if (applet.contains("/") || applet.startsWith(".")) {
                throw new AdminException("'" + list.display() + "' listed an applet name that is not a file name: '" + applet + "'");
            }
        }
        return applets;
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
