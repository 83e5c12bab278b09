package dev.bulkhead.api.hypervisor;

import java.util.Objects;

/**
 * A host network interface given to a domain as its uplink, as Qubes gives sys-net the machine's
 * network cards. The domain sees it as {@code domainInterface}; addresses and routes are set
 * inside the domain by its role.
 *
 * @param mode how the interface reaches the domain
 * @param hostInterface {@link Mode#VETH}: name of the host-side end to create; {@link Mode#MOVE} and
 *        {@link Mode#MACVLAN}: the existing host interface
 * @param hostNamespace {@link Mode#VETH} only: the named network namespace the host-side end goes
 *        into, or {@code null} for the host's own
 * @param domainInterface the interface name inside the domain
 */
public record UplinkSpec(Mode mode, String hostInterface, String hostNamespace, String domainInterface) {
    public enum Mode {
        /** A new veth pair: one end in the domain, the other in a host namespace. */
        VETH,
        /** An existing host interface moved into the domain. */
        MOVE,
        /** A macvlan on an existing host interface, in the domain. */
        MACVLAN
    }

    public UplinkSpec {
        Objects.requireNonNull(mode, "mode");
        Objects.requireNonNull(hostInterface, "hostInterface");
        Objects.requireNonNull(domainInterface, "domainInterface");
    }
}
