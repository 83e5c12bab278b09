package dev.bulkhead.shell.internal.completion;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import dev.bulkhead.api.Label;
import dev.bulkhead.api.PropertyType;
import dev.bulkhead.api.Qube;
import dev.bulkhead.api.QubeAdmin;
import dev.bulkhead.api.QubeClass;
import dev.bulkhead.api.QubeProperty;
import dev.bulkhead.shell.internal.QvmLsCommand;

/**
 * What Tab offers after a {@code qvm:*} command: its options (read from its usage), qube names, a qube's property
 * names and values, its feature keys and tags, subcommand words and firewall rule keys. Each command's operands
 * are described once, below; a command not described gets qube names.
 */
public final class QvmCompletions {
    /** What an operand is. */
    enum Kind {
        QUBE, NEW_NAME, PROPERTY, PROPERTY_VALUE, GLOBAL_PROPERTY, GLOBAL_VALUE, FEATURE, FEATURE_VALUE, TAG, RULE, VOLUME, FREE,
        TEMPLATE
    }

    /** A command's operands in order; the last repeats. A subcommand word picks the operands that follow it. */
    private record Grammar(List<Kind> operands, Map<String, List<Kind>> subcommands) {
        static Grammar of(Kind... operands) {
            return new Grammar(List.of(operands), Map.of());
        }
    }

    private static final Map<String, Grammar> GRAMMARS = Map.ofEntries(
            Map.entry("ls", Grammar.of(Kind.QUBE)),
            Map.entry("create", Grammar.of(Kind.NEW_NAME)),
            Map.entry("clone", Grammar.of(Kind.QUBE, Kind.NEW_NAME)),
            Map.entry("log", Grammar.of(Kind.QUBE, Kind.FREE)),
            Map.entry("roles", Grammar.of(Kind.FREE)),
            Map.entry("prefs", Grammar.of(Kind.QUBE, Kind.PROPERTY, Kind.PROPERTY_VALUE, Kind.FREE)),
            Map.entry("globalprefs", Grammar.of(Kind.GLOBAL_PROPERTY, Kind.GLOBAL_VALUE, Kind.FREE)),
            Map.entry("features", Grammar.of(Kind.QUBE, Kind.FEATURE, Kind.FEATURE_VALUE, Kind.FREE)),
            Map.entry("run", Grammar.of(Kind.QUBE, Kind.FREE)),
            Map.entry("tags", new Grammar(List.of(Kind.QUBE), Map.of("list", List.of(Kind.FREE), "add", List.of(Kind.FREE),
                    "del", List.of(Kind.TAG)))),
            Map.entry("firewall", new Grammar(List.of(Kind.QUBE), Map.of("list", List.of(Kind.FREE), "add", List.of(Kind.RULE),
                    "del", List.of(Kind.FREE), "reset", List.of(Kind.FREE)))),
            Map.entry("volume", new Grammar(List.of(), Map.of("list", List.of(Kind.QUBE), "info", List.of(Kind.VOLUME, Kind.FREE),
                    "revert", List.of(Kind.VOLUME, Kind.FREE), "resize", List.of(Kind.VOLUME, Kind.FREE),
                    "config", List.of(Kind.VOLUME, Kind.FREE)))),
            Map.entry("template", new Grammar(List.of(), Map.of("install", List.of(Kind.FREE), "list", List.of(Kind.FREE),
                    "info", List.of(Kind.TEMPLATE, Kind.FREE), "verify", List.of(Kind.FREE), "remove", List.of(Kind.TEMPLATE)))),
            Map.entry("tor", new Grammar(List.of(), Map.of("status", List.of(Kind.QUBE, Kind.FREE)))),
            Map.entry("vpn", new Grammar(List.of(), Map.of("import", List.of(Kind.QUBE, Kind.FREE), "status", List.of(Kind.QUBE, Kind.FREE)))),
            Map.entry("console", new Grammar(List.of(), Map.of("token", List.of(Kind.FREE)))));

