package dev.bulkhead.api;

import java.util.Set;
import java.util.regex.Pattern;

/** The rules for qube names, as in Qubes OS. */
public final class QubeNames {
    /** Longest accepted name. */
    public static final int MAX_LENGTH = 31;
    private static final Pattern PATTERN = Pattern.compile("[a-zA-Z][a-zA-Z0-9_.-]*");
    private static final Set<String> RESERVED = Set.of("none", "default", "Domain-0");

    private QubeNames() {
    }

    /**
     * Checks a name for a new qube.
     *
     * @throws InvalidValueException naming the rule the name breaks
     */
    public static String validate(String name) {
        if (name == null || name.isEmpty()) {
            throw new InvalidValueException("name", String.valueOf(name), "a name is required");
        }
        if (name.length() > MAX_LENGTH) {
            throw new InvalidValueException("name", name, "at most " + MAX_LENGTH + " characters, this has " + name.length());
        }
        if (!PATTERN.matcher(name).matches()) {
            throw new InvalidValueException("name", name,
                    "must start with a letter and contain only letters, digits, '_', '.' and '-'");
        }
        if (RESERVED.contains(name)) {
            throw new InvalidValueException("name", name, "'none', 'default' and 'Domain-0' are reserved");
        }
        if (name.endsWith("-dm")) {
            throw new InvalidValueException("name", name, "names ending in '-dm' are reserved for device models");
        }
        return name;
    }
}
