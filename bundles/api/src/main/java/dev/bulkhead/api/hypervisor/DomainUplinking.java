package dev.bulkhead.api.hypervisor;

import org.osgi.annotation.versioning.ConsumerType;

/**
 * A backend that gives a domain a host network interface as its uplink, as Qubes gives sys-net the
 * machine's network cards. Without it, a role that needs an uplink cannot run its qube there.
 *
 * @since 2.0
 */
@ConsumerType
public interface DomainUplinking {
    /** Gives a running domain a host network interface as its uplink. */
    void attachUplink(String name, UplinkSpec uplink);

    /** Takes an uplink away from a domain; a no-op when it does not have it. */
    void detachUplink(String name, UplinkSpec uplink);
}
