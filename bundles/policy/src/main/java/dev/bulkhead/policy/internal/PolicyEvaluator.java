package dev.bulkhead.policy.internal;

import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;

import dev.bulkhead.api.InvalidValueException;
import dev.bulkhead.api.QubeClass;
import dev.bulkhead.api.policy.PolicyAction;
import dev.bulkhead.api.policy.PolicyDecision;
import dev.bulkhead.api.policy.PolicyRequest;
import dev.bulkhead.policy.internal.SystemInfo.QubeFacts;
import dev.bulkhead.policy.internal.Token.Kind;

/**
 * Decides a request against rules, with qrexec's semantics ({@code qrexec/policy/parser.py}): the first rule whose
 * service, argument, source and target match decides; {@code allow} resolves its target ({@code target=} first, then
 * the one asked for; {@code @dispvm} to the caller's {@code default_dispvm}; {@code @adminvm} to {@code dom0}), and
 * {@code ask} lists what every rule for the same service, argument and source allows or asks for, minus what a later
 * {@code deny} takes away, minus the caller itself.
 */
final class PolicyEvaluator {
    private PolicyEvaluator() {
    }

    static PolicyDecision evaluate(List<Rule> rules, SystemInfo system, PolicyRequest request) {
        Request r = Request.of(request, system);
        if (r.refusal != null) {
            return deny(null, r.refusal, true);
        }
        for (Rule rule : rules) {
            if (matchesButTarget(rule, r, system) && matches(rule.target(), r.intended, r.source, system)) {
                return switch (rule.action()) {
                    case DENY -> deny(rule, "denied by policy " + where(rule), rule.notifyUser());
                    case ALLOW -> allow(rule, r, system);
                    case ASK -> ask(rules, rule, r, system);
                };
            }
        }
        return deny(null, "no matching rule found", true);
    }

    /** A request with its source and target read as qrexec reads them. */
    private record Request(String service, String argument, String source, Token intended, String refusal) {
        static Request of(PolicyRequest q, SystemInfo system) {
            String service = q.service();
            String bad = PolicyNames.invalidCharacters(service, false);
            if (service.isEmpty() || bad != null) {
                throw new InvalidValueException("service", PolicyNames.printable(service),
                        service.isEmpty() ? "a service name is required" : "it contains invalid characters: " + bad);
            }
            String argument = q.argument().isEmpty() ? "+" : q.argument();
            bad = PolicyNames.invalidCharacters(argument, true);
            if (bad != null || !argument.startsWith("+")) {
                throw new InvalidValueException("argument", PolicyNames.printable(argument),
                        bad != null ? "it contains invalid characters: " + bad : "it must start with +");
            }
            if (service.length() + argument.length() - 1 > PolicyNames.MAX_SERVICE_LENGTH) {
                throw new InvalidValueException("service", PolicyNames.printable(service + argument),
                        "at most " + PolicyNames.MAX_SERVICE_LENGTH + " characters with the argument");
            }
            if (!PolicyNames.isQubeName(q.source())) {
                throw new InvalidValueException("source", PolicyNames.printable(q.source()), "a qube name");
            }
            // as qrexec: a name that is no qube is read as @default, so that the answer does not tell whether it exists
            Token t;
            try {
                t = Token.parse(q.target().isEmpty() ? "@default" : q.target(), Token.Place.INTENDED);
            } catch (IllegalArgumentException e) {
                return new Request(service, argument, q.source(), Token.DEFAULT, e.getMessage());
            }
            if (t.kind() == Kind.NAME && !system.exists(t.value())) {
                t = Token.DEFAULT;
            }
            if (t.kind() == Kind.DISPVM_TEMPLATE && !isDispvmTemplate(t.value(), system)) {
                return new Request(service, argument, q.source(), t, "not a template for disposables: " + t.value());
            }
            return new Request(service, argument, q.source(), t, null);
        }
    }

    private static boolean matchesButTarget(Rule rule, Request r, SystemInfo system) {
        return (rule.service() == null || rule.service().equals(r.service))
                && (rule.argument() == null || rule.argument().equals(r.argument))
                && matchesSource(rule.source(), r.source, system);
    }

    private static boolean matchesSource(Token spec, String source, SystemInfo system) {
        boolean admin = isAdmin(source, system);
        QubeFacts q = system.get(source);
        return switch (spec.kind()) {
            case WILDCARD -> true;
            case ANYVM -> !admin;
            case ADMINVM -> admin;
            case TYPE -> q != null && q.klass().name().equals(spec.value());
            case TAG -> q != null && q.tags().contains(spec.value());
            case NAME -> spec.value().equals(source);
            // a caller is a qube, never a disposable template's token
            case DISPVM_TEMPLATE, DISPVM_TAG, DISPVM, DEFAULT -> false;
        };
    }

