package dev.bulkhead.shell.internal.frontend;

import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.TreeSet;

import org.apache.felix.service.command.CommandSession;
import org.apache.felix.service.command.Descriptor;
import org.apache.felix.service.command.Function;
import org.osgi.framework.BundleContext;
import org.osgi.framework.BundleException;
import org.osgi.framework.Constants;
import org.osgi.service.component.annotations.Activate;
import org.osgi.service.component.annotations.Component;

import dev.bulkhead.shell.internal.Table;

/**
 * The shell's own commands, in scope {@code shell}: {@code help} that explains the qvm commands by their usage,
 * {@code exit}, and Gogo's {@code default}, run for a name that is no command, which points Qubes users from
 * {@code qvm-ls} to {@code qvm:ls}. The shell and {@code bin/client} resolve plain names through
 * {@value #SCOPE_PATH}: {@code start work} is {@code qvm:start}, never Felix's bundle {@code start}.
 */
@Component(service = ShellCommands.class, property = { "osgi.command.scope=shell", "osgi.command.function=help",
        "osgi.command.function=exit", "osgi.command.function=default" })
public final class ShellCommands {
    /** Gogo's {@code SCOPE}: the scopes searched, in order, for a command name given without one. */
    public static final String SCOPE_PATH = "qvm:shell:*";

    private final BundleContext context;

    @Activate
    public ShellCommands(BundleContext context) {
        this.context = context;
    }

    @Descriptor("List the commands, or explain one. Usage: help [COMMAND]")
    public void help(CommandSession session, @Descriptor("COMMAND") String... command) throws Exception {
        if (command.length > 1) {
            throw new CommandFailedException("help", "one command at most; usage: help [COMMAND]", null);
        }
        if (command.length == 1) {
            explain(session, command[0]);
            return;
        }
        System.out.println("Qube commands (help NAME or NAME --help explains one; a plain name is a qvm: command first):");
        Table table = new Table();
        Map<String, TreeSet<String>> others = new TreeMap<>();
        for (String name : new TreeSet<>(commands(session))) {
            int colon = name.indexOf(':');
            String scope = name.substring(0, colon);
            java.util.Optional<QvmFunction> qvm = QvmFunction.behind(session.get(name));
            if (qvm.isPresent()) {
                table.row("  " + name, qvm.get().help().summary());
            } else if (!name.substring(colon + 1).startsWith("_")) {
                others.computeIfAbsent(scope, s -> new TreeSet<>()).add(name.substring(colon + 1));
            }
        }
        table.print(System.out);
        System.out.println();
        System.out.println("Other commands, by scope:");
        others.forEach((scope, names) -> System.out.println("  " + scope + ": " + String.join(" ", names)));
    }

    private void explain(CommandSession session, String name) throws Exception {
        Object resolved = session.get(name.indexOf(':') < 0 ? "*:" + name : name);
        java.util.Optional<QvmFunction> qvm = QvmFunction.behind(resolved);
        if (qvm.isPresent()) {
            System.out.print(qvm.get().help().text());
            return;
        }
        if (!(resolved instanceof Function)) {
            throw new CommandFailedException("help", name + ": " + CommandHints.unknown(name, c -> session.get(c) instanceof Function), null);
        }
        // another scope's command: Felix's help describes it from its method
        Object felixHelp = session.get("felix:help");
        if (felixHelp instanceof Function help) {
            Object text = help.execute(session, List.of(name));
            if (text != null) {
                System.out.print(text.toString().endsWith("\n") ? text : text + "\n");
            }
        }
    }

    @SuppressWarnings("unchecked")
    private static java.util.Set<String> commands(CommandSession session) {
        return (java.util.Set<String>) session.get(".commands");
    }

    @Descriptor("Stop Bulkhead, as Ctrl-D does; in the interactive shell only. Usage: exit")
    public void exit(CommandSession session) throws BundleException {
        if (session.get(".reader") == null) {
            throw new CommandFailedException("exit", "only in the interactive shell (bin/stop stops a background Bulkhead)", null);
        }
        context.getBundle(Constants.SYSTEM_BUNDLE_ID).stop();
    }

    /**
     * What Gogo runs for a command name that resolves to nothing, with that name first: one plain line, and for
     * a Qubes tool's name the qvm command to use.
     */
    @Descriptor("Run by the shell for a name that is no command. Usage: default NAME [ARGUMENT...]")
    public void _default(CommandSession session, Object... words) {
        String name = words.length == 0 ? "" : String.valueOf(words[0]);
        throw new CommandFailedException(name, CommandHints.unknown(name, c -> session.get(c) instanceof Function), null);
    }
}
