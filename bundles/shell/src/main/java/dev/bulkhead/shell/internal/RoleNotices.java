package dev.bulkhead.shell.internal;

import java.io.PrintStream;
import java.util.Collection;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.stream.Collectors;

import dev.bulkhead.api.Qube;
import dev.bulkhead.api.QubeAdmin;
import dev.bulkhead.api.QubeProperty;
import dev.bulkhead.api.RoleInfo;
import dev.bulkhead.api.role.QubeRole;

/**
 * What the roles say about the qubes a command shows or starts, such as a NetVM that has no uplink, as
 * {@code warning: QUBE: notice} lines on the error stream: said once per command, and never a failure.
 */
final class RoleNotices {
    /** A netvm chain longer than this is a loop the core would have refused; it is not followed further. */
    private static final int MAX_CHAIN = 64;

    private final QubeAdmin admin;
    private final PrintStream err;
    private final Map<String, List<String>> byRole;
    private final Set<String> said = new HashSet<>();

    RoleNotices(QubeAdmin admin, PrintStream err) {
        this.admin = admin;
        this.err = err;
        this.byRole = admin.roles().stream().filter(r -> !r.notices().isEmpty())
                .collect(Collectors.toMap(RoleInfo::id, RoleInfo::notices));
    }

    /** The notices about each of these qubes. */
    void about(Collection<Qube> qubes) {
        qubes.forEach(this::say);
    }

    /** The notices about the qube and every qube of its netvm chain: what it depends on for its network. */
    void aboutChain(String name) {
        if (byRole.isEmpty()) {
            return;
        }
        Optional<Qube> next = admin.find(name);
        for (int hops = 0; next.isPresent() && hops < MAX_CHAIN; hops++) {
            Qube q = next.get();
            say(q);
            String netvm = q.value(QubeProperty.NETVM);
            next = netvm.isEmpty() ? Optional.empty() : admin.find(netvm);
        }
    }

    private void say(Qube q) {
        List<String> notices = byRole.get(q.features().get(QubeRole.ROLE_FEATURE));
        if (notices != null && said.add(q.name())) {
            notices.forEach(n -> err.println("warning: " + q.name() + ": " + n));
        }
    }
}
