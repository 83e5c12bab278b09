package dev.bulkhead.shell.internal;

import java.io.PrintStream;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.function.Function;
import java.util.stream.Collectors;

import org.apache.felix.service.command.Descriptor;
import org.osgi.service.component.annotations.Activate;
import org.osgi.service.component.annotations.Component;
import org.osgi.service.component.annotations.Reference;

import dev.bulkhead.api.InvalidValueException;
import dev.bulkhead.api.Label;
import dev.bulkhead.api.PowerState;
import dev.bulkhead.api.Qube;
import dev.bulkhead.api.QubeAddress;
import dev.bulkhead.api.QubeAdmin;
import dev.bulkhead.api.QubeClass;
import dev.bulkhead.api.QubeProperty;
import dev.bulkhead.api.VolumeInfo;
import dev.bulkhead.api.command.CommandLine;

/**
 * {@code qvm:ls}, as qvm-ls: a table of qubes with the columns asked for ({@code --format} presets or
 * {@code -O COLUMNS}), filtered by state, class, label and tags, or only their names ({@code --raw-list}).
 */
@Component(service = QvmLsCommand.class, property = { "osgi.command.scope=qvm", "osgi.command.function=ls" })
public final class QvmLsCommand {
    static final String USAGE = "qvm:ls [--running] [--paused] [--halted] [--class CLASS]... [--label LABEL]... [--tags TAG]..."
            + " [--format FORMAT | -O COLUMNS] [--raw-list | --raw-data] [NAME...]";
    /** Qubes' preset formats, in the columns this platform has. */
    private static final Map<String, List<String>> FORMATS = new LinkedHashMap<>();
    static {
        FORMATS.put("simple", List.of("NAME", "STATE", "CLASS", "LABEL", "TEMPLATE", "NETVM"));
        FORMATS.put("network", List.of("NAME", "STATE", "NETVM", "IP"));
        FORMATS.put("kernel", List.of("NAME", "STATE", "CLASS", "TEMPLATE", "KERNELOPTS"));
        FORMATS.put("disk", List.of("NAME", "STATE", "DISK"));
        FORMATS.put("perf", List.of("NAME", "STATE", "MEMORY", "MAXMEM", "VCPUS"));
        FORMATS.put("full", List.of("NAME", "STATE", "CLASS", "LABEL", "QID", "TEMPLATE", "NETVM", "IP", "MEMORY", "DISK", "TAGS"));
    }
    /** Columns that are not a property of the qube. */
    private static final List<String> SPECIAL = List.of("STATE", "CLASS", "IP", "MEMORY", "DISK", "TAGS");
    private static final long MIB = 1024 * 1024;

    private final QubeAdmin admin;

    @Activate
    public QvmLsCommand(@Reference QubeAdmin admin) {
        this.admin = admin;
    }

    @Descriptor("List qubes as a table, by default NAME STATE CLASS LABEL TEMPLATE NETVM. Usage: " + USAGE + "\n"
            + "  --running, --paused, --halted  only qubes in one of these states\n"
            + "  --class CLASS                  only qubes of these classes (AppVM, TemplateVM, DispVM, AdminVM)\n"
            + "  --label LABEL                  only qubes with one of these labels\n"
            + "  --tags TAG                     only qubes with at least one of these tags\n"
            + "  -o, --format FORMAT            preset columns: simple, network, kernel, disk, perf, full (or columns, as -O)\n"
            + "  -O, --fields COLUMNS           columns, comma-separated: NAME STATE CLASS LABEL TEMPLATE NETVM IP MEMORY"
            + " DISK TAGS, or any property (QID, MAXMEM, VCPUS, ...); MEMORY is what a running qube uses, DISK its volumes,"
            + " both in MiB\n"
            + "  --raw-list                     only the names, one a line\n"
            + "  --raw-data                     the cells separated by |, without the header\n"
            + "CLASS, LABEL and TAG may repeat or be comma-separated.")
    public void ls(@Descriptor("options and qube names") String... args) {
        CommandLine cl = CommandLine.parse(args, Set.of("--running", "--paused", "--halted", "--raw-list", "--raw-data"),
                Set.of("--class", "--label", "--tags", "--format", "--fields"), Map.of("-o", "--format", "-O", "--fields", "--tag", "--tags"));
        List<String> columns = columns(cl);
        Set<String> classes = listed(cl, "--class", c -> QubeClass.parse(c).name());
        Set<String> labels = listed(cl, "--label", l -> Label.parse(l).toString());
        Set<String> tags = listed(cl, "--tags", t -> t);
        Set<PowerState> states = states(cl);
        List<String> names = cl.operands();
        names.forEach(admin::get);

        List<Qube> shown = new ArrayList<>();
        for (Qube q : admin.list()) {
            if ((names.isEmpty() || names.contains(q.name())) && (states.isEmpty() || states.contains(q.state()))
                    && (classes.isEmpty() || classes.contains(q.klass().name()))
                    && (labels.isEmpty() || labels.contains(q.value(QubeProperty.LABEL)))
                    && (tags.isEmpty() || q.tags().stream().anyMatch(tags::contains))) {
                shown.add(q);
            }
        }
        PrintStream out = System.out;
        if (cl.flag("--raw-list")) {
            shown.forEach(q -> out.println(q.name()));
        } else if (cl.flag("--raw-data")) {
            shown.forEach(q -> out.println(columns.stream().map(c -> cell(q, c)).collect(Collectors.joining("|"))));
        } else {
            Table table = new Table(columns.toArray(String[]::new));
            shown.forEach(q -> table.row(columns.stream().map(c -> cell(q, c)).toArray(String[]::new)));
            table.print(out);
        }
        for (String problem : admin.stateProblems()) {
            System.err.println("warning: " + problem);
        }
        new RoleNotices(admin, System.err).about(shown);
    }

