package dev.bulkhead.backend.lite.internal;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.UUID;

import dev.bulkhead.api.AdminException;
import dev.bulkhead.api.ExecResult;
import dev.bulkhead.api.host.HostCommandResult;

/** Runs a command in a running domain's container through {@code runc exec}. */
final class ContainerExec {
    private final InstanceLayout layout;
    private final RuncRuntime runc;

    ContainerExec(InstanceLayout layout, RuncRuntime runc) {
        this.layout = layout;
        this.runc = runc;
    }

    /**
     * The pid file tells a command that ran and failed from one runc could not start: runc writes it
     * only once the command runs.
     */
    ExecResult run(String name, List<String> command, byte[] stdin, Duration timeout) {
        Path pidFile = layout.domainDirectory(name).resolve("exec-" + UUID.randomUUID() + ".pid");
        try {
            HostCommandResult result = runc.exec(name, command, stdin, timeout, pidFile);
            if (result.timedOut()) {
                throw new AdminException("command " + command + " in '" + name + "' did not finish within "
                        + timeout.toMillis() + " ms and was killed");
            }
            if (result.exitStatus() != 0 && !Files.exists(pidFile)) {
                throw new AdminException("cannot run " + command + " in '" + name + "': " + result.stderrLine());
            }
            return new ExecResult(result.exitStatus(), result.stdout(), result.stderr());
        } finally {
            deleteIfExists(pidFile);
        }
    }

    private static void deleteIfExists(Path file) {
        try {
            Files.deleteIfExists(file);
        } catch (IOException e) {
            // A stray pid file in the domain directory goes with destroy.
        }
    }
}
