package dev.bulkhead.api.hypervisor;

import dev.bulkhead.api.PowerState;

/** A domain the backend knows on the host, with its state; used to re-adopt running qubes. */
public record DomainStatus(String name, PowerState state) {
}
