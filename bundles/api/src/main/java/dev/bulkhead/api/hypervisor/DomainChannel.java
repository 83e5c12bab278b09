package dev.bulkhead.api.hypervisor;

import java.nio.channels.ByteChannel;
import java.time.Duration;

import org.osgi.annotation.versioning.ConsumerType;

/** dom0's end of one channel into a domain, open until it is closed or the domain stops. */
@ConsumerType
public interface DomainChannel extends AutoCloseable {
    String domain();

    String service();

    /** Where the agent in the qube finds the other end: a unix socket (lite), a virtio-serial port (qemu). */
    String qubePath();

    /**
     * Waits for the agent's connection and returns the stream, both ways. Each call takes the next
     * connection, so an agent that restarts connects again.
     *
     * @param timeout a positive duration ({@link dev.bulkhead.api.InvalidValueException} otherwise)
     * @throws dev.bulkhead.api.InvalidStateException when no agent connected within the timeout, or the channel is closed
     */
    ByteChannel accept(Duration timeout);

    /** Ends the channel: the agent can no longer connect; streams already accepted stay open. Closing twice is a no-op. */
    @Override
    void close();
}
