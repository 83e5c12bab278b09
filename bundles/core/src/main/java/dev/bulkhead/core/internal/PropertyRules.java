package dev.bulkhead.core.internal;

import java.util.ArrayList;
import java.util.EnumSet;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;

import dev.bulkhead.api.InvalidValueException;
import dev.bulkhead.api.Label;
import dev.bulkhead.api.PropertyValue;
import dev.bulkhead.api.QubeAdmin;
import dev.bulkhead.api.QubeClass;
import dev.bulkhead.api.QubeProperty;

/**
 * Qubes' property rules: which class has which property, how a text value is parsed, what the
 * default is and where it comes from, and the invariants the whole model must keep.
 */
final class PropertyRules {
    static final int DEFAULT_MEMORY = 400;
    static final int DEFAULT_MAXMEM = 4000;
    static final int DEFAULT_VCPUS = 2;
    static final int MAX_MEMORY = 1 << 20;
    static final int MAX_VCPUS = 256;
    static final int MAX_KERNELOPTS = 1024;

    static final String DEFAULT_NETVM = "default_netvm";
    static final String DEFAULT_TEMPLATE = "default_template";
    static final String DEFAULT_DISPVM = "default_dispvm";
    static final List<String> GLOBAL = List.of(DEFAULT_NETVM, DEFAULT_TEMPLATE, DEFAULT_DISPVM);

    /** Properties only the platform sets. */
    static final Set<QubeProperty> READ_ONLY = EnumSet.of(QubeProperty.NAME, QubeProperty.QID, QubeProperty.KLASS);

    private PropertyRules() {
    }

    /** Whether a qube of this class has the property at all. */
    static boolean applies(QubeClass klass, QubeProperty p) {
        switch (p) {
            case NAME, QID, KLASS, LABEL:
                return true;
            case TEMPLATE:
                return klass == QubeClass.AppVM || klass == QubeClass.DispVM;
            case AUTO_CLEANUP:
                return klass == QubeClass.DispVM;
            default:
                return klass != QubeClass.AdminVM;
        }
    }

    /** Parses a value given as text into its canonical text form; throws naming the value. */
    static String parse(Model model, QubeRecord qube, QubeProperty p, String text) {
        if (READ_ONLY.contains(p)) {
            throw new InvalidValueException("property", p.id(), "'" + p.id() + "' is read-only");
        }
        if (!applies(qube.klass, p)) {
            throw new InvalidValueException("property", p.id(), qube.klass + " '" + qube.name + "' has no " + p.id());
        }
        if (text == null) {
            throw new InvalidValueException(p.id(), "null", "a value is required");
        }
        switch (p.type()) {
            case INT:
                return Integer.toString(parseInt(p, text));
            case BOOL:
                return parseBool(p.id(), text);
            case LABEL:
                return Label.parse(text).id();
            case QUBE:
                return parseQubeRef(model, p.id(), text);
            default:
                return parseString(p, text);
        }
    }

    private static int parseInt(QubeProperty p, String text) {
        int max = p == QubeProperty.VCPUS ? MAX_VCPUS : MAX_MEMORY;
        String accepted = "a whole number from 1 to " + max;
        int v;
        try {
            v = Integer.parseInt(text.trim());
        } catch (NumberFormatException e) {
            throw new InvalidValueException(p.id(), text, accepted);
        }
        if (v < 1 || v > max) {
            throw new InvalidValueException(p.id(), text, accepted);
        }
        return v;
    }

    static String parseBool(String subject, String text) {
        switch (text.trim().toLowerCase(Locale.ROOT)) {
            case "true", "1", "yes", "on":
                return "True";
            case "false", "0", "no", "off":
                return "False";
            default:
                throw new InvalidValueException(subject, text, "True or False");
        }
    }

    /** A reference to another qube: its name, or empty / {@code none} for none. */
    static String parseQubeRef(Model model, String subject, String text) {
        String t = text.trim();
        if (t.isEmpty() || t.equals("none")) {
            return "";
        }
        if (!model.qubes.containsKey(t)) {
            throw new InvalidValueException(subject, text, "no qube of that name exists; give an existing qube or none");
        }
        return t;
    }

    private static String parseString(QubeProperty p, String text) {
        if (text.length() > MAX_KERNELOPTS) {
            throw new InvalidValueException(p.id(), text.substring(0, 32) + "...", "at most " + MAX_KERNELOPTS + " characters");
        }
        for (int i = 0; i < text.length(); i++) {
            char c = text.charAt(i);
            if (c < 0x20 || c == 0x7f) {
                throw new InvalidValueException(p.id(), text.replaceAll("\\p{Cntrl}", "?"), "printable characters only");
            }
        }
        return text;
    }

    /** The effective value of a property and, for a default, where it comes from. */
    static PropertyValue effective(Model model, QubeRecord q, QubeProperty p) {
        switch (p) {
            case NAME:
                return PropertyValue.set(q.name);
            case QID:
                return PropertyValue.set(Integer.toString(q.qid));
            case KLASS:
                return PropertyValue.set(q.klass.name());
            default:
                break;
        }
        String own = q.own(p.id());
        if (own != null) {
            return PropertyValue.set(own);
        }
        switch (p) {
            case MEMORY:
                return inherited(model, q, p, Integer.toString(DEFAULT_MEMORY));
            case MAXMEM:
                return inherited(model, q, p, Integer.toString(DEFAULT_MAXMEM));
            case VCPUS:
                return inherited(model, q, p, Integer.toString(DEFAULT_VCPUS));
            case KERNELOPTS:
                return inherited(model, q, p, "");
            case NETVM:
                return defaultNetvm(model, q);
            case DEFAULT_DISPVM:
                return PropertyValue.byDefault(model.global.getOrDefault(DEFAULT_DISPVM, ""), "global " + DEFAULT_DISPVM);
            case TEMPLATE:
                return PropertyValue.byDefault("", "none given");
            case LABEL:
                return PropertyValue.byDefault(Label.BLACK.id(), "class default");
            default:
                return PropertyValue.byDefault("False", "class default");
        }
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

    private static PropertyValue defaultNetvm(Model model, QubeRecord q) {
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
        String global = model.global.getOrDefault(DEFAULT_NETVM, "");
        return PropertyValue.byDefault(global, "global " + DEFAULT_NETVM);
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
