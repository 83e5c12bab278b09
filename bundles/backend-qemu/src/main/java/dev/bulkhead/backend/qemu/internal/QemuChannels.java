package dev.bulkhead.backend.qemu.internal;

import java.io.IOException;
import java.nio.channels.ByteChannel;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.OptionalInt;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.Function;
import java.util.function.Predicate;
import java.util.stream.Stream;

import dev.bulkhead.api.AdminException;
import dev.bulkhead.api.ExecResult;
import dev.bulkhead.api.InvalidStateException;
import dev.bulkhead.api.InvalidValueException;
import dev.bulkhead.api.hypervisor.ChannelSocket;
import dev.bulkhead.api.hypervisor.DomainChannel;

/**
 * Channels into qemu domains: per open service, a unix socket dom0 listens on in the domain's channel directory,
 * and a virtio-serial port whose chardev connects to it ({@link ChannelPorts}), which the guest's init links at
 * {@value #QUBE_DIRECTORY}{@code /dev.bulkhead.SERVICE}. The directory is root's with the group of the qube's QEMU,
 * mode 0710, and QEMU's working directory: QEMU, which runs as the qube's own user once it has started, reaches
 * the sockets there by their bare names, whatever the modes of the directories above, and can neither replace
 * a socket nor leave a file; no other qube's QEMU and no other user but root can reach them. The directory is
 * made fresh at each start and removed at stop; a crash leaves it to the take-over reconciliation.
 * <p>
 * A port is one stream: dom0's end is the one connection QEMU makes to the socket, there as soon as the channel
 * opens; the guest's end is the device, which one process at a time may open. A guest that closes and opens the
 * device again continues the same stream. Bytes dom0 writes wait (in QEMU and the socket's buffer) until the guest
 * opens the device and reads; a guest that writes while dom0 has no stream waits for the next one, and reads end
 * of file.
 */
final class QemuChannels {
    /** Where the guest sees its channels' ports. */
    static final String QUBE_DIRECTORY = "/dev/virtio-ports";
    private static final int MAX_SOCKET_PATH = JsonChannel.MAX_SOCKET_PATH;

    private final DomainLayout layout;
    private final GuestControl control;
    private final Duration timeout;
    private final Function<String, Object> lockOf;
    private final Predicate<String> running;
    private final Map<String, QemuChannel> open = new ConcurrentHashMap<>();

    /**
     * @param lockOf  the lock a domain's operations hold
     * @param running whether a domain's QEMU runs
     */
    QemuChannels(DomainLayout layout, GuestControl control, Duration timeout, Function<String, Object> lockOf,
            Predicate<String> running) {
        this.layout = layout;
        this.control = control;
        this.timeout = timeout;
        this.lockOf = lockOf;
        this.running = running;
    }

    /** Makes the empty channel directory of a domain about to start, whose QEMU will run with group {@code gid}. */
    void prepare(String domain, long gid) {
        remove(domain);
        Path directory = layout.channelDirectory(domain);
        try {
            Files.createDirectory(directory);
            Files.setPosixFilePermissions(directory, PosixFilePermissions.fromString("rwx--x---"));
            Files.setAttribute(directory, "unix:gid", Math.toIntExact(gid));
        } catch (IOException e) {
            throw new AdminException("cannot make the channel directory " + directory + ": " + e.getMessage(), e);
        }
    }

    /**
     * Ends the channels of a domain whose QEMU is gone or going (their streams end with it) and removes its
     * channel directory; a no-op when it has neither.
     */
    void remove(String domain) {
        String prefix = domain + "/";
        open.entrySet().stream().filter(e -> e.getKey().startsWith(prefix)).map(Map.Entry::getValue).toList()
                .forEach(QemuChannel::release);
        Path directory = layout.channelDirectory(domain);
        try {
            if (Files.isDirectory(directory)) {
                try (Stream<Path> sockets = Files.list(directory)) {
                    for (Path socket : sockets.toList()) {
                        Files.deleteIfExists(socket);
                    }
                }
            }
            Files.deleteIfExists(directory);
        } catch (IOException e) {
            throw new AdminException("cannot remove the channel directory " + directory + ": " + e.getMessage(), e);
        }
    }

