package dev.bulkhead.api.hypervisor;

import org.osgi.annotation.versioning.ConsumerType;

/**
 * A backend that links a client domain to the domain that is its netvm, as Qubes does with a vif
 * whose backend is the netvm. A backend without it runs only qubes without a netvm; the core refuses
 * the rest before it starts anything.
 *
 * @since 2.0
 */
@ConsumerType
public interface DomainLinking {
    /** Creates the link between a running client and its running netvm. */
    LinkEndpoint connect(LinkSpec link);

    /** Removes a link; a no-op when it does not exist. */
    void disconnect(LinkSpec link);
}
