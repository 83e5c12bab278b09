package dev.bulkhead.shell.internal;

import java.io.IOException;
import java.io.PrintStream;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

import org.apache.felix.service.command.Descriptor;
import org.osgi.service.component.annotations.Activate;
import org.osgi.service.component.annotations.Component;
import org.osgi.service.component.annotations.Reference;

import dev.bulkhead.api.ExecResult;
import dev.bulkhead.api.InvalidValueException;
import dev.bulkhead.api.Label;
import dev.bulkhead.api.PropertyValue;
import dev.bulkhead.api.Qube;
import dev.bulkhead.api.QubeAdmin;
import dev.bulkhead.api.QubeClass;
import dev.bulkhead.api.QubeProperty;
import dev.bulkhead.api.RoleInfo;
import dev.bulkhead.api.QubeSpec;
import dev.bulkhead.api.VolumeInfo;
import dev.bulkhead.api.firewall.FirewallRule;

/**
 * The {@code qvm:*} commands, named and behaving like Qubes' {@code qvm-*} tools. They are thin:
 * every operation is one call of {@link QubeAdmin}, which the console and the Admin API use too.
 */
@Component(service = QvmCommands.class, property = {
        "osgi.command.scope=qvm",
        "osgi.command.function=ls", "osgi.command.function=create", "osgi.command.function=remove",
        "osgi.command.function=clone", "osgi.command.function=start", "osgi.command.function=shutdown",
        "osgi.command.function=kill", "osgi.command.function=pause", "osgi.command.function=unpause",
        "osgi.command.function=restart", "osgi.command.function=prefs", "osgi.command.function=run",
        "osgi.command.function=features", "osgi.command.function=tags", "osgi.command.function=log",
        "osgi.command.function=globalprefs", "osgi.command.function=firewall", "osgi.command.function=roles",
        "osgi.command.function=volume" })
public final class QvmCommands {
    private static final Map<String, String> NO_ALIASES = Map.of();
    private final QubeAdmin admin;

    @Activate
    public QvmCommands(@Reference QubeAdmin admin) {
        this.admin = admin;
    }

    private static PrintStream out() {
        return System.out;
    }

    @Descriptor("List qubes as a table: NAME STATE CLASS LABEL TEMPLATE NETVM. Usage: qvm:ls [--running] [--halted] [NAME...]")
    public void ls(@Descriptor("[--running] [--halted] [NAME...]") String... args) {
        CommandLine cl = CommandLine.parse(args, Set.of("--running", "--halted"), Set.of(), NO_ALIASES);
        List<Qube> qubes = admin.list();
        Table table = new Table("NAME", "STATE", "CLASS", "LABEL", "TEMPLATE", "NETVM");
        for (Qube q : qubes) {
            if (!cl.operands.isEmpty() && !cl.operands.contains(q.name())) {
                continue;
            }
            if (cl.flag("--running") && !q.state().isActive() || cl.flag("--halted") && q.state().isActive()) {
                continue;
            }
            table.row(q.name(), q.state().name(), q.klass().name(), q.value(QubeProperty.LABEL),
                    dash(q.value(QubeProperty.TEMPLATE)), dash(q.value(QubeProperty.NETVM)));
        }
        for (String name : cl.operands) {
            admin.get(name);
        }
        table.print(out());
        for (String problem : admin.stateProblems()) {
            System.err.println("warning: " + problem);
        }
    }

    private static String dash(String s) {
        return s == null || s.isEmpty() ? "-" : s;
    }

