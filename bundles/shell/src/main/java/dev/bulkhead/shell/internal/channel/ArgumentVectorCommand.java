package dev.bulkhead.shell.internal.channel;

import java.io.InputStream;
import java.io.PrintStream;
import java.util.ArrayList;
import java.util.List;

import org.apache.felix.service.command.CommandSession;
import org.apache.felix.service.command.Function;
import org.apache.felix.service.threadio.ThreadIO;

import dev.bulkhead.shell.client.Client;
import dev.bulkhead.shell.internal.ExitStatusException;
import dev.bulkhead.shell.internal.frontend.CommandHints;

/**
 * Runs a command given as a name and arguments without handing any of it to the shell's parser:
 * the name is looked up among the registered commands and the function is called with the
 * arguments as a list of strings. Gogo still converts them to the method's parameter types and
 * reads its {@code @Parameter} options, but {@code ;}, {@code |}, {@code &}, {@code $},
 * {@code {...}}, redirections and quotes in an argument are just characters of it, and a string
 * never becomes a closure.
 */
final class ArgumentVectorCommand {
    private final ThreadIO threadIO;

    ArgumentVectorCommand(ThreadIO threadIO) {
        this.threadIO = threadIO;
    }

    /** The command's result; what it prints, also through {@code System.out}, goes to {@code out} and {@code err}. */
    Object run(CommandSession session, List<String> argv, InputStream in, PrintStream out, PrintStream err) throws Exception {
        Function command = resolve(session, argv.get(0));
        // As Gogo does for each command it runs: System.out and System.err of this thread are the session's.
        threadIO.setStreams(in, out, err);
        try {
            return command.execute(session, new ArrayList<Object>(argv.subList(1, argv.size())));
        } finally {
            out.flush();
            err.flush();
            threadIO.close();
        }
    }

    /**
     * The registered command of that name: {@code scope:name} exactly, or a plain name looked up
     * through the session's {@code SCOPE} path as Gogo does. Unlike Gogo, a plain name is never
     * tried as a session variable first (the session is fresh and holds none anyway).
     */
    static Function resolve(CommandSession session, String name) {
        Object command = session.get(name.indexOf(':') < 0 ? "*:" + name : name);
        if (command instanceof Function function) {
            return function;
        }
        String shown = name.replaceAll("\\p{Cntrl}", "?");
        String hint = CommandHints.instead(name, c -> session.get(c) instanceof Function).map(c -> "; use " + c)
                .orElse("; one command name comes first, then its arguments (client -c runs a command line)");
        throw new ExitStatusException(Client.NOT_RUN, "no such command: '" + shown + "'" + hint);
    }
}
