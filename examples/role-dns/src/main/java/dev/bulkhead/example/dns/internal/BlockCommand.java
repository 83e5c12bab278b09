package dev.bulkhead.example.dns.internal;

import java.io.IOException;
import java.util.Arrays;
import java.util.Dictionary;
import java.util.Hashtable;
import java.util.List;

import org.apache.felix.service.command.Descriptor;
import org.osgi.service.cm.Configuration;
import org.osgi.service.cm.ConfigurationAdmin;
import org.osgi.service.component.annotations.Activate;
import org.osgi.service.component.annotations.Component;
import org.osgi.service.component.annotations.Reference;

import dev.bulkhead.api.AdminException;
import dev.bulkhead.api.InvalidValueException;

/**
 * {@code dns:block}: the block list, shown and changed through ConfigAdmin. Unlike a settings file,
 * it checks the whole new list first: a bad entry is refused naming it, and nothing changes.
 */
@Component(service = BlockCommand.class, property = { "osgi.command.scope=dns", "osgi.command.function=block" })
public final class BlockCommand {
    private static final String USAGE = "dns:block [list | add NAME... | del NAME... | set [NAME...]]";
    private final ConfigurationAdmin configAdmin;

    @Activate
    public BlockCommand(@Reference ConfigurationAdmin configAdmin) {
        this.configAdmin = configAdmin;
    }

    @Descriptor("Show or change the names the DNS filter role answers with NXDOMAIN, each with every name under it."
            + " Usage: " + USAGE)
    public void block(@Descriptor("[list | add NAME... | del NAME... | set [NAME...]]") String... args) throws IOException {
        String action = args.length == 0 ? "list" : args[0];
        List<String> names = args.length == 0 ? List.of() : Arrays.asList(args).subList(1, args.length);
        Configuration config = configAdmin.getConfiguration(DnsFilterConfig.PID, "?");
        switch (action) {
            case "list" -> {
                if (!names.isEmpty()) {
                    throw new InvalidValueException("argument", names.get(0), "nothing after 'list'; usage: " + USAGE);
                }
                current(config).names().forEach(System.out::println);
            }
            case "add" -> save(config, current(config).with(required(names)));
            case "del" -> {
                BlockList before = current(config);
                for (String name : required(names)) {
                    if (!before.names().contains(BlockList.name(name))) {
                        throw new InvalidValueException("name", name, "one on the block list: " + before.text());
                    }
                }
                save(config, before.without(names));
            }
            case "set" -> save(config, BlockList.parse(String.join(",", names)));
            default -> throw new InvalidValueException("action", action, "list, add, del or set; usage: " + USAGE);
        }
    }

    private static List<String> required(List<String> names) {
        if (names.isEmpty()) {
            throw new InvalidValueException("names", "", "one or more domain names; usage: " + USAGE);
        }
        return names;
    }

    /** The list configured now; a configured list that is wrong must be replaced whole. */
    private static BlockList current(Configuration config) {
        Dictionary<String, Object> props = config.getProperties();
        Object text = props == null ? null : props.get(BlockList.SETTING);
        try {
            return BlockList.parse(text == null ? "" : text.toString());
        } catch (AdminException e) {
            throw new AdminException("the configured block list is wrong (" + e.getMessage() + "); replace it with dns:block set NAME...", e);
        }
    }

    private static void save(Configuration config, BlockList list) throws IOException {
        Dictionary<String, Object> props = config.getProperties();
        if (props == null) {
            props = new Hashtable<>();
        }
        props.put(BlockList.SETTING, list.text());
        config.update(props);
    }
}