    private static final Map<String, String> RULE_KEYS = new LinkedHashMap<>();
    static {
        RULE_KEYS.put("action=", "accept or drop");
        RULE_KEYS.put("dsthost=", "address, network or host name");
        RULE_KEYS.put("proto=", "tcp, udp or icmp");
        RULE_KEYS.put("dstports=", "port or range, e.g. 443 or 8000-8080");
        RULE_KEYS.put("specialtarget=", "dns");
        RULE_KEYS.put("icmptype=", "ICMP type number");
        RULE_KEYS.put("expire=", "+SECONDS or a time");
        RULE_KEYS.put("comment=", "free text");
    }
    private static final Map<String, List<String>> RULE_VALUES = Map.of("action=", List.of("accept", "drop"),
            "proto=", List.of("tcp", "udp", "icmp"), "specialtarget=", List.of("dns"));
    /** An option in a usage text, and the upper-case name of its value if it takes one. */
    private static final Pattern OPTION = Pattern.compile("(?<![\\w-])(--?[A-Za-z][\\w-]*)(?:[ =]([A-Z][A-Z_]*)\\b)?");
    /** Two spellings of one option, {@code -o, --format}: the short one takes what the long one takes. */
    private static final Pattern SPELLINGS = Pattern.compile("(?<![\\w-])(-[A-Za-z]), (--[A-Za-z][\\w-]*)");

    private final QubeAdmin admin;

    public QvmCompletions(QubeAdmin admin) {
        this.admin = admin;
    }

    /**
     * @param function the qvm command's name, without {@code qvm:}
     * @param usage its usage text, where its options are read
     * @param before the words after the command, before the one being completed
     * @param current what is typed of the word being completed
     */
    public List<Completion> complete(String function, String usage, List<String> before, String current) {
        Map<String, String> options = options(usage);
        String previous = before.isEmpty() ? null : before.get(before.size() - 1);
        if (previous != null && options.get(previous) != null && !previous.contains("=")) {
            return optionValues(options.get(previous));
        }
        List<String> operands = operands(before, options);
        if (current.startsWith("-") && operands.isEmpty()) {
            List<Completion> result = new ArrayList<>();
            options.forEach((name, value) -> result.add(new Completion(name, value == null ? "option" : "option: " + value, true)));
            return result;
        }
        return operand(GRAMMARS.getOrDefault(function, Grammar.of(Kind.QUBE)), operands, current);
    }

    /** Options named in a usage text, each with the name of its value or null for a flag. */
    static Map<String, String> options(String usage) {
        Map<String, String> options = new LinkedHashMap<>();
        Matcher m = OPTION.matcher(usage);
        while (m.find()) {
            if (!m.group(1).equals("--") && !options.containsKey(m.group(1))) {
                options.put(m.group(1), m.group(2));
            }
        }
        Matcher pair = SPELLINGS.matcher(usage);
        while (pair.find()) {
            if (options.get(pair.group(1)) == null && options.get(pair.group(2)) != null) {
                options.put(pair.group(1), options.get(pair.group(2)));
            }
        }
        return options;
    }

    /** The operands among the words: options in front, with their values, are not. */
    private static List<String> operands(List<String> words, Map<String, String> options) {
        int i = 0;
        while (i < words.size() && words.get(i).startsWith("-") && !words.get(i).equals("--")) {
            String w = words.get(i);
            i += options.get(w) != null && !w.contains("=") ? 2 : 1;
        }
        if (i < words.size() && words.get(i).equals("--")) {
            i++;
        }
        return i >= words.size() ? List.of() : words.subList(i, words.size());
    }

    private List<Completion> operand(Grammar grammar, List<String> operands, String current) {
        List<Kind> kinds = grammar.operands();
        int index = operands.size();
        if (!grammar.subcommands().isEmpty()) {
            int words = kinds.size();
            if (index == words) {
                return grammar.subcommands().keySet().stream().sorted().map(w -> Completion.word(w, "subcommand")).toList();
            }
            if (index > words) {
                List<Kind> after = grammar.subcommands().get(operands.get(words));
                if (after == null) {
                    return List.of();
                }
                List<Kind> all = new ArrayList<>(kinds);
                all.add(Kind.FREE);
                all.addAll(after);
                kinds = all;
            }
        }
        if (kinds.isEmpty()) {
            return List.of();
        }
        Kind kind = kinds.get(Math.min(index, kinds.size() - 1));
        return values(kind, operands, current);
    }

