package dev.bulkhead.shell.internal;

import java.time.Instant;
import java.time.LocalDateTime;
import java.time.ZoneId;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalInt;
import java.util.Set;

import org.apache.felix.service.command.Descriptor;
import org.osgi.service.component.annotations.Activate;
import org.osgi.service.component.annotations.Component;
import org.osgi.service.component.annotations.Reference;

import dev.bulkhead.api.InvalidValueException;
import dev.bulkhead.api.QubeAdmin;
import dev.bulkhead.api.command.CommandLine;
import dev.bulkhead.api.firewall.FirewallRule;

/** {@code qvm:firewall}, as qvm-firewall: a qube's rules, first match wins, then drop. */
@Component(service = QvmFirewallCommand.class, property = { "osgi.command.scope=qvm",
        "osgi.command.function=firewall" })
public final class QvmFirewallCommand {
    private static final Map<String, String> NO_ALIASES = Map.of();
    private static final DateTimeFormatter EXPIRE_FORMAT = DateTimeFormatter.ofPattern("uuuu-MM-dd HH:mm:ss", Locale.ROOT);
    private final QubeAdmin admin;

    @Activate
    public QvmFirewallCommand(@Reference QubeAdmin admin) {
        this.admin = admin;
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
                Added added = new Added();
                admin.editFirewallRules(name, current -> {
                    List<FirewallRule> rules = new ArrayList<>(current);
                    int at = before == null ? rules.size() : ruleIndex(before, rules.size() + 1);
                    rules.add(at, rule);
                    added.rules = List.copyOf(rules);
                    added.at = at;
                    return rules;
                });
                shadowWarning(name, added.rules, added.at).ifPresent(System.err::println);
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
        List<String> problems;
        try {
            problems = admin.firewallProblems(name);
        } catch (RuntimeException e) {
            // what was done is done: a command that saved does not end as refused
            problems = List.of("cannot tell whether the rules of '" + name + "' are all in force: " + EachQube.reason(e));
        }
        for (String problem : problems) {
            System.err.println("warning: " + problem);
        }
    }

    /** The rules as an add saved them, and where it put the new one. */
    private static final class Added {
        List<FirewallRule> rules;
        int at;
    }

    /**
     * A warning when the rule just added at {@code at} can never match because an earlier rule
     * matches all it would (first match wins): Qubes' default {@code action=accept} does, for one.
     */
    static Optional<String> shadowWarning(String qube, List<FirewallRule> rules, int at) {
        OptionalInt shadowing = FirewallRule.shadowing(rules, at);
        if (shadowing.isEmpty()) {
            return Optional.empty();
        }
        int first = shadowing.getAsInt();
        return Optional.of("warning: rule " + at + " can never match: rule " + first + " (" + rules.get(first)
                + ") comes first and matches everything it would; to put it ahead: qvm:firewall " + qube + " del " + at
                + ", then add it again with --before " + first);
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
            // the text form, which reads back as the same rules: an expiry in seconds since the epoch
            rules.forEach(System.out::println);
        } else {
            rulesTable(rules, ZoneId.systemDefault()).print(System.out);
        }
    }

    /** The rules as {@code qvm-firewall} lists them, numbered, expiry times in {@code zone}. */
    static Table rulesTable(List<FirewallRule> rules, ZoneId zone) {
        Table table = new Table("NO", "ACTION", "HOST", "PROTOCOL", "PORT(S)", "SPECIAL TARGET", "ICMP TYPE", "EXPIRE", "COMMENT");
        for (int i = 0; i < rules.size(); i++) {
            FirewallRule r = rules.get(i);
            table.row(Integer.toString(i), r.action().toString(), text(r.dsthost()), text(r.proto()), text(r.dstports()),
                    text(r.specialtarget()), text(r.icmptype()), r.expire() == null ? "-" : expireText(r.expire(), zone), text(r.comment()));
        }
        return table;
    }

    /** When a rule expires, as Qubes shows it: local time, to the second. */
    static String expireText(Instant expire, ZoneId zone) {
        return EXPIRE_FORMAT.format(LocalDateTime.ofInstant(expire, zone));
    }

    private static String text(Object value) {
        return value == null ? "-" : value.toString();
    }
}
