package dev.bulkhead.api;

import java.util.EnumSet;
import java.util.Locale;
import java.util.Optional;
import java.util.Set;

/**
 * The properties every qube has, named as {@code qvm-prefs} names them. Each constant is the one
 * declaration of its property, as a Qubes {@code qubes.property(...)} is: its name and type, the
 * classes of qube that have it, how its text is parsed and checked, its default, whether it may
 * change while the qube runs, and its documentation. The shell, the console and the README read it
 * from here.
 */
public enum QubeProperty {
    NAME("name", PropertyType.STRING, Classes.ALL, PropertyDefault.platform(), true, 0,
            "Name of the qube; set once, at creation"),
    QID("qid", PropertyType.INT, Classes.ALL, PropertyDefault.platform(), true, 0,
            "Internal, unique number of the qube; read-only"),
    KLASS("klass", PropertyType.CLASS, Classes.ALL, PropertyDefault.platform(), true, 0,
            "Class of the qube; read-only"),
    LABEL("label", PropertyType.LABEL, Classes.ALL, PropertyDefault.required("black"), true, 0,
            "Colour of the qube's window frames"),
    MEMORY("memory", PropertyType.INT, Classes.NOT_DOM0, PropertyDefault.fromTemplate("400"), true, 1 << 20,
            "Memory at start, in MiB"),
    MAXMEM("maxmem", PropertyType.INT, Classes.NOT_DOM0, PropertyDefault.fromTemplate("4000"), true, 1 << 20,
            "Most memory the qube may use, in MiB"),
    VCPUS("vcpus", PropertyType.INT, Classes.NOT_DOM0, PropertyDefault.fromTemplate("2"), true, 256,
            "Number of virtual CPUs"),
    NETVM("netvm", PropertyType.QUBE, Classes.NOT_DOM0, PropertyDefault.netvm("default_netvm"), true, 0,
            "Qube that gives this qube its network; empty for none"),
    PROVIDES_NETWORK("provides_network", PropertyType.BOOL, Classes.NOT_DOM0, PropertyDefault.fixed("False"), true, 0,
            "Whether other qubes may use this one as their netvm"),
    TEMPLATE("template", PropertyType.QUBE, Classes.TEMPLATED, PropertyDefault.fixed(""), false, 0,
            "TemplateVM whose root this qube boots from; changes only while halted"),
    AUTOSTART("autostart", PropertyType.BOOL, Classes.NOT_DOM0, PropertyDefault.fixed("False"), true, 0,
            "Start this qube when the platform starts"),
    KERNELOPTS("kernelopts", PropertyType.STRING, Classes.NOT_DOM0, PropertyDefault.fromTemplate(""), true, 1024,
            "Extra kernel command line options"),
    DEFAULT_DISPVM("default_dispvm", PropertyType.QUBE, Classes.NOT_DOM0, PropertyDefault.fromGlobal("default_dispvm"), true, 0,
            "Qube whose disposables this qube starts; empty for none"),
    TEMPLATE_FOR_DISPVMS("template_for_dispvms", PropertyType.BOOL, Classes.NOT_DOM0, PropertyDefault.fixed("False"), true, 0,
            "Whether disposables may be based on this qube"),
    AUTO_CLEANUP("auto_cleanup", PropertyType.BOOL, Classes.DISPOSABLE, PropertyDefault.fixed("False"), true, 0,
            "DispVM: remove the qube and everything it had when it stops"),
    VIRT_MODE("virt_mode", PropertyType.STRING, Classes.STANDALONE, PropertyDefault.fixed("pvh"), false, 0,
            "pvh: the backend's own boot; hvm: an operating system of its own from its root disk, booted by the firmware,"
                    + " with no Bulkhead agent (qemu backend)", "pvh", "hvm");

    /** The sets of classes the declarations name; an enum's constants cannot refer to its own static fields. */
    private static final class Classes {
        static final Set<QubeClass> ALL = EnumSet.allOf(QubeClass.class);
        static final Set<QubeClass> NOT_DOM0 = EnumSet.complementOf(EnumSet.of(QubeClass.AdminVM));
        static final Set<QubeClass> TEMPLATED = EnumSet.of(QubeClass.AppVM, QubeClass.DispVM);
        static final Set<QubeClass> DISPOSABLE = EnumSet.of(QubeClass.DispVM);
        static final Set<QubeClass> STANDALONE = EnumSet.of(QubeClass.StandaloneVM);
    }

    private final String id;
    private final PropertyType type;
    private final Set<QubeClass> classes;
    private final PropertyDefault defaultValue;
    private final boolean changesWhileRunning;
    private final int limit;
    private final String description;
    /** The only values a {@code STRING} property with choices takes; empty: any text within its limit. */
    private final java.util.List<String> choices;

