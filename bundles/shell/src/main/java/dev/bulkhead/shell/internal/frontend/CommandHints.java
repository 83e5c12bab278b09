package dev.bulkhead.shell.internal.frontend;

import java.util.Map;
import java.util.Optional;
import java.util.function.Predicate;

/** What to say about a command name that does not exist, such as Qubes' {@code qvm-ls} for {@code qvm:ls}. */
public final class CommandHints {
    /** Qubes' dom0 tools whose Bulkhead name is not simply {@code qvm-X} as {@code qvm:X}. */
    private static final Map<String, String> RENAMED = Map.of("qubes-prefs", "qvm:globalprefs");

    private CommandHints() {
    }

    /** The command to use instead of {@code name}, if it is a Qubes tool's name for one that exists. */
    public static Optional<String> instead(String name, Predicate<String> exists) {
        String renamed = RENAMED.get(name);
        if (renamed != null) {
            return Optional.of(renamed).filter(exists);
        }
        if (name.startsWith("qvm-") && name.length() > 4) {
            return Optional.of("qvm:" + name.substring(4)).filter(exists);
        }
        return Optional.empty();
    }

    /** The one line for an unknown command name. */
    public static String unknown(String name, Predicate<String> exists) {
        return instead(name, exists).map(c -> "use " + c)
                .orElse(name.startsWith("qvm-") ? "no such command; Bulkhead's are qvm:NAME (help lists them)" : "command not found (help lists the commands)");
    }
}
