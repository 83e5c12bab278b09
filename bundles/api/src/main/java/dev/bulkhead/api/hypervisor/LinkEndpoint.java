package dev.bulkhead.api.hypervisor;

/**
 * A connected link: the interface name inside the netvm (backend side, as {@code vif<qid>.0} in Qubes)
 * and inside the client ({@code eth0}).
 */
public record LinkEndpoint(LinkSpec link, String backendInterface, String clientInterface) {
}
