package dev.bulkhead.core.internal;

import java.lang.System.Logger.Level;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.function.UnaryOperator;
import java.util.regex.Pattern;

import dev.bulkhead.api.AdminException;
import dev.bulkhead.api.InvalidStateException;
import dev.bulkhead.api.InvalidValueException;
import dev.bulkhead.api.QubeAdmin;
import dev.bulkhead.api.QubeEvent;
import dev.bulkhead.api.QubeProperty;
import dev.bulkhead.api.firewall.FirewallRule;

/**
 * Where a qube's settings change: properties, features, tags, global properties and firewall
 * rules, each checked against the running state, saved, and put in force on the running qubes;
 * a change the network refuses is undone.
 */
final class QubeConfiguration {
    private static final Pattern TAG = Pattern.compile("[a-zA-Z0-9_-]{1,64}");

    private final QubeRegistry registry;
    private final RuntimeState state;
    private final NetworkLinks links;
    private final EventDispatcher events;
    private final PreEventHandlers preEvents;

    /** A running qube's netvm changed: its own netvm value before and after, {@code null} for the default. */
    private record NetvmMove(String ownBefore, String ownNow) {
    }

    /** The rules a firewall edit replaced and those it saved. */
    private record FirewallEdit(List<FirewallRule> before, List<FirewallRule> after) {
    }

    QubeConfiguration(QubeRegistry registry, RuntimeState state, NetworkLinks links, EventDispatcher events, PreEventHandlers preEvents) {
        this.registry = registry;
        this.state = state;
        this.links = links;
        this.events = events;
        this.preEvents = preEvents;
    }

    void setProperty(String name, String property, String value) {
        QubeProperty p = QubeProperty.parse(property);
        NetvmMove move = registry.changeYielding(m -> {
            QubeRecord q = QubeRegistry.requireNotDom0(m, name, "properties cannot be changed");
            String v = PropertyRules.parse(m, q, p, value);
            checkChange(m, q, p, v);
            String old = PropertyRules.effective(m, q, p).value();
            preEvents.check(QubeEvent.PROPERTY_PRE_SET + p.id(), name, Map.of("newvalue", v, "oldvalue", old));
            String ownBefore = q.properties.put(p.id(), v);
            boolean moved = p == QubeProperty.NETVM && state.isActive(name) && !old.equals(v);
            return new QubeRegistry.Saved<>(moved ? new NetvmMove(ownBefore, v) : null,
                    () -> events.fire(QubeEvent.PROPERTY_SET + p.id(), name, Map.of("newvalue", v, "oldvalue", old)));
        });
        if (move != null) {
            relinkOrRestore(name, move);
        }
    }

    void resetProperty(String name, String property) {
        QubeProperty p = QubeProperty.parse(property);
        NetvmMove move = registry.changeYielding(m -> {
            QubeRecord q = QubeRegistry.requireNotDom0(m, name, "properties cannot be changed");
            if (PropertyRules.READ_ONLY.contains(p) || !PropertyRules.applies(q.klass, p)) {
                throw new InvalidValueException("property", p.id(), "'" + p.id() + "' cannot be reset on " + q.klass + " '" + name + "'");
            }
            if (!p.defaultValue().resettable()) {
                throw new InvalidValueException("property", p.id(), "a qube always has a " + p.id() + " of its own");
            }
            String old = PropertyRules.effective(m, q, p).value();
            String ownBefore = q.properties.remove(p.id());
            String now = PropertyRules.effective(m, q, p).value();
            checkChange(m, q, p, now);
            preEvents.check(QubeEvent.PROPERTY_PRE_RESET + p.id(), name, Map.of("newvalue", now, "oldvalue", old));
            boolean moved = p == QubeProperty.NETVM && state.isActive(name) && !old.equals(now);
            return new QubeRegistry.Saved<>(moved ? new NetvmMove(ownBefore, null) : null,
                    () -> events.fire(QubeEvent.PROPERTY_RESET + p.id(), name, Map.of("newvalue", now, "oldvalue", old)));
        });
        if (move != null) {
            relinkOrRestore(name, move);
        }
    }

