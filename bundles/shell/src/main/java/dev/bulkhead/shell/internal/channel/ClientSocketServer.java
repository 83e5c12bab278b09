package dev.bulkhead.shell.internal.channel;

import java.io.IOException;
import java.lang.System.Logger;
import java.lang.System.Logger.Level;
import java.net.BindException;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.channels.ClosedChannelException;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.nio.file.attribute.UserPrincipal;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.atomic.AtomicInteger;

import org.apache.felix.service.command.CommandProcessor;
import org.apache.felix.service.threadio.ThreadIO;

/**
 * Serves {@link dev.bulkhead.shell.client.Client}s on a Unix domain socket: each connection runs one command in a fresh
 * Gogo session. Only processes of the platform's own user are served: the socket and its
 * directory are private to that user, and each peer's credentials are checked as well because
 * root can bypass file modes.
 */
final class ClientSocketServer implements AutoCloseable {
    private static final long ACCEPT_RETRY_MILLIS = 100;

    private final Logger log;
    private final CommandProcessor commandProcessor;
    private final ThreadIO threadIO;
    private final Path socket;
    private final ServerSocketChannel server;
    private final UserPrincipal platformUser;
    private final Set<SocketChannel> peers = ConcurrentHashMap.newKeySet();
    private final ExecutorService connectionThreads;

    /**
     * Listens on {@code socket}, replacing a stale socket file.
     *
     * @throws IllegalStateException if another live process listens there
     */
    ClientSocketServer(CommandProcessor commandProcessor, ThreadIO threadIO, Path socket, Logger log) throws IOException {
        this.log = log;
        this.commandProcessor = commandProcessor;
        this.threadIO = threadIO;
        this.socket = socket;
        createPrivateDirectory(socket.getParent());
        this.server = bindExclusively(socket);
        this.platformUser = Files.getOwner(socket);
        AtomicInteger threadCount = new AtomicInteger();
        this.connectionThreads = Executors.newCachedThreadPool(task -> {
            Thread thread = new Thread(task, "bulkhead-client-" + threadCount.incrementAndGet());
            thread.setDaemon(true);
            return thread;
        });
        Thread acceptor = new Thread(this::acceptConnections, "bulkhead-client-channel");
        acceptor.setDaemon(true);
        acceptor.start();
        log.log(Level.INFO, "Client channel listening on {0}", socket);
    }

    private static void createPrivateDirectory(Path directory) throws IOException {
        Files.createDirectories(directory);
        Files.setPosixFilePermissions(directory, PosixFilePermissions.fromString("rwx------"));
    }

    /** Binds the socket unless a live instance holds it; a socket left by a crash is replaced. */
    private ServerSocketChannel bindExclusively(Path socket) throws IOException {
        UnixDomainSocketAddress address = UnixDomainSocketAddress.of(socket);
        if (Files.exists(socket, LinkOption.NOFOLLOW_LINKS)) {
            if (answers(address)) {
                throw heldByAnotherInstance();
            }
            Files.delete(socket);
            log.log(Level.INFO, "Replaced the stale client socket {0}", socket);
        }
        ServerSocketChannel bound = ServerSocketChannel.open(StandardProtocolFamily.UNIX);
        try {
            bound.bind(address);
            Files.setPosixFilePermissions(socket, PosixFilePermissions.fromString("rw-------"));
            return bound;
        } catch (BindException raced) {
            bound.close();
            throw heldByAnotherInstance();
        } catch (IOException | RuntimeException e) {
            bound.close();
            throw e;
        }
    }

    private static boolean answers(UnixDomainSocketAddress address) {
        try (SocketChannel probe = SocketChannel.open(address)) {
            return true;
        } catch (IOException refused) {
            return false;
        }
    }

    private IllegalStateException heldByAnotherInstance() {
        return new IllegalStateException("Another Bulkhead instance is listening on " + socket
                + "; this one runs without a client channel. Stop the other instance or give this one its own data directory.");
    }

    private void acceptConnections() {
        while (server.isOpen()) {
            try {
                SocketChannel peer = server.accept();
                peers.add(peer);
                try {
                    connectionThreads.execute(() -> {
                        try {
                            new ClientConnection(peer, platformUser, commandProcessor, threadIO, connectionThreads, log).run();
                        } finally {
                            peers.remove(peer);
                        }
                    });
                } catch (RejectedExecutionException closing) {
                    // Accepted while the channel closes: no thread will serve it.
                    peer.close();
                    throw closing;
                }
            } catch (ClosedChannelException | RejectedExecutionException closed) {
                return;
            } catch (IOException e) {
                // Such as running out of file descriptors: wait rather than spin.
                log.log(Level.WARNING, "Client channel could not accept a connection: {0}", e.toString());
                sleep(ACCEPT_RETRY_MILLIS);
            }
        }
    }

    private static void sleep(long millis) {
        try {
            Thread.sleep(millis);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    @Override
    public void close() {
        try {
            server.close();
        } catch (IOException e) {
            log.log(Level.WARNING, "Closing the client channel: {0}", e.toString());
        }
        for (SocketChannel peer : peers) {
            try {
                peer.close();
            } catch (IOException e) {
                log.log(Level.DEBUG, "Closing a client connection: {0}", e.toString());
            }
        }
        connectionThreads.shutdownNow();
        try {
            Files.deleteIfExists(socket);
        } catch (IOException e) {
            log.log(Level.WARNING, "Could not remove {0}: {1}", socket, e.toString());
        }
    }
}