    private static boolean isAdmin(String name, SystemInfo system) {
        QubeFacts q = system.get(name);
        return "dom0".equals(name) || q != null && q.klass() == QubeClass.AdminVM;
    }

    /** Whether the target column {@code spec} matches the target asked for ({@code other}), for calls from {@code source}. */
    private static boolean matches(Token spec, Token other, String source, SystemInfo system) {
        return switch (spec.kind()) {
            case WILDCARD -> true;
            case ANYVM -> other.kind() != Kind.ADMINVM;
            case ADMINVM, DEFAULT, DISPVM -> other.kind() == spec.kind();
            case TYPE -> other.kind() == Kind.NAME && system.get(other.value()).klass().name().equals(spec.value());
            case TAG -> other.kind() == Kind.NAME && system.get(other.value()).tags().contains(spec.value());
            case NAME -> other.kind() == Kind.NAME && other.value().equals(spec.value());
            case DISPVM_TEMPLATE -> {
                Token t = other.kind() == Kind.DISPVM ? defaultDispvm(source, system) : other;
                yield t != null && t.kind() == Kind.DISPVM_TEMPLATE && t.value().equals(spec.value());
            }
            case DISPVM_TAG -> {
                Token t = other.kind() == Kind.DISPVM ? defaultDispvm(source, system) : other;
                yield t != null && t.kind() == Kind.DISPVM_TEMPLATE && isDispvmTemplate(t.value(), system)
                        && system.get(t.value()).tags().contains(spec.value());
            }
        };
    }

    /** {@code @dispvm:TEMPLATE} for the caller's {@code default_dispvm}, or null when it has none. */
    private static Token defaultDispvm(String source, SystemInfo system) {
        QubeFacts q = system.get(source);
        return q == null || q.defaultDispvm() == null ? null : new Token(Kind.DISPVM_TEMPLATE, q.defaultDispvm());
    }

    private static boolean isDispvmTemplate(String name, SystemInfo system) {
        QubeFacts q = system.get(name);
        return q != null && q.templateForDispvms();
    }

    private static PolicyDecision allow(Rule rule, Request r, SystemInfo system) {
        Token target = rule.redirect() != null ? rule.redirect() : r.intended;
        if (target.kind() == Kind.NAME && !system.exists(target.value())) {
            target = Token.DEFAULT;
        }
        if (target.kind() == Kind.DISPVM_TEMPLATE && !isDispvmTemplate(target.value(), system)) {
            return deny(rule, "policy defines 'allow' at " + where(rule) + " to " + target + ", which is not a template for disposables", true);
        }
        if (target.kind() == Kind.DEFAULT) {
            return deny(rule, "policy defines 'allow' at " + where(rule) + " but no target is specified by caller or policy", true);
        }
        if (target.kind() == Kind.DISPVM) {
            target = defaultDispvm(r.source, system);
            if (target == null) {
                return deny(rule, "policy defines 'allow' to @dispvm at " + where(rule) + " but no disposable template is set for "
                        + r.source, true);
            }
        }
        String resolved = target.kind() == Kind.ADMINVM ? "dom0" : target.toString();
        if (!rule.autostart() && !runsWithoutStart(resolved, system)) {
            return deny(rule, "target " + resolved + " is denied because it would require autostart (" + where(rule) + ")", rule.notifyUser());
        }
        if (resolved.equals(r.source)) {
            return deny(rule, "a qube cannot call a service in itself (" + where(rule) + ")", true);
        }
        return new PolicyDecision(PolicyAction.ALLOW, resolved, List.of(), null, rule.user(), rule.autostart(), rule.notifyUser(),
                rule.origin(), "allowed by policy " + where(rule));
    }

    private static PolicyDecision ask(List<Rule> rules, Rule rule, Request r, SystemInfo system) {
        Collection<String> targets;
        if (rule.redirect() != null) {
            targets = new TreeSet<>();
            expandKeywords(List.of(rule.redirect().toString()), r.source, system, targets);
        } else {
            targets = targetsForAsk(rules, r, system);
        }
        if (!rule.autostart()) {
            targets.removeIf(t -> !runsWithoutStart(t, system));
        }
        if (targets.isEmpty()) {
            return deny(rule, "policy defines 'ask' at " + where(rule) + " but no target is available to choose from", true);
        }
        String defaultTarget = null;
        if (rule.defaultTarget() != null) {
            Set<String> d = new TreeSet<>();
            expandKeywords(List.of(rule.defaultTarget().toString()), r.source, system, d);
            // a default the user could not choose is no default
            defaultTarget = d.size() == 1 && targets.contains(d.iterator().next()) ? d.iterator().next() : null;
        }
        return new PolicyDecision(PolicyAction.ASK, null, new ArrayList<>(targets), defaultTarget, rule.user(), rule.autostart(),
                rule.notifyUser(), rule.origin(), "ask the user, by policy " + where(rule));
    }

