package dev.bulkhead.backend.qemu.internal;

import java.util.List;

/**
 * What ends a command in the guest that outlived its timeout, run there through the guest agent: the command and every
 * process it started, stopped first from the top down (so none forks another meanwhile, found through
 * {@code /proc/PID/task/TID/children}), then killed. It is a POSIX shell script using the shell's own {@code kill}:
 * a Debian root without procps has no kill program, and a command run as {@code sh -c} by a shell that does not exec
 * its last command (dash) leaves that command running when only the shell is killed.
 */
final class GuestKill {
    private static final String SCRIPT = """
            all=; next=$1
            while [ -n "$next" ]; do
              level=$next; next=
              for p in $level; do
                kill -STOP "$p" 2>/dev/null || continue
                all="$all $p"
                for c in $(cat /proc/"$p"/task/*/children 2>/dev/null); do next="$next $c"; done
              done
            done
            [ -z "$all" ] || kill -KILL $all 2>/dev/null
            exit 0
            """;

    private GuestKill() {
    }

    /** The command that kills the guest process {@code pid} and its descendants. */
    static List<String> command(long pid) {
        return List.of("sh", "-c", SCRIPT, "sh", Long.toString(pid));
    }
}
