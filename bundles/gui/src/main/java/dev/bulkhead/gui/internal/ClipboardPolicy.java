package dev.bulkhead.gui.internal;

import java.util.ArrayList;
import java.util.List;

import dev.bulkhead.api.InvalidValueException;
import dev.bulkhead.api.QubeNames;

/** Which clipboard pastes between qubes are allowed: every one except those a deny entry matches. */
final class ClipboardPolicy {
    private record Deny(String source, String target) {
        boolean matches(String from, String to) {
            return (source.equals("*") || source.equals(from)) && (target.equals("*") || target.equals(to));
        }
    }

    private final List<Deny> denied;

    private ClipboardPolicy(List<Deny> denied) {
        this.denied = List.copyOf(denied);
    }

    /** The policy of deny entries {@code SOURCE:TARGET}; the error names the first bad entry. */
    static ClipboardPolicy parse(String[] entries) {
        List<Deny> denied = new ArrayList<>();
        for (String entry : entries == null ? new String[0] : entries) {
            String[] parts = entry.strip().split(":", -1);
            if (parts.length != 2) {
                throw new InvalidValueException("clipboard_deny entry", entry, "SOURCE:TARGET, each a qube name or *");
            }
            denied.add(new Deny(side(parts[0], entry), side(parts[1], entry)));
        }
        return new ClipboardPolicy(denied);
    }

    private static String side(String name, String entry) {
        if (name.equals("*")) {
            return name;
        }
        try {
            return QubeNames.validate(name);
        } catch (InvalidValueException e) {
            throw new InvalidValueException("clipboard_deny entry", entry, "SOURCE:TARGET, each a qube name or *");
        }
    }

    boolean allows(String source, String target) {
        return denied.stream().noneMatch(d -> d.matches(source, target));
    }
}