    @Descriptor("Create a qube. Usage: qvm:create --label LABEL [--class CLASS] [--template TEMPLATE]"
            + " [--property NAME=VALUE]... NAME")
    public void create(@Descriptor("--label LABEL [--class CLASS] [--template T] [--property K=V]... NAME") String... args) {
        CommandLine cl = CommandLine.parse(args, Set.of(), Set.of("--label", "--class", "--template", "--property"),
                Map.of("-l", "--label", "-C", "--class", "-t", "--template", "-P", "--property", "--prop", "--property"));
        String name = cl.operands(1, 1, "qvm:create --label LABEL [--class CLASS] [--template T] [--property K=V]... NAME").get(0);
        String label = cl.value("--label", null);
        if (label == null) {
            throw new InvalidValueException("label", "", "--label is required: one of red, orange, yellow, green, gray, blue, purple, black");
        }
        Map<String, String> props = new LinkedHashMap<>();
        for (String kv : cl.values("--property")) {
            int eq = kv.indexOf('=');
            if (eq <= 0) {
                throw new InvalidValueException("--property", kv, "NAME=VALUE");
            }
            if (props.put(kv.substring(0, eq), kv.substring(eq + 1)) != null) {
                throw new InvalidValueException("--property", kv, "each property once");
            }
        }
        String template = cl.value("--template", null);
        if (template != null && props.put(QubeProperty.TEMPLATE.id(), template) != null) {
            throw new InvalidValueException("--template", template, "give the template once, not also as --property template=");
        }
        admin.create(new QubeSpec(name, QubeClass.parse(cl.value("--class", "AppVM")), Label.parse(label), props));
    }

    @Descriptor("Remove halted qubes and everything they had on the host. Usage: qvm:remove NAME...")
    public void remove(@Descriptor("NAME...") String... names) {
        forEach(names, "qvm:remove NAME...", admin::remove);
    }

    @Descriptor("Clone a qube: properties, features, tags and private data. Usage: qvm:clone SOURCE TARGET")
    public void clone(@Descriptor("source qube") String source, @Descriptor("name of the new qube") String target) {
        admin.clone(source, target);
    }

    @Descriptor("Start qubes, and first the netvms they need. Usage: qvm:start NAME...")
    public void start(@Descriptor("NAME...") String... names) {
        forEach(names, "qvm:start NAME...", admin::start);
    }

    @Descriptor("Shut qubes down gracefully. Usage: qvm:shutdown [--force] [--wait] [--timeout SECONDS] NAME...")
    public void shutdown(@Descriptor("[--force] [--wait] [--timeout SECONDS] NAME...") String... args) {
        CommandLine cl = CommandLine.parse(args, Set.of("--force", "--wait"), Set.of("--timeout"), Map.of("-f", "--force", "-w", "--wait"));
        List<String> names = cl.operands(1, Integer.MAX_VALUE, "qvm:shutdown [--force] [--wait] [--timeout SECONDS] NAME...");
        Duration timeout = timeout(cl);
        for (String name : names) {
            admin.shutdown(name, cl.flag("--force"), cl.flag("--wait"), timeout);
        }
    }

    private static Duration timeout(CommandLine cl) {
        String t = cl.value("--timeout", null);
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
        throw new InvalidValueException("--timeout", t, "a positive number of seconds");
    }

    @Descriptor("Stop qubes at once. Usage: qvm:kill NAME...")
    public void kill(@Descriptor("NAME...") String... names) {
        forEach(names, "qvm:kill NAME...", admin::kill);
    }

    @Descriptor("Pause running qubes. Usage: qvm:pause NAME...")
    public void pause(@Descriptor("NAME...") String... names) {
        forEach(names, "qvm:pause NAME...", admin::pause);
    }

    @Descriptor("Resume paused qubes. Usage: qvm:unpause NAME...")
    public void unpause(@Descriptor("NAME...") String... names) {
        forEach(names, "qvm:unpause NAME...", admin::unpause);
    }

    @Descriptor("Shut qubes down, wait, and start them again. Usage: qvm:restart [--timeout SECONDS] NAME...")
    public void restart(@Descriptor("[--timeout SECONDS] NAME...") String... args) {
        CommandLine cl = CommandLine.parse(args, Set.of(), Set.of("--timeout"), NO_ALIASES);
        for (String name : cl.operands(1, Integer.MAX_VALUE, "qvm:restart [--timeout SECONDS] NAME...")) {
            admin.restart(name, timeout(cl));
        }
    }