    private List<Completion> values(Kind kind, List<String> operands, String current) {
        return switch (kind) {
            case QUBE -> qubes(q -> true);
            case TEMPLATE -> qubes(q -> q.klass() == QubeClass.TemplateVM);
            case PROPERTY -> qube(operands, 0).map(q -> q.properties().keySet().stream().map(p -> Completion.word(p, "property")).toList())
                    .orElse(List.of());
            case PROPERTY_VALUE -> propertyValues(operands.get(1));
            case GLOBAL_PROPERTY -> admin.globalProperties().keySet().stream().map(p -> Completion.word(p, "global property")).toList();
            case GLOBAL_VALUE -> qubes(q -> true);
            case FEATURE -> qube(operands, 0).map(this::featureKeys).orElse(List.of());
            case FEATURE_VALUE -> operands.get(1).equals("role")
                    ? admin.roles().stream().map(r -> Completion.word(r.id(), r.description())).toList()
                    : List.of();
            case TAG -> qube(operands, 0).map(q -> q.tags().stream().sorted().map(t -> Completion.word(t, "tag")).toList()).orElse(List.of());
            case RULE -> rule(current);
            case VOLUME -> volumes(current);
            case NEW_NAME, FREE -> List.of();
        };
    }

    private Optional<Qube> qube(List<String> operands, int index) {
        return operands.size() > index ? admin.find(operands.get(index)) : Optional.empty();
    }

    private List<Completion> qubes(java.util.function.Predicate<Qube> which) {
        return admin.list().stream().filter(which)
                .map(q -> Completion.word(q.name(), q.klass() + ", " + q.state().name().toLowerCase(Locale.ROOT))).toList();
    }

    private List<Completion> featureKeys(Qube q) {
        Set<String> keys = new TreeSet<>(q.features().keySet());
        keys.add("role");
        return keys.stream().map(k -> Completion.word(k, q.features().containsKey(k) ? "= " + q.features().get(k) : "feature")).toList();
    }

    private List<Completion> propertyValues(String property) {
        QubeProperty p;
        try {
            p = QubeProperty.parse(property);
        } catch (RuntimeException unknown) {
            return List.of();
        }
        PropertyType type = p.type();
        return switch (type) {
            case LABEL -> java.util.Arrays.stream(Label.values()).map(l -> Completion.word(l.toString(), "label")).toList();
            case BOOL -> List.of(Completion.word("True", ""), Completion.word("False", ""));
            case QUBE -> p == QubeProperty.TEMPLATE ? qubes(q -> q.klass() == QubeClass.TemplateVM)
                    : p == QubeProperty.NETVM ? qubes(q -> "True".equals(q.value(QubeProperty.PROVIDES_NETWORK)))
                    : qubes(q -> true);
            default -> List.of();
        };
    }

    private List<Completion> rule(String current) {
        int eq = current.indexOf('=');
        if (eq > 0) {
            String key = current.substring(0, eq + 1);
            return RULE_VALUES.getOrDefault(key, List.of()).stream().map(v -> Completion.word(key + v, RULE_KEYS.get(key))).toList();
        }
        List<Completion> keys = new ArrayList<>();
        RULE_KEYS.forEach((key, meaning) -> keys.add(Completion.prefix(key, meaning)));
        return keys;
    }

    private List<Completion> volumes(String current) {
        int colon = current.indexOf(':');
        if (colon < 0) {
            return admin.list().stream().map(q -> Completion.prefix(q.name() + ":", q.klass().toString())).toList();
        }
        String name = current.substring(0, colon);
        if (admin.find(name).isEmpty()) {
            return List.of();
        }
        return admin.volumes(name).stream().map(v -> Completion.word(name + ":" + v.name(), "volume")).toList();
    }

    /** Values of an option, by the name its usage gives them. */
    private List<Completion> optionValues(String valueName) {
        return switch (valueName) {
            case "LABEL" -> java.util.Arrays.stream(Label.values()).map(l -> Completion.word(l.toString(), "label")).toList();
            case "CLASS" -> java.util.Arrays.stream(QubeClass.values()).map(c -> Completion.word(c.name(), "class")).toList();
            case "TEMPLATE" -> qubes(q -> q.klass() == QubeClass.TemplateVM);
            case "TAG" -> admin.list().stream().flatMap(q -> q.tags().stream()).distinct().sorted().map(t -> Completion.word(t, "tag")).toList();
            case "COLUMNS" -> QvmLsCommand.columnNames().stream().map(c -> Completion.word(c, "column")).toList();
            case "FORMAT" -> QvmLsCommand.formatNames().stream().map(f -> Completion.word(f, "format")).toList();
            case "PROPERTY" -> java.util.Arrays.stream(QubeProperty.values()).filter(p -> !p.readOnly())
                    .map(p -> Completion.prefix(p.id() + "=", p.description())).toList();
            default -> List.of();
        };
    }
}
