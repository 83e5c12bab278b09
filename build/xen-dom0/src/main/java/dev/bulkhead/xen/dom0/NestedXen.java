package dev.bulkhead.xen.dom0;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import java.util.function.Predicate;

import dev.bulkhead.api.host.HostCommand;
import dev.bulkhead.api.host.HostCommands;
import dev.bulkhead.api.host.HostCommands.Streaming;

/**
 * A Xen 4.17 host running under QEMU (TCG where there is no KVM), its dom0 the initramfs that
 * {@code bundles/backend-xen/src/image/build-dom0-image} makes: libvirtd with the libxl driver, listening on TCP
 * without authentication, reached through a port QEMU forwards from host loopback. QEMU's user network is
 * restricted: dom0 reaches nothing but that forwarded port. Closing it kills QEMU.
 */
public final class NestedXen implements AutoCloseable {
    /** The line dom0's init prints on the console once libvirtd answers on its TCP port. */
    public static final String READY = "bulkhead-dom0: libvirtd ready";
    /** The line it prints when a step of its start fails (the rest of the line says which). */
    public static final String FAILED = "bulkhead-dom0: FAILED";
    /** A PV guest's kernel inside dom0, where libvirt reads the paths of a domain's XML. */
    public static final String GUEST_KERNEL = "/var/lib/bulkhead/guest/vmlinuz";
    /** A PV guest's initramfs inside dom0: busybox, and an init that prints {@link #GUEST_BANNER} on hvc0. */
    public static final String GUEST_INITRD = "/var/lib/bulkhead/guest/initrd.img";
    /** The start of the line the guest's init prints on its console. */
    public static final String GUEST_BANNER = "bulkhead-xen-guest: up";
    /**
     * The start of the line the guest's init prints when its disk {@code xvda} holds an ext4 file system: the
     * content of its file {@code /marker} follows (its first 200 bytes, of the characters {@code A-Za-z0-9._-} only).
     */
    public static final String GUEST_ROOT_MARKER = "bulkhead-xen-guest: root marker: ";
    /**
     * The start of the line the guest's init prints when it has a disk {@code xvdb} (given an ext2 file system when
     * it has none): the number of boots its file {@code /boots} counts, then its lines, each after " | ". The guest
     * then adds a line and says {@code bulkhead-xen-guest: private written: boot N}.
     */
    public static final String GUEST_PRIVATE_BOOTS = "bulkhead-xen-guest: private boots: ";
    /** Where dom0 listens for libvirt's remote protocol (TCP, no TLS). */
    public static final int LIBVIRTD_PORT = 16509;
    private static final Duration QEMU_LIFETIME = Duration.ofHours(2);

    private final Streaming qemu;
    private final int port;
    private final Path consoleLog;
    private final Duration readyAfter;

    private NestedXen(Streaming qemu, int port, Path consoleLog, Duration readyAfter) {
        this.qemu = qemu;
        this.port = port;
        this.consoleLog = consoleLog;
        this.readyAfter = readyAfter;
    }

