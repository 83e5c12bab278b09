package dev.bulkhead.role.vpn.internal;

import java.util.Optional;
import java.util.Set;

import dev.bulkhead.api.role.RoleContext;

/** The VPN-VMs the role runs now: what its shell commands and status features use. Private to this bundle. */
interface VpnQubes {
    /** The running VPN-VMs the role has been told of. */
    Set<String> running();

    /** The context of a running VPN-VM, if the role has been told of it. */
    Optional<RoleContext> context(String name);

    VpnLayout layout();

    /**
     * Puts a newly imported configuration in force in a running VPN-VM: its DNS in the filter, then
     * a new tunnel. Returns false, changing nothing, when the role does not know the qube as running.
     *
     * @throws dev.bulkhead.api.AdminException when the new tunnel cannot be made; the VPN-VM then has
     *         none, and its clients get nothing through
     */
    boolean apply(String name, WgQuickConfig config);
}
