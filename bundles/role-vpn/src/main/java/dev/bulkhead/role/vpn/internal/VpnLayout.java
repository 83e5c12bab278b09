package dev.bulkhead.role.vpn.internal;

/**
 * How a VPN-VM's tunnel is named and routed.
 *
 * @param tunnel the WireGuard interface inside the qube
 */
record VpnLayout(String tunnel) {
    static final VpnLayout QUBE = new VpnLayout("wg0");
    /** The routing table of the clients' traffic, and the mark of the tunnel's own packets, which bypass it. */
    static final int TABLE = 51820;
    /** The VPN-VM's link to its own netvm: only the tunnel's own packets leave through it. */
    static final String UPSTREAM = "eth0";
}