    /**
     * Why the image directory holds no image (its build was skipped where packages could not be fetched), or empty
     * when it holds one.
     */
    public static Optional<String> skipped(Path imageDir) {
        Path reason = imageDir.resolve("SKIPPED");
        if (!Files.exists(reason)) {
            return Optional.empty();
        }
        try {
            return Optional.of(Files.readString(reason, StandardCharsets.UTF_8).strip());
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /**
     * Boots the image in {@code imageDir} ({@code xen}, {@code vmlinuz}, {@code dom0.img}) and returns once libvirtd
     * answers in dom0, at most after {@code bound}.
     *
     * @param consoleLog where QEMU writes the serial console (Xen's, dom0's, and guests' lines as dom0 copies them)
     * @throws IllegalStateException when dom0 does not get ready in time or QEMU ends first, with the console's end
     */
    public static NestedXen boot(HostCommands host, Path imageDir, Path consoleLog, Duration bound) {
        for (String file : List.of("xen", "vmlinuz", "dom0.img")) {
            if (!Files.isRegularFile(imageDir.resolve(file))) {
                throw new IllegalArgumentException("no " + file + " in " + imageDir
                        + skipped(imageDir).map(reason -> " (its build was skipped: " + reason + ")").orElse(""));
            }
        }
        int port = freeLoopbackPort();
        long start = System.nanoTime();
        Streaming qemu = host.stream(HostCommand.of(QEMU_LIFETIME, command(imageDir, consoleLog, port)));
        try {
            Optional<String> line = qemu.awaitLine(l -> l.contains(READY) || l.contains(FAILED), bound);
            if (line.isEmpty() || !line.get().contains(READY)) {
                String why = line.orElse(qemu.outputEnded() ? "QEMU ended" : "no ready line within " + bound);
                throw new IllegalStateException("nested Xen did not get ready: " + why + "; console ends with:\n"
                        + tail(consoleLog, 40));
            }
            return new NestedXen(qemu, port, consoleLog, Duration.ofNanos(System.nanoTime() - start));
        } catch (RuntimeException e) {
            qemu.close();
            throw e;
        }
    }

    static List<String> command(Path imageDir, Path consoleLog, int port) {
        return List.of("qemu-system-x86_64", "-accel", "tcg",
                // Xen's dom0 crashes on TCG's SMAP/SMEP, and TCG's RDTSCP confuses PVH guests
                "-cpu", "max,-smap,-smep,-rdtscp", "-m", "2048", "-no-reboot",
                "-display", "none", "-monitor", "none",
                // the serial console on stdout (read for the ready line) and, whole, in the log
                "-chardev", "stdio,id=console,signal=off,logfile=" + consoleLog,
                "-serial", "chardev:console",
                "-kernel", imageDir.resolve("xen").toString(),
                "-append", "console=com1 dom0_mem=768M,max:768M",
                "-initrd", imageDir.resolve("vmlinuz") + " console=hvc0," + imageDir.resolve("dom0.img"),
                "-netdev", "user,id=net,restrict=on,hostfwd=tcp:127.0.0.1:" + port + "-:" + LIBVIRTD_PORT,
                "-device", "e1000,netdev=net");
    }

    /** libvirt's URI of the nested Xen, for the host's libvirt client. */
    public String uri() {
        return "xen+tcp://127.0.0.1:" + port + "/system";
    }

    /** The host loopback port QEMU forwards to dom0's libvirtd. */
    public int port() {
        return port;
    }

    public Path consoleLog() {
        return consoleLog;
    }

    /** How long dom0 took from QEMU's start to libvirtd's first answer. */
    public Duration readyAfter() {
        return readyAfter;
    }

    /**
     * The next console line (after the ready line) that {@code wanted} accepts, waiting at most {@code bound}.
     * A guest's console lines come as {@code [guest-NAME.log] LINE}.
     */
    public Optional<String> awaitConsoleLine(Predicate<String> wanted, Duration bound) {
        return qemu.awaitLine(wanted, bound);
    }

    /** The last lines of the console, for a failure message. */
    public String consoleTail(int lines) {
        return tail(consoleLog, lines);
    }

    public boolean isRunning() {
        return qemu.isAlive();
    }

    @Override
    public void close() {
        qemu.close();
    }

    private static int freeLoopbackPort() {
        try (ServerSocket socket = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            return socket.getLocalPort();
        } catch (IOException e) {
            throw new UncheckedIOException("no free loopback port", e);
        }
    }

    private static String tail(Path file, int lines) {
        try {
            List<String> all = new String(Files.readAllBytes(file), StandardCharsets.UTF_8).lines().toList();
            return String.join("\n", all.subList(Math.max(0, all.size() - lines), all.size()));
        } catch (IOException e) {
            return "(no console log: " + e.getMessage() + ")";
        }
    }
}
