package dev.bulkhead.api.command;

import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

import dev.bulkhead.api.InvalidValueException;

/**
 * Options then operands, as the {@code qvm-*} tools take them: {@code --opt value},
 * {@code --opt=value}, repeatable options, flags, and {@code --} or the first operand ending the
 * options so that a command run in a qube keeps its own options. The one parser of the shell
 * commands for what Gogo's {@code @Parameter} cannot express; what it refuses is an
 * {@link InvalidValueException} that names the argument, with control characters shown as '?'.
 */
public final class CommandLine {
    private final Map<String, List<String>> options = new LinkedHashMap<>();
    private final List<String> operands = new ArrayList<>();

    private CommandLine() {
    }

    /**
     * @param flags options without a value (long and short spellings)
     * @param valued options that take a value
     * @param aliases short spelling to long spelling
     */
    public static CommandLine parse(String[] args, Set<String> flags, Set<String> valued, Map<String, String> aliases) {
        for (int n = 0; n < args.length; n++) {
            // What an unset $variable gives in a command line.
            if (args[n] == null) {
                throw new InvalidValueException("argument", "null", "argument " + (n + 1) + " is missing (an unset variable?)");
            }
        }
        CommandLine cl = new CommandLine();
        int i = 0;
        for (; i < args.length; i++) {
            String a = args[i];
            if (a.equals("--")) {
                i++;
                break;
            }
            if (!a.startsWith("-") || a.equals("-")) {
                break;
            }
            String name = a;
            String value = null;
            int eq = a.indexOf('=');
            if (a.startsWith("--") && eq > 0) {
                name = a.substring(0, eq);
                value = a.substring(eq + 1);
            }
            name = aliases.getOrDefault(name, name);
            if (flags.contains(name) && value == null) {
                cl.options.computeIfAbsent(name, k -> new ArrayList<>()).add("true");
            } else if (valued.contains(name)) {
                if (value == null) {
                    if (i + 1 >= args.length) {
                        throw new InvalidValueException("option", printable(name), "it needs a value");
                    }
                    value = args[++i];
                }
                cl.options.computeIfAbsent(name, k -> new ArrayList<>()).add(value);
            } else {
                List<String> known = new ArrayList<>(flags);
                known.addAll(valued);
                throw new InvalidValueException("option", printable(a), known.isEmpty() ? "this command takes no options"
                        : "known options: " + String.join(", ", known));
            }
        }
        for (; i < args.length; i++) {
            cl.operands.add(args[i]);
        }
        return cl;
    }

    public boolean flag(String name) {
        return options.containsKey(name);
    }

    /** The option's last value, or {@code absent} when it is not given. */
    public String value(String name, String absent) {
        List<String> v = options.get(name);
        return v == null ? absent : v.get(v.size() - 1);
    }

    /** Every value of a repeatable option, in order. */
    public List<String> values(String name) {
        return List.copyOf(options.getOrDefault(name, List.of()));
    }

    /** The option's value as a positive number of seconds; null when it is not given. */
    public Duration seconds(String name) {
        String t = value(name, null);
        if (t == null) {
            return null;
        }
        try {
            long seconds = Long.parseLong(t);
            if (seconds > 0) {
                return Duration.ofSeconds(seconds);
            }
        } catch (NumberFormatException e) {
            // reported below with the accepted form
        }
        throw new InvalidValueException(name, t, "a positive number of seconds");
    }

    /** The options given, each with its values in order, under its long spelling. */
    public Map<String, List<String>> options() {
        Map<String, List<String>> copy = new LinkedHashMap<>();
        options.forEach((name, values) -> copy.put(name, List.copyOf(values)));
        return Collections.unmodifiableMap(copy);
    }

    /** The operands, as given. */
    public List<String> operands() {
        return List.copyOf(operands);
    }

    /** The operands, which must number between {@code min} and {@code max}. */
    public List<String> operands(int min, int max, String usage) {
        if (operands.size() < min || operands.size() > max) {
            throw new InvalidValueException("arguments", printable(String.join(" ", operands)), "usage: " + usage);
        }
        return operands();
    }

    /** The text with each control character shown as '?': error messages are printed on the caller's terminal. */
    public static String printable(String text) {
        StringBuilder shown = new StringBuilder(text.length());
        text.codePoints().forEach(c -> shown.appendCodePoint(Character.isISOControl(c) ? '?' : c));
        return shown.toString();
    }
}