    /**
     * Moves a running qube to the netvm it was just given; should that fail (the netvm's role
     * refuses it, say), its previous netvm setting and link come back.
     */
    private void relinkOrRestore(String name, NetvmMove move) {
        String id = QubeProperty.NETVM.id();
        String ownBefore = move.ownBefore();
        try {
            links.relink(name);
        } catch (RuntimeException e) {
            throw Rollback.refusal("cannot move '" + name + "' to its new netvm", e,
                    () -> registry.restore(name, q -> Objects.equals(q.properties.get(id), move.ownNow()), q -> {
                        if (ownBefore == null) {
                            q.properties.remove(id);
                        } else {
                            q.properties.put(id, ownBefore);
                        }
                    }, () -> events.fire(ownBefore == null ? QubeEvent.PROPERTY_RESET + id : QubeEvent.PROPERTY_SET + id, name,
                            Map.of("newvalue", ownBefore == null ? "" : ownBefore, "reason", "new netvm refused"))),
                    () -> links.relink(name), "it is back on its previous netvm");
        }
    }

    /** Rules that depend on the running state, checked before the whole model is validated. */
    private void checkChange(Model m, QubeRecord q, QubeProperty p, String v) {
        if (!p.changesWhileRunning() && state.isActive(q.name)) {
            throw new InvalidStateException("the " + p.id() + " of '" + q.name + "' can change only while it is halted");
        }
        if (p == QubeProperty.PROVIDES_NETWORK && "False".equals(v)) {
            List<String> clients = PropertyRules.clientsOf(m, q.name);
            if (!clients.isEmpty()) {
                throw new InvalidStateException("cannot turn off provides_network of '" + q.name
                        + "': it is the netvm of " + String.join(", ", clients));
            }
        }
        if (p == QubeProperty.NETVM) {
            state.requireNotStarting(q.name, "moved to another netvm");
        }
        if (p == QubeProperty.NETVM && state.isActive(q.name) && !v.isEmpty()) {
            state.abilities().links("cannot give running '" + q.name + "' netvm '" + v + "'");
        }
        if (p == QubeProperty.NETVM && state.isActive(q.name) && !v.isEmpty() && !state.isActive(v)) {
            throw new InvalidStateException("'" + q.name + "' is running, so its new netvm '" + v + "' must be running too");
        }
    }

    void setFeature(String name, String key, String value) {
        FeatureRules.checkSet(key, value);
        registry.change(m -> {
            QubeRecord q = QubeRegistry.require(m, name);
            checkRoleChange(q, key);
            String old = q.features.get(key);
            preEvents.check(QubeEvent.FEATURE_PRE_SET + key, name, old == null ? Map.of("value", value) : Map.of("value", value, "oldvalue", old));
            q.features.put(key, value);
            return () -> events.fire(QubeEvent.FEATURE_SET + key, name, Map.of("value", value));
        });
    }

    void removeFeature(String name, String key) {
        FeatureRules.checkRemove(key);
        registry.change(m -> {
            QubeRecord q = QubeRegistry.require(m, name);
            if (!q.features.containsKey(key)) {
                throw new InvalidValueException("feature", key, "'" + name + "' has no such feature");
            }
            checkRoleChange(q, key);
            preEvents.check(QubeEvent.FEATURE_PRE_DELETE + key, name, Map.of("oldvalue", q.features.get(key)));
            q.features.remove(key);
            return () -> events.fire(QubeEvent.FEATURE_DELETE + key, name);
        });
    }

    private void checkRoleChange(QubeRecord q, String key) {
        FeatureRules.checkRunning(q.name, key, state.isActive(q.name));
    }

    void addTag(String name, String tag) {
        if (tag == null || !TAG.matcher(tag).matches()) {
            throw new InvalidValueException("tag", String.valueOf(tag), "1 to 64 letters, digits, '_' or '-'");
        }
        registry.change(m -> {
            QubeRegistry.require(m, name).tags.add(tag);
            return () -> events.fire(QubeEvent.TAG_ADD + tag, name);
        });
    }

