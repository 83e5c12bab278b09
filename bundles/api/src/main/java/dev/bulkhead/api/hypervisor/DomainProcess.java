package dev.bulkhead.api.hypervisor;

import java.io.InputStream;
import java.io.OutputStream;
import java.util.concurrent.CompletableFuture;

import org.osgi.annotation.versioning.ConsumerType;

/**
 * A program running in a domain, started by {@link DomainProcesses#startProcess}: its three streams, its exit status,
 * and a kill. Its stdout and stderr must be read (or closed) for it not to block on a full pipe.
 *
 * @since 2.3
 */
@ConsumerType
public interface DomainProcess extends AutoCloseable {
    /** The program's stdin; closing it gives the program an end of file. */
    OutputStream stdin();

    InputStream stdout();

    InputStream stderr();

    /**
     * Completes with the program's exit status once it has ended, by itself or killed (a status above 128 for a
     * signal). Whether the program started at all in the domain is known only from the status: a backend that cannot
     * start it gives a non-zero status and says why on stderr.
     */
    CompletableFuture<Integer> onExit();

    /** Kills the program and every process it started that is still its descendant; a no-op once it has ended. */
    void kill();

    /** {@link #kill()}, for try-with-resources. */
    @Override
    default void close() {
        kill();
    }
}
