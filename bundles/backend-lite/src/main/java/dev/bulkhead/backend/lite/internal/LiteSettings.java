package dev.bulkhead.backend.lite.internal;

import java.time.Duration;
import java.util.List;

/**
 * The backend's configuration in typed form.
 *
 * @param runc          the runc binary
 * @param busybox       the static busybox the built-in root is made from
 * @param commandTimeout how long a host command (runc, ip) may run before it is killed
 * @param shutdownGrace how long {@code shutdown} waits when the caller gives no timeout
 * @param networkTools  host programs copied into the built-in root for network roles
 */
record LiteSettings(String runc, String busybox, Duration commandTimeout, Duration shutdownGrace, List<String> networkTools) {
    LiteSettings {
        if (runc == null || runc.isBlank()) {
            throw new IllegalArgumentException("runcPath '" + runc + "': a program name or an absolute path is required");
        }
        if (busybox == null || !busybox.startsWith("/")) {
            throw new IllegalArgumentException("busyboxPath '" + busybox + "': an absolute path is required");
        }
        if (commandTimeout.compareTo(Duration.ofSeconds(1)) < 0) {
            throw new IllegalArgumentException("commandTimeoutSeconds " + commandTimeout.toSeconds() + ": at least 1");
        }
        if (shutdownGrace.isNegative()) {
            throw new IllegalArgumentException("shutdownGraceSeconds " + shutdownGrace.toSeconds() + ": 0 or more");
        }
        for (String tool : networkTools) {
            if (!tool.startsWith("/")) {
                throw new IllegalArgumentException("networkTools '" + tool + "': absolute paths are required");
            }
        }
        networkTools = List.copyOf(networkTools);
    }

    static LiteSettings of(LiteBackend.Config config) {
        return new LiteSettings(config.runcPath(), config.busyboxPath(), Duration.ofSeconds(config.commandTimeoutSeconds()),
                Duration.ofSeconds(config.shutdownGraceSeconds()), List.of(config.networkTools()));
    }
}