    @Descriptor("Show or change properties. Usage: qvm:prefs NAME | qvm:prefs NAME PROP | qvm:prefs NAME PROP VALUE"
            + " | qvm:prefs --default NAME PROP | qvm:prefs --help [PROP] (what each property is, its default and values)")
    public void prefs(@Descriptor("[--default] NAME [PROP [VALUE]] | --help [PROP]") String... args) {
        CommandLine cl = CommandLine.parse(args, Set.of("--default", "--help"), Set.of(), Map.of("-D", "--default"));
        String usage = "qvm:prefs NAME [PROP [VALUE]] | qvm:prefs --default NAME PROP | qvm:prefs --help [PROP]";
        if (cl.flag("--help")) {
            List<String> ops = cl.operands(0, 1, usage);
            PropertyHelp.print(out(), ops.isEmpty() ? null : ops.get(0));
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
            Table table = new Table();
            for (Map.Entry<String, PropertyValue> e : q.properties().entrySet()) {
                PropertyValue v = e.getValue();
                table.row(e.getKey(), v.isDefault() ? "D" : "-",
                        dash(v.value()) + (v.isDefault() ? "  (default: " + v.source() + ")" : ""));
            }
            table.print(out());
        } else if (ops.size() == 2) {
            PropertyValue v = q.properties().get(QubeProperty.parse(ops.get(1)).id());
            if (v == null) {
                throw new InvalidValueException("property", ops.get(1), q.klass() + " '" + q.name() + "' has no such property");
            }
            out().println(v.value());
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
            Table table = new Table();
            global.forEach((k, v) -> table.row(k, v.isDefault() ? "D" : "-", dash(v.value())));
            table.print(out());
        } else if (ops.size() == 1) {
            PropertyValue v = global.get(ops.get(0));
            if (v == null) {
                throw new InvalidValueException("global property", ops.get(0), "one of " + String.join(", ", global.keySet()));
            }
            out().println(v.value());
        } else {
            admin.setGlobalProperty(ops.get(0), ops.get(1));
        }
    }

    @Descriptor("Run a command in a qube's shell (starting the qube if halted), or in a new disposable that is destroyed"
            + " afterwards; prints its output and returns its exit status."
            + " Usage: qvm:run [--timeout SECONDS] NAME COMMAND... | qvm:run --dispvm[=TEMPLATE] [--timeout SECONDS] [TEMPLATE] COMMAND...")
    public void run(@Descriptor("NAME COMMAND [ARG...] | --dispvm[=TEMPLATE] [TEMPLATE] COMMAND [ARG...]") String... args)
            throws IOException {
        String usage = "qvm:run [--timeout SECONDS] NAME COMMAND... | qvm:run --dispvm[=TEMPLATE] [--timeout SECONDS] [TEMPLATE] COMMAND...";
        // --dispvm takes its value only after '=', as in qvm-run; it is taken out before the other options are read
        List<String> rest = new ArrayList<>();
        boolean disposable = false;
        String template = null;
        boolean inOptions = true;
        boolean optionValue = false;
        for (String a : args) {
            if (inOptions && !optionValue && (a.equals("--dispvm") || a.startsWith("--dispvm="))) {
                disposable = true;
                template = a.startsWith("--dispvm=") ? a.substring("--dispvm=".length()) : template;
                continue;
            }
            inOptions &= optionValue || a.startsWith("-") && !a.equals("--");
            optionValue = a.equals("--timeout");
            rest.add(a);
        }
        CommandLine cl = CommandLine.parse(rest.toArray(String[]::new), Set.of(), Set.of("--timeout"), NO_ALIASES);
        List<String> ops = cl.operands(disposable ? 1 : 2, Integer.MAX_VALUE, usage);
        ExecResult r;
        if (disposable) {
            if (template == null && ops.size() > 1 && isDispvmTemplate(ops.get(0))) {
                template = ops.get(0);
                ops = ops.subList(1, ops.size());
            }
            r = admin.runDisposable(template, shellCommand(ops), new byte[0], timeout(cl));
        } else {
            r = admin.run(ops.get(0), shellCommand(ops.subList(1, ops.size())), new byte[0], timeout(cl));
        }
        out().write(r.stdout());
        out().flush();
        System.err.write(r.stderr());
        System.err.flush();
        if (r.exitStatus() != 0) {
            throw new ExitStatusException(r.exitStatus(), "");
        }
    }

