package dev.bulkhead.role.firewall.internal;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.SortedMap;
import java.util.TreeMap;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * What a FirewallVM's filter holds after the rulesets it accepted, for tests whose qube answers with
 * canned output: it follows the whole filters of {@link FirewallRuleset#render} and the changes of
 * {@link FirewallRuleset#update}, in the shapes those write, and shows the result as the whole filter
 * that would hold the same. {@link FirewallRulesetKernelTest} has the kernel check that a change
 * and the whole filter come to the same.
 */
final class LoadedFilter {
    private static final Pattern CHAIN = Pattern.compile("  chain client-(\\d+) \\{\n((?:    .*\n)*?)  }\n");
    private static final Pattern MAPPING = Pattern.compile("(\"[^\"]+\" \\. [0-9.]+) : jump client-(\\d+)");
    private static final Pattern COMMAND = Pattern.compile("(flush|delete) chain inet bulkhead client-(\\d+)");

    private record Chain(String key, String client, List<String> statements) {
    }

    private final SortedMap<Integer, Chain> chains = new TreeMap<>();
    private final List<String> loads = new ArrayList<>();

    /** Takes a ruleset the kernel accepted. */
    synchronized void accept(String ruleset) {
        loads.add(ruleset);
        boolean whole = ruleset.startsWith("table inet bulkhead {}\ndelete table inet bulkhead\n");
        if (whole) {
            chains.clear();
        }
        Map<Integer, String> keys = new TreeMap<>();
        Matcher mapping = MAPPING.matcher(ruleset);
        while (mapping.find()) {
            keys.put(Integer.parseInt(mapping.group(2)), mapping.group(1));
        }
        Matcher command = COMMAND.matcher(ruleset);
        while (command.find()) {
            int qid = Integer.parseInt(command.group(2));
            if (command.group(1).equals("delete")) {
                chains.remove(qid);
            } else {
                Chain c = chains.get(qid);
                chains.put(qid, new Chain(c.key(), c.client(), new ArrayList<>()));
            }
        }
        Matcher chain = CHAIN.matcher(ruleset);
        while (chain.find()) {
            int qid = Integer.parseInt(chain.group(1));
            List<String> lines = chain.group(2).lines().map(String::strip).toList();
            if (lines.isEmpty() || !lines.get(0).startsWith("comment \"")) {
                chains.get(qid).statements().addAll(lines);
            } else {
                String client = lines.get(0).substring("comment \"".length(), lines.get(0).length() - 1);
                chains.put(qid, new Chain(keys.get(qid), client, new ArrayList<>(lines.subList(1, lines.size()))));
            }
        }
    }

    /** The whole filter that holds what this one does now. */
    synchronized String now() {
        SortedMap<Integer, FirewallRuleset.ClientChain> now = new TreeMap<>();
        chains.forEach((qid, c) -> now.put(qid, new FirewallRuleset.ClientChain(c.key(), c.client(), c.statements())));
        return FirewallRuleset.render(now);
    }

    /** The rulesets accepted, in order. */
    synchronized List<String> loads() {
        return List.copyOf(loads);
    }
}
