package dev.bulkhead.backend.xen.internal;

import java.net.URI;
import java.net.URISyntaxException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Locale;
import java.util.Set;

import dev.bulkhead.backend.xen.internal.XenDomain.Mode;

/**
 * The backend's configuration in typed form.
 *
 * @param uri               libvirt's connection URI of the libxl driver: {@code xen:///system} on dom0 itself,
 *                          {@code xen+ssh://root@host/system}, {@code xen+tls://host/system} or
 *                          {@code xen+tcp://host/system} for a remote dom0
 * @param kernelDirectory   the directory, on dom0, of the kernel ({@code vmlinuz}) and initramfs ({@code initrd.img})
 *                          of PV and PVH domains
 * @param paravirt          what virt_mode {@code pvh} becomes: Xen's PVH, or PV where the processor or Xen lack PVH
 * @param keepalive         how often libvirt checks that a remote connection is alive
 * @param keepaliveCount    how many unanswered checks make libvirt close a remote connection
 * @param shutdownGrace     how long {@code shutdown} waits when the caller gives no timeout
 */
record XenSettings(String uri, Path kernelDirectory, Mode paravirt, Duration keepalive, int keepaliveCount,
        Duration shutdownGrace) {
    /** The libxl driver's URI schemes: local, and through libvirt's remote protocol. */
    static final Set<String> SCHEMES = Set.of("xen", "xen+unix", "xen+ssh", "xen+tls", "xen+tcp", "xen+libssh2");
    static final String DEFAULT_URI = "xen:///system";

    XenSettings {
        uri = checkUri(uri);
        if (!kernelDirectory.isAbsolute() || !kernelDirectory.normalize().equals(kernelDirectory)) {
            throw new IllegalArgumentException("kernelDirectory '" + kernelDirectory + "': an absolute path in normal form is required");
        }
        if (paravirt == Mode.HVM) {
            throw new IllegalArgumentException("paravirtMode 'hvm': pv or pvh");
        }
        if (keepalive.compareTo(Duration.ofSeconds(1)) < 0 || keepalive.compareTo(Duration.ofMinutes(10)) > 0) {
            throw new IllegalArgumentException("keepaliveSeconds " + keepalive.toSeconds() + ": from 1 to 600");
        }
        if (keepaliveCount < 1 || keepaliveCount > 100) {
            throw new IllegalArgumentException("keepaliveCount " + keepaliveCount + ": from 1 to 100");
        }
        if (shutdownGrace.isNegative()) {
            throw new IllegalArgumentException("shutdownGraceSeconds " + shutdownGrace.toSeconds() + ": 0 or more");
        }
    }

    /**
     * @param home the installation directory, whose {@code images/xen} is the kernel directory when the setting is blank
     */
    static XenSettings of(XenBackend.Config config, String home) {
        String configured = config.kernelDirectory().strip();
        Path kernels;
        if (!configured.isEmpty()) {
            kernels = Path.of(configured);
        } else if (home != null && !home.isBlank()) {
            kernels = Path.of(home).toAbsolutePath().normalize().resolve("images").resolve("xen");
        } else {
            throw new IllegalArgumentException("kernelDirectory: none configured, and no installation directory (bulkhead.home)"
                    + " to take images/xen from");
        }
        return new XenSettings(config.uri(), kernels, paravirt(config.paravirtMode()),
                Duration.ofSeconds(config.keepaliveSeconds()), config.keepaliveCount(), Duration.ofSeconds(config.shutdownGraceSeconds()));
    }

    static Mode paravirt(String text) {
        return switch (text.strip().toLowerCase(Locale.ROOT)) {
            case "pvh" -> Mode.PVH;
            case "pv" -> Mode.PV;
            default -> throw new IllegalArgumentException("paravirtMode '" + text + "': pv or pvh");
        };
    }

    /** Whether the domains run on this host's own Xen (a local URI), so that their files are this host's. */
    boolean local() {
        URI parsed = URI.create(uri);
        return (parsed.getScheme().equals("xen") || parsed.getScheme().equals("xen+unix")) && parsed.getRawAuthority() == null;
    }

    private static String checkUri(String uri) {
        String accepted = ": a libxl URI such as xen:///system, xen+ssh://root@host/system or xen+tls://host/system";
        if (uri == null || uri.isBlank() || uri.length() > 512 || !uri.chars().allMatch(c -> c > 0x20 && c < 0x7f)) {
            throw new IllegalArgumentException("uri '" + DomainValues.shown(uri) + "'" + accepted);
        }
        URI parsed;
        try {
            parsed = new URI(uri);
        } catch (URISyntaxException e) {
            throw new IllegalArgumentException("uri '" + uri + "'" + accepted, e);
        }
        if (parsed.getScheme() == null || !SCHEMES.contains(parsed.getScheme()) || !"/system".equals(parsed.getPath())) {
            throw new IllegalArgumentException("uri '" + uri + "'" + accepted);
        }
        return uri;
    }
}
