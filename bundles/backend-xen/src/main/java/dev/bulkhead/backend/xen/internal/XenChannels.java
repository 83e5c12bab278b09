package dev.bulkhead.backend.xen.internal;

import java.io.IOException;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.channels.ByteChannel;
import java.nio.channels.SocketChannel;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.Function;
import java.util.function.Predicate;

import dev.bulkhead.api.AdminException;
import dev.bulkhead.api.InvalidStateException;
import dev.bulkhead.api.InvalidValueException;
import dev.bulkhead.api.hypervisor.DomainChannel;
import dev.bulkhead.api.hypervisor.ServiceNames;
import dev.bulkhead.backend.xen.internal.DomainXml.Channel;

/**
 * Channels into Xen domains as Xen PV channels. Each domain is defined with one channel per declared service
 * ({@link #declared}): libxl has QEMU in dom0 serve it, listening on the unix socket {@code DIRECTORY/DOMAIN.SERVICE}
 * in dom0, and the guest sees it as a Xen console of its own ({@code /dev/hvcN}, its name
 * {@value DomainXml#CHANNEL_PREFIX}SERVICE in xenstore's {@code device/console/N/name}), which its init links at
 * {@value #QUBE_DIRECTORY}{@code /dev.bulkhead.SERVICE}. dom0's end of the stream is a connection to QEMU's socket.
 * <p>
 * A channel is one stream, as a virtio-serial port is: the guest opens the console device (one process at a time, in
 * raw mode); QEMU takes one connection at a time, and bytes the guest writes while dom0 has none are dropped. The
 * stream ends when the domain stops (QEMU ends with it) or the channel is closed.
 * <p>
 * Only on dom0 itself: the socket is a file in dom0, and libvirt gives no stream to a channel of the libxl driver
 * (its 9.0 driver has no {@code virDomainOpenChannel}; its {@code virDomainOpenConsole} opens the first console or an
 * HVM serial port only), so a remote URI can declare channels but not open them.
 */
final class XenChannels {
    /** Where the guest's init links each channel's console by its name. */
    static final String QUBE_DIRECTORY = "/dev/xen-channels";
    /** libvirt's own directory of the libxl driver's channel sockets, which libvirtd makes. */
    static final Path DEFAULT_DIRECTORY = Path.of("/var/lib/libvirt/libxl/channel/target");
    private static final long CONNECT_POLL_MILLIS = 20;

    private final Path directory;
    private final List<String> services;
    private final boolean local;
    private final String uri;
    private final Function<String, Object> lockOf;
    private final Predicate<String> running;
    private final Map<String, XenChannel> open = new ConcurrentHashMap<>();

    /**
     * @param directory where QEMU in dom0 listens, one socket per domain and service
     * @param services  the services every domain is defined with a channel for
     * @param local     whether dom0 is this host, where the sockets can be reached
     * @param uri       libvirt's URI, for messages
     * @param lockOf    the lock a domain's lifecycle holds
     * @param running   whether a domain runs
     */
    XenChannels(Path directory, List<String> services, boolean local, String uri, Function<String, Object> lockOf,
            Predicate<String> running) {
        this.directory = directory;
        this.services = services.stream().map(XenChannels::service).distinct().toList();
        this.local = local;
        this.uri = uri;
        this.lockOf = lockOf;
        this.running = running;
    }

    /** The channels a domain is defined with. */
    List<Channel> declared(String domain) {
        return services.stream().map(s -> new Channel(s, socket(domain, s))).toList();
    }

    Path directory() {
        return directory;
    }

