package dev.bulkhead.core.internal;

import java.util.ArrayList;
import java.util.EnumSet;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

import dev.bulkhead.api.InvalidValueException;
import dev.bulkhead.api.Label;
import dev.bulkhead.api.PropertyDefault;
import dev.bulkhead.api.PropertyType;
import dev.bulkhead.api.PropertyValue;
import dev.bulkhead.api.QubeAdmin;
import dev.bulkhead.api.QubeClass;
import dev.bulkhead.api.QubeProperty;

/**
 * The model's side of the property declarations in {@link QubeProperty}: it applies them to a qube
 * (whether it has the property, whether another qube it names exists, which default applies and
 * where it comes from), and checks the invariants across qubes that the whole model must keep.
 */
final class PropertyRules {
    static final String DEFAULT_NETVM = "default_netvm";
    static final String DEFAULT_TEMPLATE = "default_template";
    static final String DEFAULT_DISPVM = "default_dispvm";
    static final List<String> GLOBAL = List.of(DEFAULT_NETVM, DEFAULT_TEMPLATE, DEFAULT_DISPVM);

    /** Properties only the platform sets. */
    static final Set<QubeProperty> READ_ONLY = EnumSet.copyOf(
            java.util.Arrays.stream(QubeProperty.values()).filter(QubeProperty::readOnly).toList());

    private PropertyRules() {
    }

    /** Whether a qube of this class has the property at all. */
    static boolean applies(QubeClass klass, QubeProperty p) {
        return p.appliesTo(klass);
    }

    /** Parses a value given as text into its canonical text form; throws naming the value. */
    static String parse(Model model, QubeRecord qube, QubeProperty p, String text) {
        if (p.readOnly()) {
            throw new InvalidValueException("property", p.id(), "'" + p.id() + "' is read-only");
        }
        if (!p.appliesTo(qube.klass)) {
            throw new InvalidValueException("property", p.id(), qube.klass + " '" + qube.name + "' has no " + p.id());
        }
        String value = p.parseValue(text);
        return p.type() == PropertyType.QUBE ? requireQube(model, p.id(), text, value) : value;
    }

    static String parseBool(String subject, String text) {
        return QubeProperty.parseBool(subject, text);
    }

    /** A reference to another qube: its name, or empty / {@code none} for none. */
    static String parseQubeRef(Model model, String subject, String text) {
        String t = text.trim();
        return requireQube(model, subject, text, t.equals("none") ? "" : t);
    }

    private static String requireQube(Model model, String subject, String text, String name) {
        if (!name.isEmpty() && !model.qubes.containsKey(name)) {
            throw new InvalidValueException(subject, text, "no qube of that name exists; give an existing qube or none");
        }
        return name;
    }

    /** The effective value of a property and, for a default, where it comes from, as its declaration says. */
    static PropertyValue effective(Model model, QubeRecord q, QubeProperty p) {
        PropertyDefault d = p.defaultValue();
        if (d.kind() == PropertyDefault.Kind.PLATFORM) {
            return PropertyValue.set(switch (p) {
                case QID -> Integer.toString(q.qid);
                case KLASS -> q.klass.name();
                default -> q.name;
            });
        }
        String own = q.own(p.id());
        if (own != null) {
            return PropertyValue.set(own);
        }
        return switch (d.kind()) {
            case FROM_TEMPLATE -> inherited(model, q, p, d.value());
            case FROM_GLOBAL -> PropertyValue.byDefault(model.global.getOrDefault(d.value(), ""), "global " + d.value());
            case NETVM -> defaultNetvm(model, q, d.value());
            default -> PropertyValue.byDefault(d.value(), d.value().isEmpty() ? "none given" : "class default");
        };
    }

    /** AppVMs and DispVMs take memory, vcpus and kernel options from their template, as in Qubes. */
    private static PropertyValue inherited(Model model, QubeRecord q, QubeProperty p, String classDefault) {
        String template = q.own(QubeProperty.TEMPLATE.id());
        if (template != null && !template.isEmpty()) {
            QubeRecord t = model.qubes.get(template);
            if (t != null && t != q) {
                return PropertyValue.byDefault(effective(model, t, p).value(), "template " + template);
            }
        }
        return PropertyValue.byDefault(classDefault, "class default");
    }

    private static PropertyValue defaultNetvm(Model model, QubeRecord q, String globalName) {
        if (q.klass == QubeClass.TemplateVM) {
            return PropertyValue.byDefault("", "templates have no network by default");
        }
        if (q.klass == QubeClass.DispVM) {
            String template = q.own(QubeProperty.TEMPLATE.id());
            QubeRecord t = template == null ? null : model.qubes.get(template);
            if (t != null) {
                return PropertyValue.byDefault(effective(model, t, QubeProperty.NETVM).value(), "template " + template);
            }
        }
        if ("True".equals(q.own(QubeProperty.PROVIDES_NETWORK.id()))) {
            // a netvm's own uplink is set explicitly, never taken from default_netvm (which may be itself)
            return PropertyValue.byDefault("", "it provides network");
        }
        String global = model.global.getOrDefault(globalName, "");
        return PropertyValue.byDefault(global, "global " + globalName);
    }

    static Map<String, PropertyValue> effectiveAll(Model model, QubeRecord q) {
        Map<String, PropertyValue> all = new LinkedHashMap<>();
        for (QubeProperty p : QubeProperty.values()) {
            if (applies(q.klass, p)) {
                all.put(p.id(), effective(model, q, p));
            }
        }
        return all;
    }

