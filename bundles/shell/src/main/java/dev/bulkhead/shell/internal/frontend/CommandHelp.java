package dev.bulkhead.shell.internal.frontend;

import java.lang.reflect.Method;
import java.util.List;
import java.util.Optional;

import org.apache.felix.service.command.Descriptor;

/**
 * A command's help, from the {@link Descriptor} of its method: {@code "What it does. Usage: qvm:NAME ..."},
 * where further lines after the usage describe the options. What {@code qvm:NAME --help} and {@code help qvm:NAME}
 * print, and where completion finds a command's options.
 */
public record CommandHelp(String command, String description, String usage) {
    private static final String USAGE = "Usage:";

    /** The help of {@code function} on {@code target}, if the method has a descriptor. */
    public static Optional<CommandHelp> of(String command, Object target, String function) {
        for (Method m : target.getClass().getMethods()) {
            Descriptor d = m.getAnnotation(Descriptor.class);
            if (d != null && (m.getName().equals(function) || m.getName().equals("_" + function))) {
                return Optional.of(parse(command, d.value()));
            }
        }
        return Optional.empty();
    }

    /** Splits a descriptor at {@code Usage:}; one without it gets the command's name as its usage. */
    static CommandHelp parse(String command, String descriptor) {
        int at = descriptor.indexOf(USAGE);
        if (at < 0) {
            return new CommandHelp(command, descriptor.strip(), command);
        }
        return new CommandHelp(command, descriptor.substring(0, at).strip(), descriptor.substring(at + USAGE.length()).strip());
    }

    /** The first sentence of the description, for lists of commands. */
    public String summary() {
        int end = description.indexOf(". ");
        return end < 0 ? description : description.substring(0, end + 1);
    }

    /** The text printed: the usage line first, as Qubes' tools print it, then what the command does. */
    public String text() {
        StringBuilder text = new StringBuilder();
        text.append(USAGE).append(' ').append(usage).append('\n');
        if (!description.isEmpty()) {
            text.append('\n').append(description).append('\n');
        }
        return text.toString();
    }

    /**
     * Whether the arguments ask for help: {@code --help} or {@code -h} among the options in front, before the first
     * operand or {@code --}. Later it is an operand (a value, or a word of a command run in a qube).
     */
    public static boolean requested(List<Object> args) {
        for (Object a : args) {
            // Gogo passes the words as its tokens: character sequences, not always strings
            String s = a instanceof CharSequence text ? text.toString() : null;
            if (s == null || !s.startsWith("-") || s.equals("--") || s.equals("-")) {
                return false;
            }
            if (s.equals("--help") || s.equals("-h")) {
                return true;
            }
        }
        return false;
    }
}
