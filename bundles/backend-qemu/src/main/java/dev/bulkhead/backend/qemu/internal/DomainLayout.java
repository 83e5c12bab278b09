package dev.bulkhead.backend.qemu.internal;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.Comparator;
import java.util.HexFormat;
import java.util.stream.Stream;

/**
 * Where this backend keeps a domain's runtime state: one directory per domain under {@code <data>/qemu/domains},
 * holding QEMU's pid file, its QMP and guest-agent sockets, its own log, the serial console log and the directory of
 * its channels' sockets. Destroying a domain removes its directory, and with it every file of the domain this backend
 * made.
 */
final class DomainLayout {
    private final Path domains;
    /** Six hex digits naming this data directory in host-wide names (network namespaces). */
    private final String tag;

    DomainLayout(Path dataDirectory) {
        Path data = dataDirectory.toAbsolutePath().normalize();
        this.domains = data.resolve("qemu").resolve("domains");
        try {
            byte[] hash = MessageDigest.getInstance("SHA-256").digest(data.toString().getBytes(StandardCharsets.UTF_8));
            this.tag = HexFormat.of().formatHex(hash, 0, 3);
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("every Java runtime has SHA-256", e);
        }
    }

    /**
     * The host-side network namespace the domain's QEMU runs in, with its tap and link ends: {@code bq-<tag>-<name>},
     * apart from the lite backend's {@code bh-<tag>-<name>}.
     */
    String netnsName(String name) {
        return "bq-" + tag + "-" + name;
    }

    Path domains() {
        return domains;
    }

    Path directory(String name) {
        return domains.resolve(name);
    }

    Path pidFile(String name) {
        return directory(name).resolve("qemu.pid");
    }

    Path qmpSocket(String name) {
        return directory(name).resolve("qmp.sock");
    }

    Path agentSocket(String name) {
        return directory(name).resolve("qga.sock");
    }

    /**
     * The sockets dom0 listens on for the domain's channels, one per service: QEMU's working directory, so that
     * QEMU, once it runs as the qube's own user, reaches them by their bare names through this directory alone.
     */
    Path channelDirectory(String name) {
        return directory(name).resolve("channels");
    }

    /** What QEMU itself printed (its errors). */
    Path qemuLog(String name) {
        return directory(name).resolve("qemu.log");
    }

    Path consoleLog(String name) {
        return directory(name).resolve("console.log");
    }

    /** Removes a domain's directory and all in it, links as links; nothing when it is not there. */
    void deleteDirectory(String name) throws IOException {
        Path tree = directory(name);
        if (!Files.exists(tree, LinkOption.NOFOLLOW_LINKS)) {
            return;
        }
        try (Stream<Path> walk = Files.walk(tree)) {
            for (Path p : walk.sorted(Comparator.reverseOrder()).toList()) {
                Files.deleteIfExists(p);
            }
        }
    }

    /** The platform's data directory, from the framework property {@value QemuBackend#DATA_PROPERTY}: an absolute path. */
    static Path dataDirectory(String property) {
        if (property == null || property.isBlank() || !Path.of(property).isAbsolute()) {
            throw new IllegalStateException("framework property " + QemuBackend.DATA_PROPERTY + " must name the platform's data"
                    + " directory as an absolute path, found: " + property);
        }
        return Path.of(property);
    }
}
