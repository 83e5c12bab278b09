package dev.bulkhead.api.hypervisor;

import java.util.Objects;

/**
 * A point-to-point network link between a client qube and the qube that is its netvm, as Qubes
 * makes with a vif whose backend is the netvm. Addresses are IPv4 in dotted form.
 */
public record LinkSpec(String client, int clientQid, String netvm, String clientAddress, String gatewayAddress) {
    public LinkSpec {
        Objects.requireNonNull(client, "client");
        Objects.requireNonNull(netvm, "netvm");
    }
}
