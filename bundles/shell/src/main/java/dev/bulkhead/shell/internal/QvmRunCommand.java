package dev.bulkhead.shell.internal;

import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;

import org.apache.felix.service.command.Descriptor;
import org.osgi.service.component.annotations.Activate;
import org.osgi.service.component.annotations.Component;
import org.osgi.service.component.annotations.Reference;

import dev.bulkhead.api.ExecResult;
import dev.bulkhead.api.QubeAdmin;
import dev.bulkhead.api.QubeClass;
import dev.bulkhead.api.QubeProperty;
import dev.bulkhead.api.command.CommandLine;

/** {@code qvm:run}, as qvm-run: a command in a qube, or in a disposable made for it. */
@Component(service = QvmRunCommand.class, property = { "osgi.command.scope=qvm",
        "osgi.command.function=run" })
public final class QvmRunCommand {
    private static final Map<String, String> NO_ALIASES = Map.of();
    private final QubeAdmin admin;

    @Activate
    public QvmRunCommand(@Reference QubeAdmin admin) {
        this.admin = admin;
    }

    @Descriptor("Run a command in a qube's shell (starting the qube if halted), or in a new disposable that is destroyed"
            + " afterwards; prints its output and returns its exit status."
            + " Usage: qvm:run [--timeout SECONDS] NAME COMMAND... | qvm:run --dispvm[=TEMPLATE] [--timeout SECONDS] [TEMPLATE] COMMAND...")
    public void run(@Descriptor("NAME COMMAND [ARG...] | --dispvm[=TEMPLATE] [TEMPLATE] COMMAND [ARG...]") String... args)
            throws IOException {
        String usage = "qvm:run [--timeout SECONDS] NAME COMMAND... | qvm:run --dispvm[=TEMPLATE] [--timeout SECONDS] [TEMPLATE] COMMAND...";
        // --dispvm takes its value only after '=', as in qvm-run; it is taken out before the other options are read
        List<String> rest = new ArrayList<>();
        boolean disposable = false;
        String template = null;
        boolean inOptions = true;
        boolean optionValue = false;
        for (String a : args) {
            if (inOptions && !optionValue && (a.equals("--dispvm") || a.startsWith("--dispvm="))) {
                disposable = true;
                template = a.startsWith("--dispvm=") ? a.substring("--dispvm=".length()) : template;
                continue;
            }
            inOptions &= optionValue || a.startsWith("-") && !a.equals("--");
            optionValue = a.equals("--timeout");
            rest.add(a);
        }
        CommandLine cl = CommandLine.parse(rest.toArray(String[]::new), Set.of(), Set.of("--timeout"), NO_ALIASES);
        List<String> ops = cl.operands(disposable ? 1 : 2, Integer.MAX_VALUE, usage);
        ExecResult r;
        if (disposable) {
            if (template == null && ops.size() > 1 && isDispvmTemplate(ops.get(0))) {
                template = ops.get(0);
                ops = ops.subList(1, ops.size());
            }
            r = admin.runDisposable(template, shellCommand(ops), new byte[0], cl.seconds("--timeout"));
        } else {
            r = admin.run(ops.get(0), shellCommand(ops.subList(1, ops.size())), new byte[0], cl.seconds("--timeout"));
        }
        System.out.write(r.stdout());
        System.out.flush();
        System.err.write(r.stderr());
        System.err.flush();
        if (r.exitStatus() != 0) {
            throw new ExitStatusException(r.exitStatus(), "");
        }
    }

    /** As qvm-run does, the words are joined and given to the qube's shell. */
    private static List<String> shellCommand(List<String> words) {
        return List.of("/bin/sh", "-c", String.join(" ", words));
    }

    private boolean isDispvmTemplate(String name) {
        return admin.find(name).map(q -> q.klass() == QubeClass.AppVM && "True".equals(q.value(QubeProperty.TEMPLATE_FOR_DISPVMS)))
                .orElse(false);
    }
}
