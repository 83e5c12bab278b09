package dev.bulkhead.backend.lite.internal;

import java.io.IOException;
import java.nio.channels.ByteChannel;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.OptionalInt;
import java.util.concurrent.ConcurrentHashMap;
import java.util.stream.Stream;

import dev.bulkhead.api.AdminException;
import dev.bulkhead.api.InvalidStateException;
import dev.bulkhead.api.QubeNames;
import dev.bulkhead.api.hypervisor.ChannelSocket;
import dev.bulkhead.api.hypervisor.DomainChannel;
import dev.bulkhead.api.hypervisor.ServiceNames;
import dev.bulkhead.volume.store.FileTrees;

/**
 * Channels into lite domains: a host directory per running domain, bind-mounted read-only into that
 * domain alone at {@link #QUBE_DIRECTORY}, holding one unix socket per open service that dom0 listens on
 * and the agent in the qube connects to. Read-only, the qube can neither replace a socket with a link
 * that would lead dom0 elsewhere nor leave files of its own. The directory is made fresh at each start
 * and removed at stop; a crash leaves it to the take-over reconciliation.
 */
final class LiteChannels {
    /** Where a qube sees its channels. */
    static final String QUBE_DIRECTORY = "/run/bulkhead/channels";
    /** sockaddr_un's sun_path holds 108 bytes, the last one a NUL. */
    private static final int MAX_SOCKET_PATH = 107;

    private final Path root;
    private final InstanceLayout layout;
    private final Map<String, LiteChannel> open = new ConcurrentHashMap<>();

    /** @param root the host directory that holds every domain's channel directory, of every instance */
    LiteChannels(Path root, InstanceLayout layout) {
        this.root = root;
        this.layout = layout;
    }

    /** A domain's channel directory on the host: the instance's tag in its name keeps instances apart. */
    Path directory(String domain) {
        return root.resolve(layout.netnsName(domain));
    }

    /** The domains of this instance that have a channel directory on the host. */
    List<String> domainsWithDirectories() {
        String prefix = layout.netnsName("");
        try (Stream<Path> entries = Files.list(root)) {
            return entries.map(p -> p.getFileName().toString())
                    .filter(n -> n.startsWith(prefix) && n.length() > prefix.length())
                    .map(n -> n.substring(prefix.length())).sorted().toList();
        } catch (NoSuchFileException e) {
            return List.of();
        } catch (IOException e) {
            throw new AdminException("cannot list " + root + ": " + e.getMessage(), e);
        }
    }

    /** Makes an empty channel directory for a domain about to start; returns it. */
    Path prepare(String domain) {
        remove(domain);
        Path directory = directory(domain);
        try {
            Files.createDirectories(root);
            Files.createDirectory(directory, PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rwxr-xr-x")));
            return directory;
        } catch (IOException e) {
            throw new AdminException("cannot make the channel directory " + directory + ": " + e.getMessage(), e);
        }
    }

    /** Closes the domain's open channels and removes its directory; a no-op when it has none. */
    void remove(String domain) {
        String prefix = domain + "/";
        open.keySet().stream().filter(k -> k.startsWith(prefix)).toList().forEach(k -> {
            LiteChannel channel = open.get(k);
            if (channel != null) {
                channel.close();
            }
        });
        Path directory = directory(domain);
        try {
            FileTrees.deleteRecursively(directory);
        } catch (IOException e) {
            throw new AdminException("cannot remove the channel directory " + directory + ": " + e.getMessage(), e);
        }
    }

    DomainChannel open(String domain, String service) {
        QubeNames.validate(domain);
        ServiceNames.validate(service);
        Path directory = directory(domain);
        if (!Files.isDirectory(directory)) {
            throw new InvalidStateException("cannot open channel '" + service + "' of '" + domain + "': it is not running");
        }
        Path socket = directory.resolve(service);
        if (socket.toString().length() > MAX_SOCKET_PATH) {
            throw new AdminException("cannot open channel '" + service + "' of '" + domain + "': its socket path " + socket
                    + " is longer than the " + MAX_SOCKET_PATH + " bytes a unix socket address holds");
        }
        String key = domain + "/" + service;
        LiteChannel channel = new LiteChannel(key, domain, service, socket);
        if (open.putIfAbsent(key, channel) != null) {
            throw new InvalidStateException("channel '" + service + "' of '" + domain + "' is open already");
        }
        try {
            channel.listen();
        } catch (IOException e) {
            open.remove(key, channel);
            throw new AdminException("cannot listen on " + socket + " for channel '" + service + "' of '" + domain + "': "
                    + e.getMessage(), e);
        }
        return channel;
    }

    private final class LiteChannel implements DomainChannel {
        private final String key;
        private final String domain;
        private final String service;
        private final Path socket;
        private ChannelSocket listening;

        LiteChannel(String key, String domain, String service, Path socket) {
            this.key = key;
            this.domain = domain;
            this.service = service;
            this.socket = socket;
        }

        synchronized void listen() throws IOException {
            // Connecting needs write permission on the socket; whoever runs the agent in the qube may.
            listening = ChannelSocket.listen("channel '" + service + "' of '" + domain + "'", socket,
                    PosixFilePermissions.fromString("rw-rw-rw-"), OptionalInt.empty());
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
            return QUBE_DIRECTORY + "/" + service;
        }

        @Override
        public ByteChannel accept(Duration timeout) {
            ChannelSocket waiting;
            synchronized (this) {
                waiting = listening;
            }
            return waiting.accept(timeout).orElseThrow(() -> new InvalidStateException("no agent in '" + domain
                    + "' connected to channel '" + service + "' within " + timeout.toMillis() + " ms"));
        }

        @Override
        public void close() {
            synchronized (this) {
                try {
                    if (listening != null) {
                        listening.close();
                    }
                } finally {
                    open.remove(key, this);
                }
            }
        }
    }
}
