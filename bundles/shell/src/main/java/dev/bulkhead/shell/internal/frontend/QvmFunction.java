package dev.bulkhead.shell.internal.frontend;

import java.lang.System.Logger;
import java.lang.System.Logger.Level;
import java.util.List;
import java.util.Optional;

import org.apache.felix.gogo.runtime.CommandProxy;
import org.apache.felix.gogo.runtime.Reflective;
import org.apache.felix.service.command.CommandSession;
import org.apache.felix.service.command.Function;

import dev.bulkhead.shell.internal.ExitStatusException;

/**
 * One {@code qvm:*} command as the shell presents it, in front of the bundle's command object: {@code --help}
 * prints the command's usage, and a failure becomes one plain line naming the command
 * ({@code qvm:start: no such qube: 'x'}) instead of an exception class. Everything else is the command's own
 * doing: the arguments reach its method exactly as Gogo would pass them.
 */
public final class QvmFunction implements Function {
    private static final Logger LOG = System.getLogger(QvmFunction.class.getName());
    private final String command;
    private final String function;
    private final Object target;
    private final CommandHelp help;

    public QvmFunction(String scope, String function, Object target) {
        this.command = scope + ":" + function;
        this.function = function;
        this.target = target;
        this.help = CommandHelp.of(command, target, function).orElse(new CommandHelp(command, "", command + " ..."));
    }

    /**
     * The qvm command behind what the shell resolved a name to ({@code CommandSession.get}): Gogo hands out its
     * commands wrapped in a proxy of the service.
     */
    public static Optional<QvmFunction> behind(Object command) {
        if (command instanceof QvmFunction f) {
            return Optional.of(f);
        }
        if (command instanceof CommandProxy proxy) {
            try {
                return proxy.getTarget() instanceof QvmFunction f ? Optional.of(f) : Optional.empty();
            } finally {
                proxy.ungetTarget();
            }
        }
        return Optional.empty();
    }

    /** {@code scope:function}. */
    public String command() {
        return command;
    }

    public CommandHelp help() {
        return help;
    }

    @Override
    public Object execute(CommandSession session, List<Object> arguments) throws Exception {
        if (CommandHelp.requested(arguments)) {
            System.out.print(help.text());
            return null;
        }
        try {
            return Reflective.invoke(session, target, function, arguments);
        } catch (ExitStatusException e) {
            throw e.of(command);
        } catch (Exception e) {
            throw failure(e);
        }
    }

    private CommandFailedException failure(Exception e) {
        String message = e.getMessage();
        if (e instanceof InterruptedException || Thread.currentThread().isInterrupted() && (message == null || message.isBlank())) {
            return new CommandFailedException(command, "interrupted", e);
        }
        if (e instanceof IllegalArgumentException && message != null && message.startsWith("Cannot coerce")) {
            // Gogo found no method for these arguments: their number or types are wrong
            return new CommandFailedException(command, "wrong arguments; usage: " + help.usage().lines().findFirst().orElse(command), e);
        }
        if (message == null || message.isBlank()) {
            LOG.log(Level.ERROR, command + " failed", e);
            return new CommandFailedException(command, "failed (" + e.getClass().getSimpleName() + "); see data/log/bulkhead.log", e);
        }
        return new CommandFailedException(command, message, e);
    }
}