    /**
     * Opens dom0's end of a channel of a running domain. Names are checked first: a bad one changes nothing.
     *
     * @throws InvalidValueException for a bad domain or service name, or a service qubes are not started with
     * @throws InvalidStateException on a remote dom0, when the domain does not run, or when the channel is open already
     */
    DomainChannel open(String domain, String service) {
        DomainValues.name("domain", domain);
        service(service);
        if (!services.contains(service)) {
            throw new InvalidValueException("service", service, "a service qubes are started with a channel for: " + services
                    + " (the xen backend's setting channels)");
        }
        if (!local) {
            throw new InvalidStateException("cannot open channel '" + service + "' of '" + domain + "': its socket is in the"
                    + " remote dom0 of " + uri + ", and libvirt's libxl driver gives no stream to a channel"
                    + " (no virDomainOpenChannel): channels of the xen backend open on dom0 itself only");
        }
        synchronized (lockOf.apply(domain)) {
            if (!running.test(domain)) {
                throw new InvalidStateException("cannot open channel '" + service + "' of '" + domain + "': it is not running");
            }
            String key = domain + "/" + service;
            XenChannel channel = new XenChannel(key, domain, service, socket(domain, service));
            if (open.putIfAbsent(key, channel) != null) {
                throw new InvalidStateException("channel '" + service + "' of '" + domain + "' is open already");
            }
            return channel;
        }
    }

    /** Ends the open channels of a domain that stopped or is stopping: their streams end, as QEMU's sockets do. */
    void release(String domain) {
        String prefix = domain + "/";
        open.entrySet().stream().filter(e -> e.getKey().startsWith(prefix)).map(Map.Entry::getValue).toList()
                .forEach(XenChannel::close);
    }

    private Path socket(String domain, String service) {
        return directory.resolve(DomainValues.name("name", domain) + "." + service);
    }

    private static String service(String service) {
        try {
            return ServiceNames.validate(service);
        } catch (InvalidValueException e) {
            throw new InvalidValueException("service", DomainValues.shown(service), "a service name: 1 to "
                    + ServiceNames.MAX_LENGTH + " letters, digits, '.', '_', '+' or '-', not starting with '.'");
        }
    }

    private final class XenChannel implements DomainChannel {
        private final String key;
        private final String domain;
        private final String service;
        private final Path socket;
        private boolean closed;
        private SocketChannel stream;

        XenChannel(String key, String domain, String service, Path socket) {
            this.key = key;
            this.domain = domain;
            this.service = service;
            this.socket = socket;
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
            return QUBE_DIRECTORY + "/" + DomainXml.CHANNEL_PREFIX + service;
        }

        /**
         * Connects to QEMU's socket, ending the stream an earlier call returned: QEMU takes one connection at a time, and
         * takes the next once it has seen the earlier one end. Waits for the socket while QEMU has not made it yet.
         */
        @Override
        public ByteChannel accept(Duration timeout) {
            if (timeout == null || timeout.isNegative() || timeout.isZero()) {
                throw new InvalidValueException("timeout", String.valueOf(timeout), "a positive duration");
            }
            long deadline = System.nanoTime() + timeout.toNanos();
            synchronized (this) {
                checkOpen();
                closeStream();
            }
            while (true) {
                SocketChannel connected = null;
                try {
                    connected = SocketChannel.open(StandardProtocolFamily.UNIX);
                    connected.connect(UnixDomainSocketAddress.of(socket));
                    synchronized (this) {
                        if (closed) {
                            closeQuietly(connected);
                            throw new InvalidStateException("channel '" + service + "' of '" + domain + "' was closed");
                        }
                        stream = connected;
                        return connected;
                    }
                } catch (IOException e) {
                    closeQuietly(connected);
                    if (System.nanoTime() - deadline >= 0) {
                        throw new InvalidStateException("QEMU of '" + domain + "' took no connection to channel '" + service
                                + "' at " + socket + " within " + timeout.toMillis() + " ms: " + e.getMessage());
                    }
                }
                try {
                    Thread.sleep(CONNECT_POLL_MILLIS);
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                    throw new AdminException("interrupted while connecting channel '" + service + "' of '" + domain + "'", e);
                }
                synchronized (this) {
                    checkOpen();
                }
            }
        }

        /** Ends the stream; the domain keeps its channel, which a later open connects to again. */
        @Override
        public synchronized void close() {
            if (closed) {
                return;
            }
            closed = true;
            closeStream();
            open.remove(key, this);
        }

        private void checkOpen() {
            if (closed) {
                throw new InvalidStateException("channel '" + service + "' of '" + domain + "' is closed");
            }
        }

        private void closeStream() {
            closeQuietly(stream);
            stream = null;
        }
    }

    private static void closeQuietly(SocketChannel channel) {
        if (channel == null) {
            return;
        }
        try {
            channel.close();
        } catch (IOException e) {
            // it is gone either way
        }
    }
}