    /** As qvm-run does, the words are joined and given to the qube's shell. */
    private static List<String> shellCommand(List<String> words) {
        return List.of("/bin/sh", "-c", String.join(" ", words));
    }

    private boolean isDispvmTemplate(String name) {
        return admin.find(name).map(q -> q.klass() == QubeClass.AppVM && "True".equals(q.value(QubeProperty.TEMPLATE_FOR_DISPVMS)))
                .orElse(false);
    }

    @Descriptor("Volumes of qubes, as qvm-volume. Usage: qvm:volume list [NAME...] | qvm:volume info NAME:VOLUME [PROPERTY]"
            + " | qvm:volume revert NAME:VOLUME [REVISION] | qvm:volume resize NAME:VOLUME SIZE"
            + " | qvm:volume config NAME:VOLUME revisions_to_keep N")
    public void volume(@Descriptor("list [NAME...] | info NAME:VOLUME [PROPERTY] | revert NAME:VOLUME [REVISION]"
            + " | resize NAME:VOLUME SIZE | config NAME:VOLUME revisions_to_keep N") String... args) {
        String usage = "qvm:volume list [NAME...] | info NAME:VOLUME [PROPERTY] | revert NAME:VOLUME [REVISION]"
                + " | resize NAME:VOLUME SIZE | config NAME:VOLUME revisions_to_keep N";
        List<String> ops = CommandLine.parse(args, Set.of(), Set.of(), NO_ALIASES).operands(0, Integer.MAX_VALUE, usage);
        String action = ops.isEmpty() ? "list" : ops.get(0);
        switch (action) {
            case "list", "ls" -> listVolumes(ops.size() > 1 ? ops.subList(1, ops.size()) : List.of());
            case "info" -> {
                if (ops.size() < 2 || ops.size() > 3) {
                    throw new InvalidValueException("arguments", String.join(" ", ops), "usage: " + usage);
                }
                String[] v = volumeRef(ops.get(1));
                printVolume(admin.volume(v[0], v[1]), ops.size() == 3 ? ops.get(2) : null);
            }
            case "revert" -> {
                if (ops.size() < 2 || ops.size() > 3) {
                    throw new InvalidValueException("arguments", String.join(" ", ops), "usage: " + usage);
                }
                String[] v = volumeRef(ops.get(1));
                admin.revertVolume(v[0], v[1], ops.size() == 3 ? ops.get(2) : null);
            }
            case "resize", "extend" -> {
                if (ops.size() != 3) {
                    throw new InvalidValueException("arguments", String.join(" ", ops), "usage: " + usage);
                }
                String[] v = volumeRef(ops.get(1));
                admin.resizeVolume(v[0], v[1], Sizes.parse(ops.get(2)));
            }
            case "config", "set" -> {
                if (ops.size() != 4) {
                    throw new InvalidValueException("arguments", String.join(" ", ops), "usage: " + usage);
                }
                String[] v = volumeRef(ops.get(1));
                if (!ops.get(2).equals("revisions_to_keep")) {
                    throw new InvalidValueException("volume property", ops.get(2), "revisions_to_keep is the one that can be set");
                }
                admin.setVolumeRevisionsToKeep(v[0], v[1], number("revisions_to_keep", ops.get(3)));
            }
            default -> throw new InvalidValueException("action", action, "list, info, revert, resize or config");
        }
    }

