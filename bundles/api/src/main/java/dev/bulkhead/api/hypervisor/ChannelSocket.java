package dev.bulkhead.api.hypervisor;

import java.io.IOException;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.channels.ClosedChannelException;
import java.nio.channels.ClosedSelectorException;
import java.nio.channels.SelectionKey;
import java.nio.channels.Selector;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermission;
import java.time.Duration;
import java.util.Objects;
import java.util.Optional;
import java.util.OptionalInt;
import java.util.Set;

import dev.bulkhead.api.AdminException;
import dev.bulkhead.api.InvalidStateException;
import dev.bulkhead.api.InvalidValueException;

/**
 * dom0's listening unix socket of one channel, for a backend whose {@link DomainChannel} is reached through one:
 * the socket the agent in the qube connects to, or the one the hypervisor connects a device's stream to. It binds
 * the socket with the owner group and mode the backend chooses, takes connections one at a time, each within a
 * bound, and removes the socket when it closes.
 * <p>
 * Whoever can connect is treated as hostile. It can connect as often as the listen backlog lets it, and close
 * straight away (the stream it leaves reads end of file); it cannot make {@link #accept} wait past its timeout, and
 * once the socket is closed no connection is taken from it: connections still waiting end with it.
 *
 * @since 2.2
 */
public final class ChannelSocket implements AutoCloseable {
    private final String name;
    private final Path socket;
    private final ServerSocketChannel server;
    private final Selector selector;
    private boolean closed;

    private ChannelSocket(String name, Path socket, ServerSocketChannel server, Selector selector) {
        this.name = name;
        this.socket = socket;
        this.server = server;
        this.selector = selector;
    }

    /**
     * Listens on {@code socket}, replacing a socket file an earlier run of the platform left there.
     *
     * @param name        what the errors call the channel, such as {@code channel 'qubes.Gui' of 'work'}
     * @param permissions the socket's mode: connecting needs write permission
     * @param group       the socket's owner group, or empty to leave the one it is made with
     * @throws IOException when it cannot be bound or given its owner and mode; nothing is left behind then
     */
    public static ChannelSocket listen(String name, Path socket, Set<PosixFilePermission> permissions, OptionalInt group)
            throws IOException {
        Objects.requireNonNull(name, "name");
        Objects.requireNonNull(permissions, "permissions");
        Objects.requireNonNull(group, "group");
        // a socket file left by an earlier run of the platform would make bind fail
        Files.deleteIfExists(socket);
        ServerSocketChannel server = ServerSocketChannel.open(StandardProtocolFamily.UNIX);
        Selector selector = null;
        try {
            server.bind(UnixDomainSocketAddress.of(socket));
            if (group.isPresent()) {
                Files.setAttribute(socket, "unix:gid", group.getAsInt());
            }
            Files.setPosixFilePermissions(socket, permissions);
            server.configureBlocking(false);
            selector = Selector.open();
            server.register(selector, SelectionKey.OP_ACCEPT);
            return new ChannelSocket(name, socket, server, selector);
        } catch (IOException | RuntimeException e) {
            try {
                if (selector != null) {
                    selector.close();
                }
                server.close();
                Files.deleteIfExists(socket);
            } catch (IOException cleanup) {
                e.addSuppressed(cleanup);
            }
            throw e;
        }
    }

    /** Where the socket is. */
    public Path path() {
        return socket;
    }

    /**
     * Takes the next connection, waiting for one at most {@code timeout}; the stream it returns blocks.
     *
     * @param timeout a positive duration ({@link InvalidValueException} otherwise)
     * @return the connection, or empty when none came within the timeout
     * @throws InvalidStateException when the socket is closed, or closes while this waits
     */
    public Optional<SocketChannel> accept(Duration timeout) {
        if (timeout == null || timeout.isNegative() || timeout.isZero()) {
            throw new InvalidValueException("timeout", String.valueOf(timeout), "a positive duration");
        }
        synchronized (this) {
            if (closed) {
                throw new InvalidStateException(name + " is closed");
            }
        }
        try {
            long deadline = System.nanoTime() + timeout.toNanos();
            while (true) {
                selector.select(Math.max(1, Duration.ofNanos(deadline - System.nanoTime()).toMillis()));
                selector.selectedKeys().clear();
                SocketChannel accepted;
                synchronized (this) {
                    if (closed) {
                        throw new InvalidStateException(name + " was closed");
                    }
                    accepted = server.accept();
                }
                if (accepted != null) {
                    accepted.configureBlocking(true);
                    return Optional.of(accepted);
                }
                if (System.nanoTime() - deadline >= 0) {
                    return Optional.empty();
                }
            }
        } catch (ClosedSelectorException | ClosedChannelException e) {
            throw new InvalidStateException(name + " was closed");
        } catch (IOException e) {
            throw new AdminException("cannot accept on " + name + ": " + e.getMessage(), e);
        }
    }

    public synchronized boolean isOpen() {
        return !closed;
    }

    /**
     * Stops listening, which wakes an {@link #accept} that waits, and removes the socket file. Streams already
     * taken stay open. Closing twice is a no-op.
     */
    @Override
    public synchronized void close() {
        if (closed) {
            return;
        }
        closed = true;
        try {
            selector.close();
            server.close();
            Files.deleteIfExists(socket);
        } catch (IOException e) {
            // the channel's directory goes when its domain stops, and the socket with it
        }
    }
}
