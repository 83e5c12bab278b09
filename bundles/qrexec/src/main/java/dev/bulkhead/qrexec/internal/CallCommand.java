package dev.bulkhead.qrexec.internal;

import java.io.IOException;
import java.util.List;
import java.util.Map;
import java.util.OptionalInt;
import java.util.Set;

import org.apache.felix.service.command.Descriptor;

import dev.bulkhead.api.AdminException;
import dev.bulkhead.api.InvalidValueException;
import dev.bulkhead.api.command.CommandLine;

/**
 * {@code qvm:call [--source dom0] TARGET SERVICE[+ARG]}: a call from dom0 to a service in a qube, under the same
 * policy as a qube's call, with the session's stdin and stdout. Registered by the daemon.
 */
public final class CallCommand {
    static final String USAGE = "qvm:call [--source dom0] TARGET SERVICE[+ARG]";
    private final QrexecDaemon daemon;

    CallCommand(QrexecDaemon daemon) {
        this.daemon = daemon;
    }

    @Descriptor("Calls a service in a qube from dom0, as qrexec-client-vm does from a qube: the qrexec policy decides (source"
            + " dom0), the service's stdout is printed, and the session's stdin (a pipe, e.g. echo hostname | qvm:call work"
            + " qubes.VMShell, or the terminal until end of file) is the service's stdin. A refused call prints 'Request"
            + " refused'; a service that exits non-zero fails the command with its status. Usage: " + USAGE
            + "\n  --source  the caller; only dom0 (the default) may be named")
    public void call(@Descriptor("[--source dom0] TARGET SERVICE[+ARG]") String... args) throws IOException {
        CommandLine line = CommandLine.parse(args, Set.of(), Set.of("--source"), Map.of());
        List<String> operands = line.operands();
        if (operands.size() != 2) {
            throw new InvalidValueException("arguments", String.join(" ", operands), "TARGET SERVICE[+ARG]: " + USAGE);
        }
        List<String> sources = line.options().getOrDefault("--source", List.of("dom0"));
        String source = sources.get(sources.size() - 1);
        if (!source.equals("dom0")) {
            throw new InvalidValueException("source", source, "dom0: a call from a qube comes from that qube");
        }
        PipeStream[] ends = PipeStream.pair();
        OptionalInt[] status = new OptionalInt[1];
        daemon.callFromDom0(ends[0], s -> status[0] = s);
        int exit;
        try {
            exit = QrexecClient.call(ends[1], operands.get(0), operands.get(1), System.in, System.out);
        } catch (QrexecClient.RefusedException e) {
            throw new AdminException("Request refused");
        }
        if (exit != 0) {
            throw new AdminException("the service exited with status " + exit);
        }
    }
}