    /** Opens a channel of a running domain whose guest runs (not paused); the caller holds the domain's lock. */
    DomainChannel open(String domain, String service) {
        Path directory = layout.channelDirectory(domain);
        if (!Files.isDirectory(directory)) {
            throw new InvalidStateException("cannot open channel '" + service + "' of '" + domain + "': its QEMU was started"
                    + " without a channel directory, by an earlier version of the platform: restart the qube");
        }
        Path socket = directory.resolve(service);
        if (socket.toString().getBytes(StandardCharsets.UTF_8).length > MAX_SOCKET_PATH) {
            throw new AdminException("cannot open channel '" + service + "' of '" + domain + "': its socket path " + socket
                    + " is longer than the " + MAX_SOCKET_PATH + " bytes a unix socket address holds: use a shorter data directory");
        }
        String key = domain + "/" + service;
        ChannelPorts ports = new ChannelPorts((command, arguments) -> control.monitor(domain, command, arguments), timeout);
        QemuChannel channel = new QemuChannel(key, domain, service, socket, ports);
        if (open.putIfAbsent(key, channel) != null) {
            throw new InvalidStateException("channel '" + service + "' of '" + domain + "' is open already");
        }
        try {
            // left by an earlier run of the platform, which ended without closing it
            if (ports.present(service)) {
                ports.unplug(service);
            }
            channel.listen(((Number) Files.getAttribute(directory, "unix:gid")).intValue());
            ports.plug(service);
            channel.plugged = true;
            awaitPortInGuest(domain, service, channel.qubePath());
            return channel;
        } catch (IOException | RuntimeException e) {
            try {
                channel.close();
            } catch (RuntimeException cleanup) {
                e.addSuppressed(cleanup);
            }
            if (e instanceof IOException) {
                throw new AdminException("cannot listen on " + socket + " for channel '" + service + "' of '" + domain + "': "
                        + e.getMessage(), e);
            }
            throw (RuntimeException) e;
        }
    }

    /** The guest learns of a new port a moment after QEMU has it, and its init links it by name then. */
    private void awaitPortInGuest(String domain, String service, String path) {
        try {
            ExecResult result = control.exec(domain, List.of("/bin/sh", "-c", "until [ -e \"$1\" ]; do sleep 0.02; done", "await-port", path),
                    new byte[0], timeout);
            if (result.exitStatus() != 0) {
                throw new AdminException("waiting for " + path + " in '" + domain + "' failed: " + result.stderrText().strip());
            }
        } catch (AdminException e) {
            throw new AdminException("the port of channel '" + service + "' did not appear in '" + domain + "' at " + path + ": "
                    + e.getMessage(), e);
        }
    }

    private final class QemuChannel implements DomainChannel {
        private final String key;
        private final String domain;
        private final String service;
        private final Path socket;
        private final ChannelPorts ports;
        /** Whether QEMU has the port: set once it is added, by the opening thread before anyone else sees the channel. */
        private volatile boolean plugged;
        private boolean closed;
        /** Whether a stream was taken: the next one connects the port anew. */
        private boolean taken;
        private ChannelSocket listening;

        QemuChannel(String key, String domain, String service, Path socket, ChannelPorts ports) {
            this.key = key;
            this.domain = domain;
            this.service = service;
            this.socket = socket;
            this.ports = ports;
        }

        synchronized void listen(int gid) throws IOException {
            // connecting needs write permission on the socket: root and the qube's QEMU (through its group) only
            listening = ChannelSocket.listen("channel '" + service + "' of '" + domain + "'", socket,
                    PosixFilePermissions.fromString("rw-rw----"), OptionalInt.of(gid));
        }

        @Override
        public String domain() {
            return domain;
        }

        @Override
        public String service() {
            return service;
        }

        @Override
        public String qubePath() {
            return QUBE_DIRECTORY + "/" + ChannelPorts.portName(service);
        }

        @Override
        public ByteChannel accept(Duration timeout) {
            if (timeout == null || timeout.isNegative() || timeout.isZero()) {
                throw new InvalidValueException("timeout", String.valueOf(timeout), "a positive duration");
            }
            ChannelSocket waiting;
            synchronized (lockOf.apply(domain)) {
                synchronized (this) {
                    if (closed) {
                        throw new InvalidStateException("channel '" + service + "' of '" + domain + "' is closed");
                    }
                    if (taken) {
                        ports.reconnect(service);
                    }
                    waiting = listening;
                }
            }
            SocketChannel accepted = waiting.accept(timeout).orElseThrow(() -> new InvalidStateException("QEMU of '" + domain
                    + "' did not connect channel '" + service + "' within " + timeout.toMillis() + " ms"));
            synchronized (this) {
                if (!closed) {
                    taken = true;
                    return accepted;
                }
            }
            // closed while it was taken: the stream ends with the channel
            try {
                accepted.close();
            } catch (IOException e) {
                // it is gone either way
            }
            throw new InvalidStateException("channel '" + service + "' of '" + domain + "' was closed");
        }

        /** Removes the port, which ends its stream, then the socket. Closing twice, or after the domain stopped, is a no-op. */
        @Override
        public void close() {
            synchronized (lockOf.apply(domain)) {
                synchronized (this) {
                    if (closed) {
                        return;
                    }
                }
                try {
                    if (plugged && running.test(domain)) {
                        ports.unplug(service);
                    }
                } finally {
                    release();
                }
            }
        }

        /** Stops listening and removes the socket, leaving QEMU alone: for a domain whose QEMU is gone or going. */
        synchronized void release() {
            closed = true;
            try {
                if (listening != null) {
                    listening.close();
                } else {
                    Files.deleteIfExists(socket);
                }
            } catch (IOException e) {
                // the directory goes at the domain's stop, and the socket with it
            } finally {
                open.remove(key, this);
            }
        }
    }
}