    void removeTag(String name, String tag) {
        registry.change(m -> {
            if (!QubeRegistry.require(m, name).tags.remove(tag)) {
                throw new InvalidValueException("tag", tag, "'" + name + "' has no such tag");
            }
            return () -> events.fire(QubeEvent.TAG_DELETE + tag, name);
        });
    }

    void setGlobalProperty(String property, String value) {
        if (!PropertyRules.GLOBAL.contains(property)) {
            throw new InvalidValueException("global property", property, "one of " + String.join(", ", PropertyRules.GLOBAL));
        }
        registry.change(m -> {
            String v = PropertyRules.parseQubeRef(m, property, value == null ? "" : value);
            m.global.put(property, v);
            return () -> events.fire(QubeEvent.GLOBAL_PROPERTY_SET + property, QubeAdmin.DOM0, Map.of("newvalue", v));
        });
    }

    List<FirewallRule> firewallRules(String name) {
        Instant now = Instant.now();
        return QubeRegistry.require(registry.model(), name).firewallRules().stream().filter(r -> !r.isExpired(now)).toList();
    }

    void setFirewallRules(String name, List<FirewallRule> rules) {
        checkRules(rules);
        List<FirewallRule> given = List.copyOf(rules);
        editFirewallRules(name, current -> given);
    }

    private static void checkRules(List<FirewallRule> rules) {
        if (rules == null || rules.stream().anyMatch(Objects::isNull)) {
            throw new InvalidValueException("firewall", String.valueOf(rules), "a list of rules");
        }
    }

    void editFirewallRules(String name, UnaryOperator<List<FirewallRule>> edit) {
        FirewallEdit done = registry.changeYielding(m -> {
            // read and written under the model's lock: no other change of these rules comes between
            QubeRecord q = QubeRegistry.requireNotDom0(m, name, "has no firewall");
            Instant now = Instant.now();
            List<FirewallRule> current = q.firewallRules().stream().filter(r -> !r.isExpired(now)).toList();
            List<FirewallRule> rules = edit.apply(current);
            checkRules(rules);
            FirewallEdit saved = new FirewallEdit(q.firewall, List.copyOf(rules));
            q.firewall = saved.after();
            return new QubeRegistry.Saved<>(saved,
                    () -> events.fire(QubeEvent.FIREWALL_CHANGED, name, Map.of("rules", Integer.toString(rules.size()))));
        });
        try {
            links.clientChanged(name);
        } catch (RuntimeException e) {
            throw Rollback.refusal("cannot put the firewall rules of '" + name + "' in force", e,
                    () -> registry.restore(name, q -> done.after().equals(q.firewall), q -> q.firewall = done.before(),
                            () -> events.fire(QubeEvent.FIREWALL_CHANGED, name, Map.of("reason", "new rules refused"))),
                    () -> links.clientChanged(name), "its previous rules are back");
        }
    }

    /** Expired rules leave the stored list, and the netvm of their qube hears of it. */
    void pruneExpiredRules() {
        Instant now = Instant.now();
        List<String> changed = registry.model().qubes.values().stream()
                .filter(q -> q.firewall != null && q.firewall.stream().anyMatch(r -> r.isExpired(now)))
                .map(q -> q.name).toList();
        for (String name : changed) {
            try {
                registry.change(m -> {
                    QubeRecord q = m.qubes.get(name);
                    if (q != null && q.firewall != null) {
                        q.firewall = q.firewall.stream().filter(r -> !r.isExpired(now)).toList();
                    }
                    return () -> events.fire(QubeEvent.FIREWALL_CHANGED, name, Map.of("reason", "expired rules removed"));
                });
                links.clientChanged(name);
            } catch (AdminException e) {
                QubeAdminService.LOG.log(Level.WARNING, "cannot remove expired firewall rules of " + name + ": " + e.getMessage());
            }
        }
    }
}
