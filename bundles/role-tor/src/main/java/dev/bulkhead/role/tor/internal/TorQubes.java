package dev.bulkhead.role.tor.internal;

import java.util.Optional;
import java.util.Set;

import dev.bulkhead.api.role.RoleContext;

/** The TorVMs the role runs now: what its shell command and its status features read. Private to this bundle. */
interface TorQubes {
    /** The running TorVMs the role has been told of. */
    Set<String> running();

    /** The context of a running TorVM, if the role has been told of it. */
    Optional<RoleContext> context(String name);

    /** Where tor lives in the TorVMs. */
    TorLayout layout();
}
