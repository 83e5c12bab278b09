package dev.bulkhead.api.hypervisor;

import org.osgi.annotation.versioning.ConsumerType;

/**
 * A backend that gives dom0 byte streams into its domains, one per domain and service name: the role
 * Xen's vchan plays in Qubes, for the GUI agent and for services between qubes. dom0 opens the
 * channel; the agent in the qube connects to the place {@link DomainChannel#qubePath()} names (a unix socket)
 * or opens it (a character device), and dom0 accepts the stream. Only that domain can reach its channels, and
 * they end when it stops.
 *
 * @since 2.1
 */
@ConsumerType
public interface DomainChannels {
    /**
     * Opens dom0's end of a channel of a running domain.
     *
     * @param service a service name ({@link ServiceNames#validate(String)})
     * @throws dev.bulkhead.api.InvalidValueException for a bad domain or service name, before anything changes
     * @throws dev.bulkhead.api.InvalidStateException when the domain is not running or the channel is open already
     */
    DomainChannel openChannel(String domain, String service);
}