    private void listVolumes(List<String> names) {
        names.forEach(admin::get);
        Table table = new Table("POOL:VOLUME", "QUBE", "VOLUME", "SIZE", "USAGE", "REVERT_POSSIBLE");
        for (Qube q : admin.list()) {
            if (!names.isEmpty() && !names.contains(q.name())) {
                continue;
            }
            for (VolumeInfo v : admin.volumes(q.name())) {
                String where = v.vid().isEmpty() ? (v.source().isEmpty() ? "-" : "from " + v.source()) : v.vid();
                table.row(v.pool() + ":" + where, q.name(), v.name(), Sizes.human(v.size()), Sizes.human(v.usage()),
                        v.revertPossible() ? "Yes" : "No");
            }
        }
        table.print(out());
    }

    private static void printVolume(VolumeInfo v, String property) {
        Map<String, String> props = new LinkedHashMap<>();
        props.put("pool", v.pool());
        props.put("vid", v.vid());
        props.put("rw", pyBool(v.rw()));
        props.put("source", v.source());
        props.put("save_on_stop", pyBool(v.saveOnStop()));
        props.put("snap_on_start", pyBool(v.snapOnStart()));
        props.put("size", Long.toString(v.size()));
        props.put("usage", Long.toString(v.usage()));
        props.put("revisions_to_keep", Integer.toString(v.revisionsToKeep()));
        if (property != null) {
            String value = props.get(property);
            if (value == null) {
                throw new InvalidValueException("volume property", property, "one of " + String.join(", ", props.keySet()));
            }
            out().println(value);
            return;
        }
        Table table = new Table();
        props.forEach(table::row);
        table.print(out());
        out().println("Available revisions (for revert):");
        for (var r : v.revisions()) {
            out().println("  " + r.name() + "  " + r.time());
        }
    }

    private static String pyBool(boolean b) {
        return b ? "True" : "False";
    }

    /** {@code NAME:VOLUME}, as qvm-volume takes it. */
    private static String[] volumeRef(String text) {
        int colon = text.indexOf(':');
        if (colon <= 0 || colon == text.length() - 1) {
            throw new InvalidValueException("volume", text, "NAME:VOLUME, e.g. work:private");
        }
        return new String[] { text.substring(0, colon), text.substring(colon + 1) };
    }