    /** qrexec's collect_targets_for_ask: every rule for this call, last first, adds or (deny) removes its targets. */
    private static TreeSet<String> targetsForAsk(List<Rule> rules, Request r, SystemInfo system) {
        Set<String> targets = new java.util.HashSet<>();
        for (int i = rules.size() - 1; i >= 0; i--) {
            Rule rule = rules.get(i);
            if (!matchesButTarget(rule, r, system)) {
                continue;
            }
            Token spec = rule.action() != PolicyAction.DENY && rule.redirect() != null ? rule.redirect() : rule.target();
            List<String> expansion = expand(spec, system);
            if (rule.action() == PolicyAction.DENY) {
                expansion.forEach(targets::remove);
            } else {
                targets.addAll(expansion);
            }
        }
        TreeSet<String> result = new TreeSet<>();
        expandKeywords(targets, r.source, system, result);
        result.remove(r.source);
        return result;
    }

    /** {@code @dispvm} to the caller's disposable template (or nothing), {@code @adminvm} to {@code dom0}. */
    private static void expandKeywords(Collection<String> targets, String source, SystemInfo system, Collection<String> into) {
        for (String t : targets) {
            if (t.equals("@dispvm")) {
                Token d = defaultDispvm(source, system);
                if (d != null && isDispvmTemplate(d.value(), system)) {
                    into.add(d.toString());
                }
            } else if (t.equals("@adminvm")) {
                into.add("dom0");
            } else if (t.startsWith("@dispvm:")) {
                if (isDispvmTemplate(t.substring("@dispvm:".length()), system)) {
                    into.add(t);
                }
            } else if (system.exists(t)) {
                into.add(t);
            }
        }
    }

    /** Every target a token could name now, as qrexec's {@code expand}. */
    private static List<String> expand(Token spec, SystemInfo system) {
        List<String> out = new ArrayList<>();
        switch (spec.kind()) {
            case WILDCARD, ANYVM -> {
                for (QubeFacts q : system.all()) {
                    if (spec.kind() == Kind.WILDCARD || q.klass() != QubeClass.AdminVM) {
                        out.add(q.klass() == QubeClass.AdminVM ? "@adminvm" : q.name());
                    }
                    if (q.templateForDispvms()) {
                        out.add("@dispvm:" + q.name());
                    }
                }
                out.add("@dispvm");
            }
            case ADMINVM -> out.add("@adminvm");
            case DISPVM -> out.add("@dispvm");
            case DEFAULT -> {
            }
            case TYPE, TAG -> system.all().stream()
                    .filter(q -> spec.kind() == Kind.TYPE ? q.klass().name().equals(spec.value()) : q.tags().contains(spec.value()))
                    .forEach(q -> out.add(q.klass() == QubeClass.AdminVM ? "@adminvm" : q.name()));
            case DISPVM_TEMPLATE -> {
                if (isDispvmTemplate(spec.value(), system)) {
                    out.add(spec.toString());
                }
            }
            case DISPVM_TAG -> system.all().stream().filter(q -> q.templateForDispvms() && q.tags().contains(spec.value()))
                    .forEach(q -> out.add("@dispvm:" + q.name()));
            case NAME -> {
                if (system.exists(spec.value())) {
                    out.add(system.get(spec.value()).klass() == QubeClass.AdminVM ? "@adminvm" : spec.value());
                }
            }
        }
        return out;
    }

    private static boolean runsWithoutStart(String target, SystemInfo system) {
        if (target.equals("dom0")) {
            return true;
        }
        if (target.startsWith("@dispvm")) {
            return false;
        }
        QubeFacts q = system.get(target);
        return q != null && q.running();
    }

    /**
     * A denial; {@code notify} is the rule's {@code notify=} for a deny rule and for a target that would need
     * autostart, and yes for every other failure, as qrexec's AccessDenied.
     */
    private static PolicyDecision deny(Rule rule, String reason, boolean notify) {
        return new PolicyDecision(PolicyAction.DENY, null, List.of(), null, null, false, notify, rule == null ? null : rule.origin(), reason);
    }

    private static String where(Rule rule) {
        return rule.origin().file() + ":" + rule.origin().line();
    }
}
