package dev.bulkhead.api;

import java.util.Locale;

/** The trust colours of Qubes OS, drawn around every window of a qube. */
public enum Label {
    RED("#cc0000"),
    ORANGE("#f57900"),
    YELLOW("#edd400"),
    GREEN("#73d216"),
    GRAY("#555555"),
    BLUE("#3465a4"),
    PURPLE("#75507b"),
    BLACK("#000000");

    private final String color;

    Label(String color) {
        this.color = color;
    }

    /** The colour as {@code #rrggbb}. */
    public String color() {
        return color;
    }

    /** The name as Qubes spells it: lower case. */
    public String id() {
        return name().toLowerCase(Locale.ROOT);
    }

    @Override
    public String toString() {
        return id();
    }

    /** Parses a label name; the error lists every accepted name. */
    public static Label parse(String text) {
        for (Label l : values()) {
            if (l.id().equals(text)) {
                return l;
            }
        }
        throw new InvalidValueException("label", text, "one of red, orange, yellow, green, gray, blue, purple, black");
    }
}
