package dev.bulkhead.role.tor.internal;

import java.time.Duration;
import java.util.List;

import dev.bulkhead.api.AdminException;
import dev.bulkhead.api.ExecResult;

/** Reads a TorVM's tor status through its ControlPort, from a shell in the qube. */
final class TorControl {
    static final Duration TIMEOUT = Duration.ofSeconds(15);

    /** Runs a command in the TorVM and waits for it. */
    interface Shell {
        ExecResult exec(List<String> command, byte[] stdin);
    }

    private TorControl() {
    }

    static TorStatus query(Shell shell, TorLayout layout) {
        ExecResult r;
        try {
            r = shell.exec(TorScripts.status(layout), new byte[0]);
        } catch (AdminException e) {
            return TorStatus.unavailable("cannot ask tor: " + e.getMessage());
        }
        if (r.exitStatus() == TorScripts.NOT_STARTED) {
            return TorStatus.unavailable("tor was not started in this qube by the TorVM role");
        }
        if (r.stdoutText().isBlank()) {
            return TorStatus.unavailable("tor is not running: nothing answers on its control port 127.0.0.1:" + TorLayout.CONTROL_PORT);
        }
        return TorStatus.parse(r.stdoutText());
    }
}
