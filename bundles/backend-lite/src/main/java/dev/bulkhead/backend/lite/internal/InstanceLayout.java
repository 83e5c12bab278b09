package dev.bulkhead.backend.lite.internal;

import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;

/**
 * Where this backend instance keeps things, on disk and in host-wide namespaces. Everything on disk is
 * under {@code <data>/lite}. Host-wide names (network namespaces, cgroups) carry a tag derived from the
 * data directory, so two platform instances with different data directories never collide on one host.
 */
final class InstanceLayout {
    private final Path home;
    private final String tag;

    InstanceLayout(Path dataDirectory) {
        Path data = dataDirectory.toAbsolutePath().normalize();
        this.home = data.resolve("lite");
        this.tag = tagOf(data);
    }

    private static String tagOf(Path data) {
        try {
            byte[] hash = MessageDigest.getInstance("SHA-256").digest(data.toString().getBytes(StandardCharsets.UTF_8));
            return HexFormat.of().formatHex(hash, 0, 3);
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("every Java runtime has SHA-256", e);
        }
    }

    /** Six hex digits naming this instance in host-wide names. */
    String tag() {
        return tag;
    }

    Path home() {
        return home;
    }

    /** runc's state directory ({@code runc --root}): one entry per container of this instance. */
    Path runcRoot() {
        return home.resolve("runc");
    }

    /** The built-in minimal root filesystem. */
    Path builtinRootfs() {
        // The number changes with the root's content, so an older root is never reused.
        return home.resolve("rootfs-3");
    }

    /** The OCI bundle directory of a domain: config.json and the console log. */
    Path domainDirectory(String name) {
        return home.resolve("domains").resolve(name);
    }

    Path configFile(String name) {
        return domainDirectory(name).resolve("config.json");
    }

    Path consoleLog(String name) {
        return domainDirectory(name).resolve("console.log");
    }

    String netnsName(String name) {
        return "bh-" + tag + "-" + name;
    }

    /** The cgroup parent that groups this instance's domains. */
    String cgroupParent() {
        return "/bulkhead-" + tag;
    }

    String cgroupsPath(String name) {
        return cgroupParent() + "/" + name;
    }
}
