package dev.bulkhead.backend.lite.internal;

import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import java.util.List;

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
        return hexDigest(data.toString(), 3);
    }

    private static String hexDigest(String text, int bytes) {
        try {
            byte[] hash = MessageDigest.getInstance("SHA-256").digest(text.getBytes(StandardCharsets.UTF_8));
            return HexFormat.of().formatHex(hash, 0, bytes);
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

    /**
     * The built-in minimal root filesystem made from the given host programs. The number changes with the
     * way the root is built and the digest with the programs it holds, so a root built from other settings
     * or by an older version is never reused.
     */
    Path builtinRootfs(List<String> programs) {
        return home.resolve("rootfs-6-" + hexDigest(String.join("\n", programs), 4));
    }

    /** The OCI bundle directory of a domain: config.json and the console log. */
    Path domainDirectory(String name) {
        return home.resolve("domains").resolve(name);
    }

    /** Where a running domain's volumes are mounted; nothing is left there once it stops. */
    Path volumesDirectory(String name) {
        return domainDirectory(name).resolve("volumes");
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
