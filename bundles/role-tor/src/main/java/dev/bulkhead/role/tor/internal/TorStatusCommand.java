package dev.bulkhead.role.tor.internal;

import java.io.PrintStream;
import java.util.List;
import java.util.Map;
import java.util.Set;

import org.apache.felix.service.command.Descriptor;
import org.osgi.service.component.annotations.Activate;
import org.osgi.service.component.annotations.Component;
import org.osgi.service.component.annotations.Reference;

import dev.bulkhead.api.InvalidStateException;
import dev.bulkhead.api.InvalidValueException;
import dev.bulkhead.api.PowerState;
import dev.bulkhead.api.Qube;
import dev.bulkhead.api.QubeAdmin;
import dev.bulkhead.api.command.CommandLine;
import dev.bulkhead.api.role.QubeRole;
import dev.bulkhead.api.role.RoleContext;

/** {@code qvm:tor status NAME}: tor's bootstrap progress and circuits in a running TorVM. */
@Component(service = TorStatusCommand.class, property = { "osgi.command.scope=qvm", "osgi.command.function=tor" })
public final class TorStatusCommand {
    static final String USAGE = "qvm:tor status NAME";
    private final QubeAdmin admin;
    private final TorQubes qubes;

    @Activate
    public TorStatusCommand(@Reference QubeAdmin admin, @Reference TorQubes qubes) {
        this.admin = admin;
        this.qubes = qubes;
    }

    @Descriptor("A TorVM's tor. Usage: " + USAGE + ": its bootstrap progress and circuits, while it runs")
    public void tor(@Descriptor("status NAME") String... args) {
        List<String> operands = CommandLine.parse(args, Set.of(), Set.of(), Map.of()).operands();
        if (operands.size() != 2 || !"status".equals(operands.get(0))) {
            throw new InvalidValueException("arguments", String.join(" ", operands), "status and one qube name: " + USAGE);
        }
        String name = operands.get(1);
        TorStatus status = TorControl.query(shell(name), qubes.layout());
        print(name, status, System.out);
    }

    /**
     * The role's own way into the qube; for a TorVM running from before the platform started, the
     * admin service's, once the qube is known to run and to carry the role.
     */
    private TorControl.Shell shell(String name) {
        RoleContext context = qubes.context(name).orElse(null);
        if (context != null) {
            return (command, stdin) -> context.exec(command, stdin, TorControl.TIMEOUT);
        }
        Qube qube = admin.get(name);
        if (!"tor".equals(qube.features().get(QubeRole.ROLE_FEATURE))) {
            throw new InvalidValueException("qube", name, "a qube with feature role=tor");
        }
        if (qube.state() != PowerState.Running) {
            throw new InvalidStateException("'" + name + "' is " + qube.state() + "; tor runs only while it runs");
        }
        return (command, stdin) -> admin.run(name, command, stdin, TorControl.TIMEOUT);
    }

    static void print(String name, TorStatus status, PrintStream out) {
        if (!status.answered()) {
            out.println(name + ": " + status.problem());
            return;
        }
        out.println(name + ": tor " + status.version());
        out.println("bootstrap  " + status.progress() + "% " + status.tag() + ": " + status.summary());
        if (status.warning() != null) {
            out.println("problem    " + status.warning());
        }
        out.println("circuits   " + status.built() + " built of " + status.circuits().size()
                + (status.circuitEstablished() ? ", ready for streams" : ", none ready for streams"));
        if (!status.circuits().isEmpty()) {
            out.printf("%-6s %-9s %-24s %s%n", "ID", "STATUS", "PURPOSE", "PATH");
            for (TorStatus.Circuit c : status.circuits()) {
                out.printf("%-6s %-9s %-24s %s%n", c.id(), c.status(), c.purpose().isEmpty() ? "-" : c.purpose(),
                        c.path().isEmpty() ? "-" : String.join(" > ", c.path()));
            }
        }
    }
}
