package dev.bulkhead.role.tor.internal;

import java.util.List;

/**
 * The shell scripts the role runs inside a TorVM (as root, with the qube's busybox). Secrets travel
 * on standard input, never in an argument list.
 */
final class TorScripts {
    /** Exit status of {@link #start} when the qube's root has no tor. */
    static final int NO_TOR = 3;
    /** Exit status of {@link #status} when tor was never started by this role in the qube. */
    static final int NOT_STARTED = 3;

    private TorScripts() {
    }

    /**
     * Starts tor as its own user and returns once its TransPort listens. Standard input: the
     * control password on the first line, then the torrc. Tor's output goes to a log that only root
     * can read (tor writes it through the descriptor it is given). Fails with tor's last words when
     * tor exits, or after 20 s.
     */
    static List<String> start(TorLayout l) {
        String script = """
                set -e
                if [ ! -x %1$s ]; then
                    echo "there is no tor in this qube: %1$s is missing" >&2
                    exit %6$d
                fi
                if [ -s %8$s ] && pid=$(cat %8$s) && [ "$(cat /proc/"$pid"/comm 2>/dev/null)" = tor ] && kill "$pid" 2>/dev/null; then
                    tries=0
                    while kill -0 "$pid" 2>/dev/null && ! grep -q '^State:[[:space:]]*Z' /proc/"$pid"/status 2>/dev/null; do
                        tries=$((tries + 1))
                        if [ "$tries" -gt 200 ]; then
                            echo "the tor already running (pid $pid) did not stop within 20 s" >&2
                            exit 5
                        fi
                        usleep 100000
                    done
                fi
                rm -f %8$s
                mkdir -p %2$s %3$s
                chmod 1777 %2$s %3$s
                umask 077
                read -r password
                printf '%%s\\n' "$password" > %4$s
                umask 022
                cat > %5$s
                setsid start-stop-daemon -S -c %7$s -m -p %8$s -x %1$s -- -f %5$s --defaults-torrc /dev/null \\
                    < /dev/null > %9$s 2>&1 &
                tries=0
                while ! grep -q ':%10$04X 00000000:0000 0A' /proc/net/tcp; do
                    if [ -s %8$s ] && ! kill -0 "$(cat %8$s)" 2>/dev/null; then
                        echo "tor exited:" >&2
                        tail -n 5 %9$s >&2
                        exit 4
                    fi
                    tries=$((tries + 1))
                    if [ "$tries" -gt 200 ]; then
                        echo "tor did not open its TransPort within 20 s:" >&2
                        tail -n 5 %9$s >&2
                        exit 5
                    fi
                    usleep 100000
                done
                """.formatted(l.binary(), l.runDirectory(), l.dataDirectory(), l.passwordFile(), l.torrc(), NO_TOR, l.user(),
                l.pidFile(), l.log(), TorLayout.TRANS_PORT);
        return List.of("/bin/sh", "-c", script);
    }

    /** Asks tor, on its ControlPort, for its version, bootstrap phase and circuits; prints tor's replies. */
    static List<String> status(TorLayout l) {
        String script = """
                read -r password < %1$s 2>/dev/null || exit %2$d
                printf 'AUTHENTICATE "%%s"\\r\\nGETINFO version status/bootstrap-phase status/circuit-established\\r\\nGETINFO circuit-status\\r\\nQUIT\\r\\n' \\
                    "$password" | timeout 5 nc 127.0.0.1 %3$d
                """.formatted(l.passwordFile(), NOT_STARTED, TorLayout.CONTROL_PORT);
        return List.of("/bin/sh", "-c", script);
    }
}