    private static List<String> columns(CommandLine cl) {
        String fields = cl.value("--fields", null);
        String format = cl.value("--format", null);
        if (fields != null && format != null) {
            throw new InvalidValueException("--format", format, "either --format or -O/--fields, not both");
        }
        if (format != null && FORMATS.containsKey(format.toLowerCase(Locale.ROOT))) {
            return FORMATS.get(format.toLowerCase(Locale.ROOT));
        }
        String list = fields != null ? fields : format;
        if (list == null) {
            return FORMATS.get("simple");
        }
        List<String> columns = new ArrayList<>();
        for (String c : list.split(",")) {
            String column = c.strip().toUpperCase(Locale.ROOT).replace('-', '_');
            if (!columnNames().contains(column)) {
                throw new InvalidValueException("column", CommandLine.printable(c.strip()), (fields == null ? "a format ("
                        + String.join(", ", FORMATS.keySet()) + ") or " : "") + "columns among " + String.join(", ", columnNames()));
            }
            columns.add(column);
        }
        return columns;
    }

    /** Every column qvm:ls can show. */
    public static List<String> columnNames() {
        List<String> names = new ArrayList<>(List.of("NAME", "STATE", "CLASS", "LABEL", "TEMPLATE", "NETVM", "IP", "MEMORY", "DISK", "TAGS"));
        for (QubeProperty p : QubeProperty.values()) {
            String column = p == QubeProperty.KLASS ? "CLASS" : p.id().toUpperCase(Locale.ROOT);
            if (!names.contains(column)) {
                names.add(column);
            }
        }
        return names;
    }

    /** The preset formats. */
    public static List<String> formatNames() {
        return List.copyOf(FORMATS.keySet());
    }

    /** The values of a repeatable, comma-separated option, each checked and written as {@code canonical} does. */
    private static Set<String> listed(CommandLine cl, String option, Function<String, String> canonical) {
        Set<String> values = new TreeSet<>();
        for (String v : cl.values(option)) {
            Arrays.stream(v.split(",")).map(String::strip).filter(s -> !s.isEmpty()).map(canonical).forEach(values::add);
        }
        return values;
    }

    private static Set<PowerState> states(CommandLine cl) {
        Set<PowerState> states = new java.util.HashSet<>();
        if (cl.flag("--running")) {
            Arrays.stream(PowerState.values()).filter(s -> s.isActive() && s != PowerState.Paused).forEach(states::add);
        }
        if (cl.flag("--paused")) {
            states.add(PowerState.Paused);
        }
        if (cl.flag("--halted")) {
            Arrays.stream(PowerState.values()).filter(s -> !s.isActive()).forEach(states::add);
        }
        return states;
    }

    private String cell(Qube q, String column) {
        return switch (column) {
            case "NAME" -> q.name();
            case "STATE" -> q.state().name();
            case "CLASS" -> q.klass().name();
            case "QID" -> Integer.toString(q.qid());
            case "IP" -> Table.dash(q.value(QubeProperty.NETVM)).equals("-") ? "-" : QubeAddress.of(q.qid(), q.klass());
            case "MEMORY" -> q.state().isActive() ? admin.stats(q.name()).map(s -> Long.toString(s.memoryBytes() / MIB)).orElse("-") : "0";
            case "DISK" -> Long.toString(admin.volumes(q.name()).stream().mapToLong(VolumeInfo::usage).sum() / MIB);
            case "TAGS" -> q.tags().isEmpty() ? "-" : String.join(",", new TreeSet<>(q.tags()));
            default -> property(q, column);
        };
    }

    private static String property(Qube q, String column) {
        return QubeProperty.find(column.toLowerCase(Locale.ROOT)).filter(p -> p.appliesTo(q.klass())).map(q::value).map(Table::dash)
                .orElse("-");
    }
}
