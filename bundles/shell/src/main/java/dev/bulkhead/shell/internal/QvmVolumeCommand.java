package dev.bulkhead.shell.internal;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

import org.apache.felix.service.command.Descriptor;
import org.osgi.service.component.annotations.Activate;
import org.osgi.service.component.annotations.Component;
import org.osgi.service.component.annotations.Reference;

import dev.bulkhead.api.InvalidValueException;
import dev.bulkhead.api.Qube;
import dev.bulkhead.api.QubeAdmin;
import dev.bulkhead.api.VolumeInfo;
import dev.bulkhead.api.command.CommandLine;

/** {@code qvm:volume}, as qvm-volume: list, inspect, revert, resize and configure qubes' volumes. */
@Component(service = QvmVolumeCommand.class, property = { "osgi.command.scope=qvm",
        "osgi.command.function=volume" })
public final class QvmVolumeCommand {
    private static final Map<String, String> NO_ALIASES = Map.of();
    private final QubeAdmin admin;

    @Activate
    public QvmVolumeCommand(@Reference QubeAdmin admin) {
        this.admin = admin;
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
        table.print(System.out);
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
            System.out.println(value);
            return;
        }
        Table table = new Table();
        props.forEach(table::row);
        table.print(System.out);
        System.out.println("Available revisions (for revert):");
        for (var r : v.revisions()) {
            System.out.println("  " + r.name() + "  " + r.time());
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
}
