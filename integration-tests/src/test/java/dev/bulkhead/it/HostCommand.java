package dev.bulkhead.it;

import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;

import dev.bulkhead.api.host.HostCommandResult;
import dev.bulkhead.api.host.HostCommands;
import dev.bulkhead.api.host.ProcessHostCommands;

/** Runs a command on the host, as the tests do to look at what the platform left there. */
final class HostCommand {
    private static final Duration TIMEOUT = Duration.ofSeconds(30);
    /** The platform's way of running host programs, as the tests use it. */
    static final HostCommands HOST = new ProcessHostCommands();

    record Result(int exitStatus, String stdout, String stderr) {
    }

    private HostCommand() {
    }

    static Result run(String... command) {
        return runWithInput(null, command);
    }

    /** Runs the command with {@code stdin} (or nothing) as its input. */
    static Result runWithInput(String stdin, String... command) {
        dev.bulkhead.api.host.HostCommand c = dev.bulkhead.api.host.HostCommand.of(TIMEOUT, command);
        HostCommandResult r = HOST.run(stdin == null ? c : c.withStdin(stdin.getBytes(StandardCharsets.UTF_8)));
        if (r.timedOut()) {
            throw new AssertionError(List.of(command) + " did not finish within " + TIMEOUT.toSeconds() + " s");
        }
        return new Result(r.exitStatus(), r.stdoutText(), r.stderrText());
    }
}
