package dev.bulkhead.shell.internal;

import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.function.Consumer;

import org.apache.felix.service.command.Descriptor;
import org.osgi.service.component.annotations.Activate;
import org.osgi.service.component.annotations.Component;
import org.osgi.service.component.annotations.Reference;

import dev.bulkhead.api.InvalidValueException;
import dev.bulkhead.api.PropertyValue;
import dev.bulkhead.api.Qube;
import dev.bulkhead.api.QubeAdmin;
import dev.bulkhead.api.QubeProperty;
import dev.bulkhead.api.command.CommandLine;

/** {@code qvm:prefs}, {@code qvm:globalprefs}, {@code qvm:features} and {@code qvm:tags}: what a qube is configured to be. */
@Component(service = QvmPrefsCommands.class, property = { "osgi.command.scope=qvm",
        "osgi.command.function=prefs", "osgi.command.function=globalprefs", "osgi.command.function=features", "osgi.command.function=tags" })
public final class QvmPrefsCommands {
    private static final Map<String, String> NO_ALIASES = Map.of();
    private final QubeAdmin admin;

    @Activate
    public QvmPrefsCommands(@Reference QubeAdmin admin) {
        this.admin = admin;
    }

    @Descriptor("Show or change properties. Usage: qvm:prefs NAME | qvm:prefs NAME PROP | qvm:prefs NAME PROP VALUE"
            + " | qvm:prefs --default NAME PROP | qvm:prefs --help-properties [PROP]\n"
            + "  -D, --default      reset PROP to its default\n"
            + "  --help-properties  what each property is, its type, default and values")
    public void prefs(@Descriptor("[--default] NAME [PROP [VALUE]] | --help-properties [PROP]") String... args) {
        CommandLine cl = CommandLine.parse(args, Set.of("--default", "--help-properties"), Set.of(), Map.of("-D", "--default"));
        String usage = "qvm:prefs NAME [PROP [VALUE]] | qvm:prefs --default NAME PROP | qvm:prefs --help-properties [PROP]";
        if (cl.flag("--help-properties")) {
            List<String> ops = cl.operands(0, 1, usage);
            PropertyHelp.print(System.out, ops.isEmpty() ? null : ops.get(0));
            return;
        }
        if (cl.flag("--default")) {
            List<String> ops = cl.operands(2, 2, usage);
            admin.resetProperty(ops.get(0), ops.get(1));
            return;
        }
        List<String> ops = cl.operands(1, 3, usage);
        Qube q = admin.get(ops.get(0));
        if (ops.size() == 1) {
            propertyTable(q.properties(), true).print(System.out);
        } else if (ops.size() == 2) {
            PropertyValue v = q.properties().get(QubeProperty.parse(ops.get(1)).id());
            if (v == null) {
                throw new InvalidValueException("property", ops.get(1), q.klass() + " '" + q.name() + "' has no such property");
            }
            System.out.println(v.value());
        } else {
            admin.setProperty(ops.get(0), ops.get(1), ops.get(2));
        }
    }

    @Descriptor("Show or change global properties (default_netvm, default_template, default_dispvm)."
            + " Usage: qvm:globalprefs [PROP [VALUE]]")
    public void globalprefs(@Descriptor("[PROP [VALUE]]") String... args) {
        List<String> ops = CommandLine.parse(args, Set.of(), Set.of(), NO_ALIASES).operands(0, 2, "qvm:globalprefs [PROP [VALUE]]");
        Map<String, PropertyValue> global = admin.globalProperties();
        if (ops.isEmpty()) {
            propertyTable(global, false).print(System.out);
        } else if (ops.size() == 1) {
            PropertyValue v = global.get(ops.get(0));
            if (v == null) {
                throw new InvalidValueException("global property", ops.get(0), "one of " + String.join(", ", global.keySet()));
            }
            System.out.println(v.value());
        } else {
            admin.setGlobalProperty(ops.get(0), ops.get(1));
        }
    }

    /**
     * One row per property: its name, {@code D} when it holds its default or {@code -} when set, and
     * its value, followed by where the default comes from when {@code withSource}.
     */
    static Table propertyTable(Map<String, PropertyValue> properties, boolean withSource) {
        Table table = new Table();
        properties.forEach((k, v) -> table.row(k, v.isDefault() ? "D" : "-",
                Table.dash(v.value()) + (withSource && v.isDefault() ? "  (default: " + v.source() + ")" : "")));
        return table;
    }

    @Descriptor("Show or change a qube's features. Usage: qvm:features NAME [KEY [VALUE]] | qvm:features --unset NAME KEY")
    public void features(@Descriptor("[--unset] NAME [KEY [VALUE]]") String... args) {
        CommandLine cl = CommandLine.parse(args, Set.of("--unset"), Set.of(), Map.of("-D", "--unset", "--delete", "--unset"));
        String usage = "qvm:features NAME [KEY [VALUE]] | qvm:features --unset NAME KEY";
        if (cl.flag("--unset")) {
            List<String> ops = cl.operands(2, 2, usage);
            admin.removeFeature(ops.get(0), ops.get(1));
            return;
        }
        List<String> ops = cl.operands(1, 3, usage);
        Qube q = admin.get(ops.get(0));
        if (ops.size() == 1) {
            Table table = new Table();
            q.features().forEach(table::row);
            table.print(System.out);
        } else if (ops.size() == 2) {
            String v = q.features().get(ops.get(1));
            if (v == null) {
                throw new InvalidValueException("feature", ops.get(1), "'" + q.name() + "' has no such feature");
            }
            System.out.println(v);
        } else {
            admin.setFeature(ops.get(0), ops.get(1), ops.get(2));
        }
    }

    @Descriptor("List, add or remove a qube's tags. Usage: qvm:tags NAME [list | add TAG... | del TAG...]")
    public void tags(@Descriptor("NAME [list | add TAG... | del TAG...]") String... args) {
        List<String> ops = CommandLine.parse(args, Set.of(), Set.of(), NO_ALIASES)
                .operands(1, Integer.MAX_VALUE, "qvm:tags NAME [list | add TAG... | del TAG...]");
        String name = ops.get(0);
        String action = ops.size() > 1 ? ops.get(1) : "list";
        List<String> tags = ops.size() > 2 ? ops.subList(2, ops.size()) : List.of();
        switch (action) {
            case "list" -> admin.get(name).tags().forEach(System.out::println);
            case "add" -> allOrNothing(tags, admin.get(name).tags(), t -> admin.addTag(name, t), t -> admin.removeTag(name, t));
            case "del" -> allOrNothing(tags, List.of(), t -> admin.removeTag(name, t), t -> admin.addTag(name, t));
            default -> throw new InvalidValueException("action", action, "list, add or del");
        }
    }

    /**
     * Applies {@code apply} to each item; when one is refused, those already done are undone
     * (except items in {@code untouched}, on which applying changed nothing), so the refused command
     * changes nothing.
     */
    private static void allOrNothing(List<String> items, Collection<String> untouched,
            Consumer<String> apply, Consumer<String> undo) {
        List<String> done = new ArrayList<>();
        try {
            for (String item : items) {
                apply.accept(item);
                if (!untouched.contains(item) && !done.contains(item)) {
                    done.add(item);
                }
            }
        } catch (RuntimeException e) {
            for (int i = done.size() - 1; i >= 0; i--) {
                String item = done.get(i);
                try {
                    undo.accept(item);
                } catch (RuntimeException u) {
                    e.addSuppressed(u);
                }
            }
            throw e;
        }
    }
}