    static String netvm(Model model, QubeRecord q) {
        return applies(q.klass, QubeProperty.NETVM) ? effective(model, q, QubeProperty.NETVM).value() : "";
    }

    static boolean providesNetwork(Model model, QubeRecord q) {
        return applies(q.klass, QubeProperty.PROVIDES_NETWORK)
                && "True".equals(effective(model, q, QubeProperty.PROVIDES_NETWORK).value());
    }

    /** The qubes whose effective netvm is {@code netvm}. */
    static List<String> clientsOf(Model model, String netvm) {
        List<String> clients = new ArrayList<>();
        for (QubeRecord q : model.qubes.values()) {
            if (netvm.equals(netvm(model, q))) {
                clients.add(q.name);
            }
        }
        return clients;
    }

    /**
     * Checks every invariant of the whole model. A change is applied to a copy and then checked
     * with this, so any rule it breaks is found wherever the change came from.
     */
    static void validate(Model model) {
        for (QubeRecord q : model.qubes.values()) {
            validateQube(model, q);
        }
        validateGlobal(model);
    }

    private static void validateQube(Model model, QubeRecord q) {
        if (q.klass == QubeClass.AdminVM) {
            return;
        }
        int memory = Integer.parseInt(effective(model, q, QubeProperty.MEMORY).value());
        int maxmem = Integer.parseInt(effective(model, q, QubeProperty.MAXMEM).value());
        if (maxmem < memory) {
            throw new InvalidValueException("maxmem", Integer.toString(maxmem),
                    "'" + q.name + "' needs maxmem of at least its memory (" + memory + ")");
        }
        String netvm = netvm(model, q);
        if (!netvm.isEmpty()) {
            QubeRecord target = model.qubes.get(netvm);
            if (target == null) {
                throw new InvalidValueException("netvm", netvm, "'" + q.name + "' refers to a qube that does not exist");
            }
            if (!providesNetwork(model, target)) {
                throw new InvalidValueException("netvm", netvm,
                        "'" + netvm + "' does not have provides_network=True, so '" + q.name + "' cannot use it");
            }
            Set<String> seen = new LinkedHashSet<>();
            seen.add(q.name);
            for (String hop = netvm; !hop.isEmpty(); hop = netvm(model, model.qubes.get(hop))) {
                if (!seen.add(hop)) {
                    throw new InvalidValueException("netvm", netvm,
                            "it would make a loop: " + String.join(" -> ", seen) + " -> " + hop);
                }
            }
        }
        if (q.klass == QubeClass.AppVM) {
            String template = effective(model, q, QubeProperty.TEMPLATE).value();
            QubeRecord t = model.qubes.get(template);
            if (t == null || t.klass != QubeClass.TemplateVM) {
                throw new InvalidValueException("template", template,
                        "the AppVM '" + q.name + "' needs a TemplateVM as its template");
            }
        }
        if (q.klass == QubeClass.DispVM) {
            String template = effective(model, q, QubeProperty.TEMPLATE).value();
            QubeRecord t = model.qubes.get(template);
            if (t == null || !isDispvmTemplate(model, t)) {
                throw new InvalidValueException("template", template,
                        "the DispVM '" + q.name + "' needs an AppVM with template_for_dispvms=True as its template");
            }
        }
        if (PropertyRules.applies(q.klass, QubeProperty.DEFAULT_DISPVM)) {
            String d = effective(model, q, QubeProperty.DEFAULT_DISPVM).value();
            if (!d.isEmpty() && (model.qubes.get(d) == null || !isDispvmTemplate(model, model.qubes.get(d)))) {
                throw new InvalidValueException("default_dispvm", d,
                        "an AppVM with template_for_dispvms=True, or none");
            }
        }
    }

    static boolean isDispvmTemplate(Model model, QubeRecord q) {
        return q.klass == QubeClass.AppVM
                && "True".equals(effective(model, q, QubeProperty.TEMPLATE_FOR_DISPVMS).value());
    }

    private static void validateGlobal(Model model) {
        String netvm = model.global.getOrDefault(DEFAULT_NETVM, "");
        if (!netvm.isEmpty() && (!model.qubes.containsKey(netvm) || !providesNetwork(model, model.qubes.get(netvm)))) {
            throw new InvalidValueException(DEFAULT_NETVM, netvm, "a qube with provides_network=True, or none");
        }
        String template = model.global.getOrDefault(DEFAULT_TEMPLATE, "");
        if (!template.isEmpty()
                && (!model.qubes.containsKey(template) || model.qubes.get(template).klass != QubeClass.TemplateVM)) {
            throw new InvalidValueException(DEFAULT_TEMPLATE, template, "a TemplateVM, or none");
        }
        String dispvm = model.global.getOrDefault(DEFAULT_DISPVM, "");
        if (!dispvm.isEmpty() && (!model.qubes.containsKey(dispvm) || !isDispvmTemplate(model, model.qubes.get(dispvm)))) {
            throw new InvalidValueException(DEFAULT_DISPVM, dispvm, "an AppVM with template_for_dispvms=True, or none");
        }
    }

    /** The record of dom0, which is never stored. */
    static QubeRecord dom0() {
        return new QubeRecord(QubeAdmin.DOM0, 0, QubeClass.AdminVM, Map.of(QubeProperty.LABEL.id(), Label.BLACK.id()),
                Map.of(), List.of());
    }
}
