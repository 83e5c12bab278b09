package dev.bulkhead.example.dns.internal;

import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;

import dev.bulkhead.api.AdminException;
import dev.bulkhead.api.ExecResult;
import dev.bulkhead.api.role.QubePrograms;
import dev.bulkhead.api.role.RoleContext;

/**
 * The dnsmasq inside a DNS filter qube: its configuration, and starting and stopping it through the
 * qube's shell. A new block list restarts it, so the command that applied a list returns only once
 * dnsmasq answers with it (or has failed to start, and then nothing answers).
 */
final class Dnsmasq {
    /** Where it keeps its files in the qube: /run is the qube's own tmpfs. */
    static final String DIRECTORY = "/run/dns-filter";
    private static final Duration TIMEOUT = Duration.ofSeconds(30);
    /** What a DNS filter qube runs in its root; named when a command fails for want of one. */
    static final QubePrograms PROGRAMS = QubePrograms.of("dnsmasq", "dnsmasq-base", "nft", "nftables");

    /**
     * Run as {@code sh -c SCRIPT sh start|stop DIRECTORY}; {@code start} reads the configuration
     * from its input. The pid file is trusted only while it names a running dnsmasq, so a reused pid
     * is never killed; a stopped one is waited for until it has let go of port 53.
     */
    static final String SCRIPT = """
            dir=$2
            stop() {
                [ -s "$dir/dnsmasq.pid" ] || return 0
                pid=$(cat "$dir/dnsmasq.pid")
                rm -f "$dir/dnsmasq.pid"
                [ "$(cat "/proc/$pid/comm" 2>/dev/null)" = dnsmasq ] || return 0
                kill "$pid" 2>/dev/null || return 0
                i=0
                while [ -d "/proc/$pid" ] && ! grep -q '^State:[[:space:]]*Z' "/proc/$pid/status" 2>/dev/null; do
                    i=$((i + 1))
                    [ "$i" -le 500 ] || { echo "dnsmasq (pid $pid) does not stop" >&2; return 1; }
                    usleep 10000
                done
            }
            case "$1" in
                stop) stop ;;
                start) mkdir -p "$dir" && stop && cat > "$dir/dnsmasq.conf" && exec dnsmasq --conf-file="$dir/dnsmasq.conf" ;;
                *) echo "usage: start|stop DIRECTORY" >&2; exit 2 ;;
            esac
            """;

    private final String directory;

    /** @param directory where its files go inside the qube */
    Dnsmasq(String directory) {
        this.directory = directory;
    }

    /**
     * The configuration: answer only on client links (and loopback), never from the qube's own
     * hosts file or resolv.conf, forward to the virtual DNS of the qube's own netvm, and NXDOMAIN for
     * every blocked name and every name under it. It stays root with root's group: the qube grants
     * no capability to change either, and is its sandbox.
     */
    String config(BlockList blocked) {
        StringBuilder conf = new StringBuilder();
        conf.append("no-resolv\nno-hosts\ninterface=vif*\nuser=root\ngroup=\n");
        conf.append("pid-file=").append(directory).append("/dnsmasq.pid\n");
        conf.append("log-facility=").append(directory).append("/dnsmasq.log\n");
        for (String upstream : DnsFilterRuleset.VIRTUAL_DNS) {
            conf.append("server=").append(upstream).append('\n');
        }
        for (String name : blocked.names()) {
            conf.append("address=/").append(name).append("/\n");
        }
        return conf.toString();
    }

    /** (Re)starts dnsmasq with the list; when this throws, no dnsmasq runs. */
    void start(RoleContext context, BlockList blocked) {
        ExecResult r = context.exec(List.of("/bin/sh", "-c", SCRIPT, "sh", "start", directory),
                config(blocked).getBytes(StandardCharsets.UTF_8), TIMEOUT);
        if (r.exitStatus() != 0) {
            AdminException failure = PROGRAMS.explain(context, new AdminException("cannot start dnsmasq in '" + context.qube().name()
                    + "': " + r.stderrText().strip()));
            try {
                stop(context);
            } catch (AdminException e) {
                failure.addSuppressed(e);
            }
            throw failure;
        }
    }

    void stop(RoleContext context) {
        ExecResult r = context.exec(List.of("/bin/sh", "-c", SCRIPT, "sh", "stop", directory), new byte[0], TIMEOUT);
        if (r.exitStatus() != 0) {
            throw new AdminException("cannot stop dnsmasq in '" + context.qube().name() + "': " + r.stderrText().strip());
        }
    }
}
