package dev.bulkhead.role.firewall.internal;

import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collection;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import dev.bulkhead.api.AdminException;
import dev.bulkhead.api.ExecResult;
import dev.bulkhead.api.role.RoleContext;

/**
 * Looks host names up inside the FirewallVM (dom0 has no network), all in one command and in
 * parallel, so a name whose server does not answer costs its timeout once, not once per name.
 */
final class HostNameLookup {
    private static final Duration TIMEOUT = Duration.ofSeconds(30);
    /** Each name's answer goes to a file of its own, then all are printed in order, each after "### NAME". */
    static final String SCRIPT = """
            dir=$(mktemp -d) || exit 1
            i=0
            for name; do i=$((i + 1)); nslookup "$name" > "$dir/$i" 2>&1 & done
            wait
            i=0
            for name; do i=$((i + 1)); echo "%s$name"; cat "$dir/$i"; done
            rm -rf "$dir"
            """.formatted(NslookupOutput.SECTION);

    private HostNameLookup() {
    }

    /** The answer of each name, as the cache keeps it; a name that does not resolve has no addresses. */
    static Map<String, HostNameCache.Answer> answers(RoleContext context, Collection<String> names) {
        Instant now = Instant.now();
        Map<String, HostNameCache.Answer> answers = new LinkedHashMap<>();
        resolve(context, names).forEach((name, addresses) -> answers.put(name, new HostNameCache.Answer(addresses, null, now)));
        return answers;
    }

    /**
     * The addresses of each name; a name that does not resolve has none.
     *
     * @throws AdminException when the lookup itself cannot run
     */
    static Map<String, List<String>> resolve(RoleContext context, Collection<String> names) {
        if (names.isEmpty()) {
            return Map.of();
        }
        List<String> command = new ArrayList<>(List.of("/bin/sh", "-c", SCRIPT, "sh"));
        command.addAll(names);
        ExecResult r = context.exec(command, new byte[0], TIMEOUT);
        if (r.exitStatus() != 0) {
            throw FirewallRole.PROGRAMS.explain(context,
                    new AdminException("cannot look host names up in '" + context.qube().name() + "': " + r.stderrText().strip()));
        }
        return NslookupOutput.sections(r.stdoutText());
    }
}
