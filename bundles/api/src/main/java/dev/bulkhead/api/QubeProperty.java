package dev.bulkhead.api;

import java.util.Optional;

/** The properties every qube has, named as {@code qvm-prefs} names them. */
public enum QubeProperty {
    NAME("name", PropertyType.STRING, "Name of the qube; set once, at creation"),
    QID("qid", PropertyType.INT, "Internal, unique number of the qube; read-only"),
    KLASS("klass", PropertyType.CLASS, "Class of the qube; read-only"),
    LABEL("label", PropertyType.LABEL, "Colour of the qube's window frames"),
    MEMORY("memory", PropertyType.INT, "Memory at start, in MiB"),
    MAXMEM("maxmem", PropertyType.INT, "Most memory the qube may use, in MiB"),
    VCPUS("vcpus", PropertyType.INT, "Number of virtual CPUs"),
    NETVM("netvm", PropertyType.QUBE, "Qube that gives this qube its network; empty for none"),
    PROVIDES_NETWORK("provides_network", PropertyType.BOOL, "Whether other qubes may use this one as their netvm"),
    TEMPLATE("template", PropertyType.QUBE, "TemplateVM whose root this qube boots from; changes only while halted"),
    AUTOSTART("autostart", PropertyType.BOOL, "Start this qube when the platform starts"),
    KERNELOPTS("kernelopts", PropertyType.STRING, "Extra kernel command line options"),
    DEFAULT_DISPVM("default_dispvm", PropertyType.QUBE, "Qube whose disposables this qube starts; empty for none"),
    TEMPLATE_FOR_DISPVMS("template_for_dispvms", PropertyType.BOOL, "Whether disposables may be based on this qube"),
    AUTO_CLEANUP("auto_cleanup", PropertyType.BOOL, "DispVM: remove the qube and everything it had when it stops");

    private final String id;
    private final PropertyType type;
    private final String description;

    QubeProperty(String id, PropertyType type, String description) {
        this.id = id;
        this.type = type;
        this.description = description;
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
