package dev.bulkhead.api;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.EnumSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.stream.Stream;

import org.junit.jupiter.api.DynamicTest;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestFactory;

/** Each property's declaration on its own: parse, refusal, default, classes, change while running. */
class QubePropertyTest {
    private static final Set<QubeClass> ALL = EnumSet.allOf(QubeClass.class);
    private static final Set<QubeClass> NOT_DOM0 = EnumSet.complementOf(EnumSet.of(QubeClass.AdminVM));

    /** What each declaration must say, written out independently of it. */
    private record Expected(QubeProperty property, Set<QubeClass> classes, String defaultText, boolean whileRunning,
            String valid, String canonical, String bad, String refusal) {
    }

    private static final List<Expected> EXPECTED = List.of(
            new Expected(QubeProperty.NAME, ALL, "set by the platform", true, "work", "work", "a\u0001b", "printable characters only"),
            new Expected(QubeProperty.QID, ALL, "set by the platform", true, null, null, "x", null),
            new Expected(QubeProperty.KLASS, ALL, "set by the platform", true, "appvm", "AppVM", "Laptop", "one of AppVM"),
            new Expected(QubeProperty.LABEL, ALL, "given at creation (black if missing)", true, "red", "red", "pink", "one of red,"),
            new Expected(QubeProperty.MEMORY, NOT_DOM0, "the template's, else 400", true, " 800 ", "800", "0", "a whole number from 1 to 1048576"),
            new Expected(QubeProperty.MAXMEM, NOT_DOM0, "the template's, else 4000", true, "4000", "4000", "1048577", "a whole number from 1 to 1048576"),
            new Expected(QubeProperty.VCPUS, NOT_DOM0, "the template's, else 2", true, "4", "4", "257", "a whole number from 1 to 256"),
            new Expected(QubeProperty.NETVM, NOT_DOM0,
                    "global default_netvm; none for a TemplateVM or a qube that provides network, the template's for a DispVM", true,
                    " none ", "", null, null),
            new Expected(QubeProperty.PROVIDES_NETWORK, NOT_DOM0, "False", true, "yes", "True", "maybe", "True or False"),
            new Expected(QubeProperty.TEMPLATE, EnumSet.of(QubeClass.AppVM, QubeClass.DispVM), "none", false, "debian ", "debian", null, null),
            new Expected(QubeProperty.AUTOSTART, NOT_DOM0, "False", true, "off", "False", "2", "True or False"),
            new Expected(QubeProperty.KERNELOPTS, NOT_DOM0, "the template's, else none", true, "console=ttyS0", "console=ttyS0",
                    "x".repeat(1025), "at most 1024 characters"),
            new Expected(QubeProperty.DEFAULT_DISPVM, NOT_DOM0, "global default_dispvm", true, "none", "", null, null),
            new Expected(QubeProperty.TEMPLATE_FOR_DISPVMS, NOT_DOM0, "False", true, "1", "True", "", "True or False"),
            new Expected(QubeProperty.AUTO_CLEANUP, EnumSet.of(QubeClass.DispVM), "False", true, "True", "True", "tru", "True or False"),
            new Expected(QubeProperty.VIRT_MODE, EnumSet.of(QubeClass.StandaloneVM), "pvh", false, " HVM ", "hvm", "pv",
                    "one of pvh, hvm"));

    @Test
    void everyPropertyIsExpected() {
        assertEquals(List.of(QubeProperty.values()), EXPECTED.stream().map(Expected::property).toList());
    }

    @TestFactory
    Stream<DynamicTest> eachDeclarationSaysWhatItShould() {
        return EXPECTED.stream().map(e -> DynamicTest.dynamicTest(e.property().id(), () -> {
            QubeProperty p = e.property();
            assertEquals(e.classes(), p.classes(), "classes");
            for (QubeClass c : QubeClass.values()) {
                assertEquals(e.classes().contains(c), p.appliesTo(c), "applies to " + c);
            }
            assertEquals(e.defaultText(), p.defaultValue().describe(), "default");
            assertEquals(e.whileRunning(), p.changesWhileRunning(), "changes while running");
            if (e.valid() != null) {
                assertEquals(e.canonical(), p.parseValue(e.valid()), "parse");
                assertEquals(e.canonical(), p.parseValue(e.canonical()), "a canonical value parses to itself");
            }
            if (e.bad() != null) {
                InvalidValueException x = assertThrows(InvalidValueException.class, () -> p.parseValue(e.bad()));
                String subject = p.type() == PropertyType.LABEL ? "label" : p.type() == PropertyType.CLASS ? "class" : p.id();
                assertTrue(x.getMessage().startsWith("invalid " + subject + " '"), x.getMessage());
                if (e.refusal() != null) {
                    assertTrue(x.getMessage().contains(e.refusal()), x.getMessage());
                }
            }
            InvalidValueException none = assertThrows(InvalidValueException.class, () -> p.parseValue(null));
            assertEquals("invalid " + p.id() + " 'null': a value is required", none.getMessage());
        }));
    }

    @Test
    void theReadOnlyOnesAreThoseThePlatformSets() {
        assertEquals(EnumSet.of(QubeProperty.NAME, QubeProperty.QID, QubeProperty.KLASS),
                EnumSet.copyOf(Stream.of(QubeProperty.values()).filter(QubeProperty::readOnly).toList()));
    }

    @Test
    void onlyLabelAndThePlatformsOwnCannotBeReset() {
        Map<QubeProperty, Boolean> resettable = new java.util.EnumMap<>(QubeProperty.class);
        for (QubeProperty p : QubeProperty.values()) {
            resettable.put(p, p.defaultValue().resettable());
        }
        for (QubeProperty p : QubeProperty.values()) {
            boolean fixedForever = p == QubeProperty.LABEL || p.readOnly();
            assertEquals(!fixedForever, resettable.get(p), p.id());
        }
    }

    @Test
    void anUnknownPropertyIsRefusedWithTheKnownOnes() {
        InvalidValueException e = assertThrows(InvalidValueException.class, () -> QubeProperty.parse("colour"));
        assertTrue(e.getMessage().startsWith("invalid property 'colour': one of name, qid, klass, label, memory"), e.getMessage());
    }
}