    /** @param limit the largest number ({@code INT}) or the most characters ({@code STRING}) accepted */
    QubeProperty(String id, PropertyType type, Set<QubeClass> classes, PropertyDefault defaultValue,
            boolean changesWhileRunning, int limit, String description, String... choices) {
        this.id = id;
        this.type = type;
        this.classes = classes;
        this.defaultValue = defaultValue;
        this.changesWhileRunning = changesWhileRunning;
        this.limit = limit;
        this.description = description;
        this.choices = java.util.List.of(choices);
    }

    /** The name as the shell and the Admin API spell it. */
    public String id() {
        return id;
    }

    public PropertyType type() {
        return type;
    }

    public String description() {
        return description;
    }

    /** The classes of qube that have this property. */
    public Set<QubeClass> classes() {
        return EnumSet.copyOf(classes);
    }

    public boolean appliesTo(QubeClass klass) {
        return classes.contains(klass);
    }

    /**
     * The largest number an {@code INT} property accepts (the smallest is 1), or the most characters a
     * {@code STRING} one does (0: no limit); 0 for the other types.
     *
     * @since 1.6
     */
    public int limit() {
        return limit;
    }

    /** Whether only the platform sets it. */
    public boolean readOnly() {
        return defaultValue.kind() == PropertyDefault.Kind.PLATFORM;
    }

    public PropertyDefault defaultValue() {
        return defaultValue;
    }

    /** Whether it may change while the qube runs; if not, only while it is halted. */
    public boolean changesWhileRunning() {
        return changesWhileRunning;
    }

    /**
     * Parses a value given as text into its canonical text form, by this property's type and limits;
     * the error names the property and what it accepts. A qube reference comes back trimmed, empty
     * for none; whether that qube exists is the core's check.
     */
    public String parseValue(String text) {
        if (text == null) {
            throw new InvalidValueException(id, "null", "a value is required");
        }
        return switch (type) {
            case INT -> Integer.toString(parseInt(text));
            case BOOL -> parseBool(id, text);
            case LABEL -> Label.parse(text).id();
            case CLASS -> QubeClass.parse(text).name();
            case QUBE -> text.trim().equals("none") ? "" : text.trim();
            case STRING -> parseString(text);
        };
    }

    /** What {@link #parseValue} accepts, in words. */
    public String accepts() {
        return switch (type) {
            case INT -> "a whole number from 1 to " + limit;
            case BOOL -> "True or False";
            case LABEL -> "a label: red, orange, yellow, green, gray, blue, purple, black";
            case CLASS -> "a class of qube";
            case QUBE -> "the name of a qube, or none";
            case STRING -> !choices.isEmpty() ? "one of " + String.join(", ", choices)
                    : limit > 0 ? "printable text of at most " + limit + " characters" : "printable text";
        };
    }

    private int parseInt(String text) {
        int v;
        try {
            v = Integer.parseInt(text.trim());
        } catch (NumberFormatException e) {
            throw new InvalidValueException(id, text, accepts());
        }
        if (v < 1 || v > limit) {
            throw new InvalidValueException(id, text, accepts());
        }
        return v;
    }

    /** Parses Qubes' spellings of a boolean into {@code True} or {@code False}. */
    public static String parseBool(String subject, String text) {
        switch (text.trim().toLowerCase(Locale.ROOT)) {
            case "true", "1", "yes", "on":
                return "True";
            case "false", "0", "no", "off":
                return "False";
            default:
                throw new InvalidValueException(subject, text, "True or False");
        }
    }

    private String parseString(String text) {
        if (!choices.isEmpty()) {
            String choice = text.trim().toLowerCase(Locale.ROOT);
            if (!choices.contains(choice)) {
                throw new InvalidValueException(id, text.length() > 32 ? text.substring(0, 32) + "..." : text.replaceAll("\\p{Cntrl}", "?"),
                        accepts());
            }
            return choice;
        }
        if (limit > 0 && text.length() > limit) {
            throw new InvalidValueException(id, text.substring(0, 32) + "...", "at most " + limit + " characters");
        }
        for (int i = 0; i < text.length(); i++) {
            char c = text.charAt(i);
            if (c < 0x20 || c == 0x7f) {
                throw new InvalidValueException(id, text.replaceAll("\\p{Cntrl}", "?"), "printable characters only");
            }
        }
        return text;
    }

    @Override
    public String toString() {
        return id;
    }

    public static Optional<QubeProperty> find(String id) {
        for (QubeProperty p : values()) {
            if (p.id.equals(id)) {
                return Optional.of(p);
            }
        }
        return Optional.empty();
    }

    /** Looks a property up by name; the error lists the known ones. */
    public static QubeProperty parse(String id) {
        return find(id).orElseThrow(() -> new InvalidValueException("property", id, "one of " + knownNames()));
    }

    private static String knownNames() {
        StringBuilder sb = new StringBuilder();
        for (QubeProperty p : values()) {
            if (sb.length() > 0) {
                sb.append(", ");
            }
            sb.append(p.id);
        }
        return sb.toString();
    }
}
