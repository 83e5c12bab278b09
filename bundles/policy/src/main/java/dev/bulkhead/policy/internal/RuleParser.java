package dev.bulkhead.policy.internal;

import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

import dev.bulkhead.api.policy.PolicyAction;
import dev.bulkhead.api.policy.PolicyRule;
import dev.bulkhead.api.policy.PolicySyntaxException;

/** Reads one rule line, as qrexec's {@code Rule}: each error names the file and line. */
final class RuleParser {
    private static final Map<PolicyAction, Set<String>> PARAMETERS = Map.of(
            PolicyAction.ALLOW, Set.of("target", "user", "notify", "autostart"),
            PolicyAction.ASK, Set.of("target", "default_target", "user", "notify", "autostart"),
            PolicyAction.DENY, Set.of("notify"));

    private RuleParser() {
    }

    /** A line of the current format: {@code SERVICE ARGUMENT SOURCE TARGET ACTION [PARAMS...]}. */
    static Rule parse(List<String> words, String file, int line) {
        if (words.size() < 5) {
            throw new PolicySyntaxException(file, line, "wrong number of fields: a rule is SERVICE +ARGUMENT SOURCE TARGET ACTION [PARAMS]");
        }
        return rule(words.get(0), words.get(1), words.get(2), words.get(3), words.get(4), words.subList(5, words.size()),
                String.join(" ", words), file, line);
    }

    /**
     * A line of a file that {@code !include-service} names, in the old format {@code SOURCE TARGET ACTION[,PARAMS]}
     * (with {@code $} for {@code @}), for the given service and argument.
     */
    static Rule parseService(String service, String argument, List<String> words, String file, int line) {
        if (words.size() < 3) {
            throw new PolicySyntaxException(file, line, "wrong number of fields: a line here is SOURCE TARGET ACTION[,PARAMS]");
        }
        return rule(service, argument, words.get(0), words.get(1), words.get(2), words.subList(3, words.size()),
                service + " " + argument + " " + String.join(" ", words), file, line);
    }

    /** Checks the service and argument columns (or those of {@code !include-service}). */
    static void checkServiceAndArgument(String service, String argument, String file, int line) {
        if (!service.equals("*")) {
            String bad = PolicyNames.invalidCharacters(service, false);
            if (bad != null) {
                throw new PolicySyntaxException(file, line, "service '" + PolicyNames.printable(service) + "' contains invalid characters: " + bad);
            }
            if (service.isEmpty() || service.length() > PolicyNames.MAX_SERVICE_LENGTH) {
                throw new PolicySyntaxException(file, line, "service '" + PolicyNames.printable(service) + "' must have 1 to "
                        + PolicyNames.MAX_SERVICE_LENGTH + " characters");
            }
        }
        if (!argument.equals("*")) {
            String bad = PolicyNames.invalidCharacters(argument, true);
            if (bad != null) {
                throw new PolicySyntaxException(file, line, "argument '" + PolicyNames.printable(argument) + "' contains invalid characters: " + bad);
            }
            if (!argument.startsWith("+")) {
                throw new PolicySyntaxException(file, line, "argument '" + PolicyNames.printable(argument) + "' does not start with +");
            }
            if (service.equals("*")) {
                throw new PolicySyntaxException(file, line, "only * argument allowed for * service");
            }
            if (service.length() + argument.length() > PolicyNames.MAX_SERVICE_LENGTH) {
                throw new PolicySyntaxException(file, line, "service and argument together exceed " + PolicyNames.MAX_SERVICE_LENGTH + " characters");
            }
        }
    }

    private static Rule rule(String service, String argument, String source, String target, String action, List<String> params,
            String text, String file, int line) {
        checkServiceAndArgument(service, argument, file, line);
        Token src = token(source, Token.Place.SOURCE, file, line);
        Token tgt = token(target, Token.Place.TARGET, file, line);
        PolicyAction act = switch (action) {
            case "allow" -> PolicyAction.ALLOW;
            case "deny" -> PolicyAction.DENY;
            case "ask" -> PolicyAction.ASK;
            default -> throw new PolicySyntaxException(file, line, "invalid action: '" + PolicyNames.printable(action) + "' (allow, deny or ask)");
        };
        Map<String, String> kw = new HashMap<>();
        for (String param : params) {
            int eq = param.indexOf('=');
            if (eq < 0) {
                throw new PolicySyntaxException(file, line, "invalid action parameter syntax: '" + PolicyNames.printable(param) + "' (KEY=VALUE)");
            }
            String key = param.substring(0, eq);
            if (kw.put(key, param.substring(eq + 1)) != null) {
                throw new PolicySyntaxException(file, line, "parameter given twice: '" + PolicyNames.printable(key) + "'");
            }
            if (!PARAMETERS.get(act).contains(key)) {
                throw new PolicySyntaxException(file, line, "invalid parameter '" + PolicyNames.printable(key) + "' for action " + action
                        + " (it takes " + String.join(", ", PARAMETERS.get(act).stream().sorted().toList()) + ")");
            }
        }
        Token redirect = kw.containsKey("target") ? token(kw.get("target"), Token.Place.REDIRECT, file, line) : null;
        Token defaultTarget = kw.containsKey("default_target") ? token(kw.get("default_target"), Token.Place.REDIRECT, file, line) : null;
        String user = kw.get("user");
        if (user != null && !PolicyNames.isQubeName(user)) {
            throw new PolicySyntaxException(file, line, "invalid user '" + PolicyNames.printable(user) + "': a user name of letters, digits, '_', '.', '-'");
        }
        boolean notify = yesNo(kw, "notify", act == PolicyAction.DENY, file, line);
        boolean autostart = yesNo(kw, "autostart", true, file, line);
        if (tgt.kind() == Token.Kind.DEFAULT && act == PolicyAction.ALLOW && redirect == null) {
            throw new PolicySyntaxException(file, line, "allow action for @default rule must specify target= option");
        }
        return new Rule(service.equals("*") ? null : service, argument.equals("*") ? null : argument, src, tgt, act, redirect,
                defaultTarget, user, notify, autostart, new PolicyRule(file, line, text));
    }

    private static boolean yesNo(Map<String, String> kw, String key, boolean absent, String file, int line) {
        String v = kw.get(key);
        if (v == null) {
            return absent;
        }
        return switch (v) {
            case "yes" -> true;
            case "no" -> false;
            default -> throw new PolicySyntaxException(file, line, "'" + key + "' is '" + PolicyNames.printable(v) + "', but can be only 'yes' or 'no'");
        };
    }

    private static Token token(String word, Token.Place place, String file, int line) {
        try {
            return Token.parse(word, place);
        } catch (IllegalArgumentException e) {
            throw new PolicySyntaxException(file, line, e.getMessage());
        }
    }
}
