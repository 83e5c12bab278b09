package dev.bulkhead.shell.internal;

import java.io.PrintStream;
import java.util.EnumSet;
import java.util.List;
import java.util.Set;
import java.util.stream.Collectors;

import dev.bulkhead.api.QubeClass;
import dev.bulkhead.api.QubeProperty;

/** {@code qvm:prefs --help-properties [PROP]}: the properties as {@link QubeProperty} declares them. */
final class PropertyHelp {
    private PropertyHelp() {
    }

    /** @param property one property's name, or {@code null} for all */
    static void print(PrintStream out, String property) {
        List<QubeProperty> shown = property == null ? List.of(QubeProperty.values()) : List.of(QubeProperty.parse(property));
        Table table = new Table("PROPERTY", "TYPE", "CLASSES", "CHANGE", "DEFAULT", "MEANING");
        for (QubeProperty p : shown) {
            table.row(p.id(), p.type().name(), classes(p.classes()), change(p), p.defaultValue().describe(),
                    p.description() + "; accepts " + p.accepts());
        }
        table.print(out);
    }

    private static String change(QubeProperty p) {
        return p.readOnly() ? "read-only" : p.changesWhileRunning() ? "any time" : "halted";
    }

    private static String classes(Set<QubeClass> classes) {
        if (classes.equals(EnumSet.allOf(QubeClass.class))) {
            return "all";
        }
        if (classes.equals(EnumSet.complementOf(EnumSet.of(QubeClass.AdminVM)))) {
            return "all-but-dom0";
        }
        return classes.stream().map(QubeClass::name).collect(Collectors.joining(","));
    }
}
