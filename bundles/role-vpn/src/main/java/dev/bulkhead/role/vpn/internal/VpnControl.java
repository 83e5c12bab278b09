package dev.bulkhead.role.vpn.internal;

import java.time.Duration;
import java.util.List;

import dev.bulkhead.api.AdminException;
import dev.bulkhead.api.ExecResult;

/** Reads a VPN-VM's tunnel status from a shell in the qube. */
final class VpnControl {
    static final Duration TIMEOUT = Duration.ofSeconds(15);

    /** Runs a command in the VPN-VM and waits for it. */
    interface Shell {
        ExecResult exec(List<String> command, byte[] stdin);
    }

    private VpnControl() {
    }

    static VpnStatus query(Shell shell, VpnLayout layout) {
        ExecResult r;
        try {
            r = shell.exec(VpnScripts.status(layout), new byte[0]);
        } catch (AdminException e) {
            return VpnStatus.unavailable("cannot look at the tunnel: " + e.getMessage());
        }
        if (r.exitStatus() == VpnScripts.MISSING) {
            return VpnStatus.unavailable("no tunnel: there is no interface " + layout.tunnel() + "; clients get nothing through");
        }
        if (r.exitStatus() != 0) {
            return VpnStatus.unavailable("cannot read the tunnel: " + r.stderrText().strip().replace('\n', ' '));
        }
        return VpnStatus.parse(r.stdoutText());
    }
}
