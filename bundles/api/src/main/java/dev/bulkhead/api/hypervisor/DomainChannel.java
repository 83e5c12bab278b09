package dev.bulkhead.api.hypervisor;

import java.nio.channels.ByteChannel;
import java.time.Duration;

import org.osgi.annotation.versioning.ConsumerType;

/** dom0's end of one channel into a domain, open until it is closed or the domain stops. */
@ConsumerType
public interface DomainChannel extends AutoCloseable {
    String domain();

    String service();

    /**
     * Where the agent in the qube finds its end: an absolute path in the qube, there when
     * {@link DomainChannels#openChannel} returns. What it names is the backend's, and an agent tells the two
     * kinds apart by the file's type:
     * <ul>
     * <li>a unix socket (lite: {@code /run/bulkhead/channels/SERVICE}), which the agent connects to; each
     * connection is a stream of its own;</li>
     * <li>a character device (qemu: the virtio-serial port {@code /dev/virtio-ports/dev.bulkhead.SERVICE}), which
     * the agent opens for reading and writing, one process at a time; the device carries one stream, which
     * an agent that closes and opens it again continues. The agent reads end of file once dom0 has closed
     * the stream.</li>
     * </ul>
     */
    String qubePath();

    /**
     * Returns the next stream, both ways. On a socket it waits for the agent's connection, and each call takes
     * the next connection, so an agent that restarts connects again. On a device the stream is the port's,
     * there at once: bytes dom0 writes wait until the agent opens the device and reads them, and each call
     * after the first connects the port anew, which ends the stream the previous call returned.
     *
     * @param timeout a positive duration ({@link dev.bulkhead.api.InvalidValueException} otherwise)
     * @throws dev.bulkhead.api.InvalidStateException when no agent (on a device: the hypervisor) connected within the
     *         timeout, or the channel is closed
     */
    ByteChannel accept(Duration timeout);

    /**
     * Ends the channel: the agent can no longer connect. Streams already accepted from a socket stay open; a
     * device goes from the qube, and its stream ends with it. Closing twice is a no-op.
     */
    @Override
    void close();
}
