package dev.bulkhead.shell.internal;

import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.function.Consumer;

import org.apache.felix.service.command.Descriptor;
import org.osgi.service.component.annotations.Activate;
import org.osgi.service.component.annotations.Component;
import org.osgi.service.component.annotations.Reference;

import dev.bulkhead.api.InvalidValueException;
import dev.bulkhead.api.Label;
import dev.bulkhead.api.QubeAdmin;
import dev.bulkhead.api.QubeClass;
import dev.bulkhead.api.QubeProperty;
import dev.bulkhead.api.QubeSpec;
import dev.bulkhead.api.RoleInfo;
import dev.bulkhead.api.command.CommandLine;

/**
 * The {@code qvm:*} commands, named and behaving like Qubes' {@code qvm-*} tools. They are thin:
 * every operation is one call of {@link QubeAdmin}, which the console and the Admin API use too.
 * These create, remove and run qubes through their lives; {@link QvmLsCommand}, {@link QvmPrefsCommands},
 * {@link QvmRunCommand}, {@link QvmVolumeCommand} and {@link QvmFirewallCommand} hold the others.
 */
@Component(service = QvmCommands.class, property = { "osgi.command.scope=qvm",
        "osgi.command.function=create", "osgi.command.function=remove", "osgi.command.function=clone", "osgi.command.function=start", "osgi.command.function=shutdown", "osgi.command.function=kill", "osgi.command.function=pause", "osgi.command.function=unpause", "osgi.command.function=restart", "osgi.command.function=log", "osgi.command.function=roles" })
public final class QvmCommands {
    private static final Map<String, String> NO_ALIASES = Map.of();
    private final QubeAdmin admin;

    @Activate
    public QvmCommands(@Reference QubeAdmin admin) {
        this.admin = admin;
    }

    @Descriptor("Create a qube; --install-from copies a bootable disk image or ISO in as the root of a StandaloneVM with"
            + " virt_mode=hvm. Usage: qvm:create --label LABEL [--class CLASS] [--template TEMPLATE]"
            + " [--property PROPERTY=VALUE]... [--install-from FILE] NAME")
    public void create(@Descriptor("--label LABEL [--class CLASS] [--template T] [--property K=V]... [--install-from FILE] NAME")
            String... args) {
        CommandLine cl = CommandLine.parse(args, Set.of(), Set.of("--label", "--class", "--template", "--property", "--install-from"),
                Map.of("-l", "--label", "-C", "--class", "-t", "--template", "-P", "--property", "--prop", "--property"));
        String name = cl.operands(1, 1, "qvm:create --label LABEL [--class CLASS] [--template TEMPLATE] [--property PROPERTY=VALUE]..."
                + " [--install-from FILE] NAME").get(0);
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
        String installFrom = cl.value("--install-from", null);
        if (installFrom != null && !"hvm".equalsIgnoreCase(props.getOrDefault(QubeProperty.VIRT_MODE.id(), "").strip())) {
            throw new InvalidValueException("--install-from", installFrom, "a StandaloneVM with --property virt_mode=hvm,"
                    + " whose root the image becomes");
        }
        admin.create(new QubeSpec(name, QubeClass.parse(cl.value("--class", "AppVM")), Label.parse(label), props));
        if (installFrom != null) {
            installBootImage(name, installFrom);
        }
    }

    /** The new qube's root becomes the image; a qube whose image is refused goes again, with nothing of it left. */
    private void installBootImage(String name, String file) {
        try {
            admin.importVolume(name, "root", Path.of(file).toAbsolutePath());
        } catch (RuntimeException e) {
            try {
                admin.remove(name);
            } catch (RuntimeException cleanup) {
                e.addSuppressed(cleanup);
            }
            throw e;
        }
    }

    @Descriptor("Remove halted qubes and everything they had on the host. Usage: qvm:remove NAME...")
    public void remove(@Descriptor("NAME...") String... names) {
        forEach(names, "qvm:remove NAME...", admin::remove);
    }

    @Descriptor("Clone a qube: properties, features, tags and private data. Usage: qvm:clone SOURCE TARGET")
    public void clone(@Descriptor("source qube") String source, @Descriptor("name of the new qube") String target) {
        admin.clone(source, target);
    }

    @Descriptor("Start qubes, and first the netvms they need; what keeps their network from working (a NetVM with no"
            + " uplink) is said as a warning. Usage: qvm:start NAME...")
    public void start(@Descriptor("NAME...") String... names) {
        RoleNotices notices = new RoleNotices(admin, System.err);
        forEach(names, "qvm:start NAME...", name -> {
            admin.start(name);
            notices.aboutChain(name);
        });
    }

    @Descriptor("Shut qubes down gracefully. Usage: qvm:shutdown [--force] [--wait] [--timeout SECONDS] NAME...")
    public void shutdown(@Descriptor("[--force] [--wait] [--timeout SECONDS] NAME...") String... args) {
        CommandLine cl = CommandLine.parse(args, Set.of("--force", "--wait"), Set.of("--timeout"), Map.of("-f", "--force", "-w", "--wait"));
        List<String> names = cl.operands(1, Integer.MAX_VALUE, "qvm:shutdown [--force] [--wait] [--timeout SECONDS] NAME...");
        Duration timeout = cl.seconds("--timeout");
        EachQube.apply(names, name -> admin.shutdown(name, cl.flag("--force"), cl.flag("--wait"), timeout), System.err);
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
        List<String> names = cl.operands(1, Integer.MAX_VALUE, "qvm:restart [--timeout SECONDS] NAME...");
        Duration timeout = cl.seconds("--timeout");
        EachQube.apply(names, name -> admin.restart(name, timeout), System.err);
    }

    @Descriptor("Show what a qube's console printed. Usage: qvm:log NAME")
    public void log(@Descriptor("qube name") String name) {
        System.out.print(admin.consoleLog(name));
    }

    @Descriptor("List the VM roles present now and the qubes that carry them (feature role=ID). Usage: qvm:roles")
    public void roles() {
        Table table = new Table("ROLE", "NETWORK", "QUBES", "DESCRIPTION");
        List<RoleInfo> roles = admin.roles();
        for (RoleInfo role : roles) {
            table.row(role.id(), role.providesNetwork() ? "yes" : "no",
                    role.qubes().isEmpty() ? "-" : String.join(",", role.qubes()), role.description());
        }
        table.print(System.out);
        roles.forEach(r -> r.notices().forEach(n -> System.err.println("warning: role " + r.id() + ": " + n)));
    }

    /** Runs the operation on each named qube, in order, each refusal said and the rest still tried. */
    private static void forEach(String[] names, String usage, Consumer<String> operation) {
        requireNames(names, usage);
        EachQube.apply(List.of(names), operation, System.err);
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