    private static int number(String what, String text) {
        try {
            return Integer.parseInt(text);
        } catch (NumberFormatException e) {
            throw new InvalidValueException(what, text, "a whole number");
        }
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
            table.print(out());
        } else if (ops.size() == 2) {
            String v = q.features().get(ops.get(1));
            if (v == null) {
                throw new InvalidValueException("feature", ops.get(1), "'" + q.name() + "' has no such feature");
            }
            out().println(v);
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
            case "list" -> admin.get(name).tags().forEach(out()::println);
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
    private static void allOrNothing(List<String> items, java.util.Collection<String> untouched,
            java.util.function.Consumer<String> apply, java.util.function.Consumer<String> undo) {
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

    @Descriptor("Show or change a qube's firewall rules (first match wins, then drop)."
            + " Usage: qvm:firewall [--raw] NAME [list | add [--before N] RULE... | del N | reset]")
    public void firewall(@Descriptor("[--raw] NAME [list | add [--before N] RULE... | del N | reset]") String... args) {
        String usage = "qvm:firewall [--raw] NAME [list | add [--before N] RULE... | del N | reset]";
        CommandLine cl = CommandLine.parse(args, Set.of("--raw"), Set.of(), NO_ALIASES);
        List<String> ops = cl.operands(1, Integer.MAX_VALUE, usage);
        String name = ops.get(0);
        String action = ops.size() > 1 ? ops.get(1) : "list";
        switch (action) {
            case "list" -> {
                cl.operands(1, 2, usage);
                printRules(admin.firewallRules(name), cl.flag("--raw"));
            }
            case "add" -> {
                CommandLine add = CommandLine.parse(ops.subList(2, ops.size()).toArray(String[]::new), Set.of(),
                        Set.of("--before"), NO_ALIASES);
                String text = String.join(" ", add.operands(1, Integer.MAX_VALUE, usage));
                FirewallRule rule = FirewallRule.parse(text, Instant.now());
                String before = add.value("--before", null);
                admin.editFirewallRules(name, current -> {
                    List<FirewallRule> rules = new ArrayList<>(current);
                    rules.add(before == null ? rules.size() : ruleIndex(before, rules.size() + 1), rule);
                    return rules;
                });
            }
            case "del" -> {
                cl.operands(3, 3, usage);
                admin.editFirewallRules(name, current -> {
                    List<FirewallRule> rules = new ArrayList<>(current);
                    rules.remove(ruleIndex(ops.get(2), rules.size()));
                    return rules;
                });
            }
            case "reset" -> {
                cl.operands(2, 2, usage);
                admin.setFirewallRules(name, List.of(FirewallRule.ACCEPT_ALL));
            }
            default -> throw new InvalidValueException("action", action, "list, add, del or reset");
        }
        // saved, but not all in force as written (a host name that does not resolve): said, not refused
        for (String problem : admin.firewallProblems(name)) {
            System.err.println("warning: " + problem);
        }
    }

    private static int ruleIndex(String text, int bound) {
        try {
            int n = Integer.parseInt(text);
            if (n >= 0 && n < bound) {
                return n;
            }
        } catch (NumberFormatException e) {
            // reported below with the accepted range
        }
        throw new InvalidValueException("rule number", text, bound == 0 ? "there are no rules" : "a number from 0 to " + (bound - 1));
    }

    private static void printRules(List<FirewallRule> rules, boolean raw) {
        if (raw) {
            rules.forEach(out()::println);
            return;
        }
        Table table = new Table("NO", "ACTION", "HOST", "PROTOCOL", "PORT(S)", "SPECIAL TARGET", "ICMP TYPE", "EXPIRE", "COMMENT");
        for (int i = 0; i < rules.size(); i++) {
            FirewallRule r = rules.get(i);
            table.row(Integer.toString(i), r.action().toString(), text(r.dsthost()), text(r.proto()), text(r.dstports()),
                    text(r.specialtarget()), text(r.icmptype()), r.expire() == null ? "-" : r.expire().toString(), text(r.comment()));
        }
        table.print(out());
    }

    private static String text(Object value) {
        return value == null ? "-" : value.toString();
    }

    @Descriptor("Show what a qube's console printed. Usage: qvm:log NAME")
    public void log(@Descriptor("qube name") String name) {
        out().print(admin.consoleLog(name));
    }

    @Descriptor("List the VM roles present now and the qubes that carry them (feature role=ID). Usage: qvm:roles")
    public void roles() {
        Table table = new Table("ROLE", "NETWORK", "QUBES", "DESCRIPTION");
        for (RoleInfo role : admin.roles()) {
            table.row(role.id(), role.providesNetwork() ? "yes" : "no",
                    role.qubes().isEmpty() ? "-" : String.join(",", role.qubes()), role.description());
        }
        table.print(out());
    }

    /** Runs the operation on each named qube, in order; the first refusal ends the command. */
    private static void forEach(String[] names, String usage, java.util.function.Consumer<String> operation) {
        requireNames(names, usage);
        for (String name : names) {
            operation.accept(name);
        }
    }

    private static void requireNames(String[] names, String usage) {
        if (names.length == 0) {
            throw new InvalidValueException("arguments", "", "usage: " + usage);
        }
        Arrays.stream(names).forEach(n -> {
            if (n.startsWith("-")) {
                throw new InvalidValueException("option", n, "this command takes no options; usage: " + usage);
            }
        });
    }
}
