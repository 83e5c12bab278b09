package dev.bulkhead.shell.internal;

import java.io.IOException;
import java.io.PrintStream;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;

import org.apache.felix.service.command.Descriptor;
import org.osgi.service.component.annotations.Activate;
import org.osgi.service.component.annotations.Component;
import org.osgi.service.component.annotations.Reference;
import org.osgi.service.component.annotations.ReferenceCardinality;
import org.osgi.service.component.annotations.ReferencePolicy;

import dev.bulkhead.api.ExecResult;
import dev.bulkhead.api.InvalidStateException;
import dev.bulkhead.api.InvalidValueException;
import dev.bulkhead.api.Qube;
import dev.bulkhead.api.QubeAdmin;
import dev.bulkhead.api.QubeClass;
import dev.bulkhead.api.QubeProperty;
import dev.bulkhead.api.command.CommandLine;
import dev.bulkhead.api.gui.GuiService;

/**
 * {@code qvm:run}, as qvm-run: a command in a qube, or in a disposable made for it; or, with
 * {@code --gui}, a program started on the qube's own display ({@link GuiLaunch}).
 */
@Component(service = QvmRunCommand.class, property = { "osgi.command.scope=qvm",
        "osgi.command.function=run" })
public final class QvmRunCommand {
    static final String USAGE = "qvm:run [--timeout SECONDS] NAME COMMAND... | qvm:run --gui [--timeout SECONDS] NAME PROGRAM [ARG...]"
            + " | qvm:run --dispvm[=TEMPLATE] [--timeout SECONDS] [TEMPLATE] COMMAND...";
    static final String HELP = "usage: " + USAGE + "\n"
            + "  NAME COMMAND...   runs COMMAND in NAME's shell (the words joined, as qvm-run does), starting NAME if it is\n"
            + "                    halted; prints its output and returns its exit status\n"
            + "  --gui NAME PROGRAM [ARG...]\n"
            + "                    starts PROGRAM with its arguments (an argument vector: no shell reads them) on NAME's own\n"
            + "                    display " + GuiLaunch.DISPLAY + ", detached, and returns at once, starting NAME if it is halted;\n"
            + "                    NAME needs the feature gui and dom0 the gui feature; its windows show in dom0 as [NAME]\n"
            + "  --dispvm[=TEMPLATE] [TEMPLATE] COMMAND...\n"
            + "                    runs COMMAND in a new disposable, destroyed afterwards\n"
            + "  --timeout SECONDS how long COMMAND (with --gui: the start) may take";
    private static final Map<String, String> ALIASES = Map.of("-h", "--help");
    private final QubeAdmin admin;
    /** dom0's GUI daemon, there while the gui feature is installed. */
    @Reference(cardinality = ReferenceCardinality.OPTIONAL, policy = ReferencePolicy.DYNAMIC)
    volatile GuiService gui;

    @Activate
    public QvmRunCommand(@Reference QubeAdmin admin) {
        this.admin = admin;
    }

    @Descriptor("Run a command in a qube's shell (starting the qube if halted), or in a new disposable that is destroyed"
            + " afterwards; prints its output and returns its exit status. With --gui, start a program on the qube's own"
            + " display and return at once. Usage: " + USAGE)
    public void run(@Descriptor("NAME COMMAND [ARG...] | --gui NAME PROGRAM [ARG...] | --dispvm[=TEMPLATE] [TEMPLATE] COMMAND [ARG...]"
            + " | --help") String... args) throws IOException {
        run(args, System.out, System.err);
    }

    void run(String[] args, PrintStream out, PrintStream err) throws IOException {
        // --dispvm takes its value only after '=', as in qvm-run; it is taken out before the other options are read
        List<String> rest = new ArrayList<>();
        boolean disposable = false;
        String template = null;
        boolean inOptions = true;
        boolean optionValue = false;
        for (String a : args) {
            if (inOptions && !optionValue && a != null && (a.equals("--dispvm") || a.startsWith("--dispvm="))) {
                disposable = true;
                template = a.startsWith("--dispvm=") ? a.substring("--dispvm=".length()) : template;
                continue;
            }
            inOptions &= optionValue || a != null && a.startsWith("-") && !a.equals("--");
            optionValue = "--timeout".equals(a);
            rest.add(a);
        }
        CommandLine cl = CommandLine.parse(rest.toArray(String[]::new), Set.of("--gui", "--help"), Set.of("--timeout"), ALIASES);
        if (cl.flag("--help")) {
            out.println(HELP);
            return;
        }
        if (cl.flag("--gui")) {
            if (disposable) {
                throw new InvalidValueException("option", "--dispvm", "not with --gui: a disposable is destroyed as soon as its"
                        + " command returns, and --gui returns at once");
            }
            List<String> ops = cl.operands(2, Integer.MAX_VALUE, USAGE);
            startOnDisplay(ops.get(0), ops.subList(1, ops.size()), cl.seconds("--timeout"), out, err);
            return;
        }
        List<String> ops = cl.operands(disposable ? 1 : 2, Integer.MAX_VALUE, USAGE);
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
        out.write(r.stdout());
        out.flush();
        err.write(r.stderr());
        err.flush();
        if (r.exitStatus() != 0) {
            throw new ExitStatusException(r.exitStatus(), "");
        }
    }

    /** {@code --gui}: refuses a qube without a display before anything runs, then launches and reports. */
    private void startOnDisplay(String name, List<String> argv, Duration timeout, PrintStream out, PrintStream err)
            throws IOException {
        Qube qube = admin.get(name);
        Optional<String> refusal = GuiLaunch.refusal(qube, gui != null);
        if (refusal.isPresent()) {
            throw new InvalidStateException(refusal.get());
        }
        ExecResult r = admin.run(qube.name(), GuiLaunch.command(argv), new byte[0], timeout);
        if (r.exitStatus() != 0) {
            err.write(r.stderr());
            err.flush();
            throw new ExitStatusException(r.exitStatus(), "");
        }
        out.println(GuiLaunch.started(qube.name(), argv.get(0), r.stdoutText()));
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
