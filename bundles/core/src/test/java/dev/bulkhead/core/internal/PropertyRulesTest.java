package dev.bulkhead.core.internal;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import dev.bulkhead.api.InvalidStateException;
import dev.bulkhead.api.InvalidValueException;
import dev.bulkhead.api.Label;
import dev.bulkhead.api.PropertyValue;
import dev.bulkhead.api.QubeClass;
import dev.bulkhead.api.QubeProperty;
import dev.bulkhead.api.QubeSpec;

/** The model's side of the declarations: each kind of default, and the checks that need other qubes or the running state. */
class PropertyRulesTest {
    @TempDir
    Path data;

    static QubeRecord qube(String name, int qid, QubeClass klass, Map<String, String> props) {
        return new QubeRecord(name, qid, klass, props, Map.of(), List.of());
    }

    static Model model() {
        Model m = new Model();
        m.qubes.put("tpl", qube("tpl", 1, QubeClass.TemplateVM, Map.of("memory", "1000", "label", "black")));
        m.qubes.put("sys-net", qube("sys-net", 2, QubeClass.AppVM, Map.of("template", "tpl", "provides_network", "True")));
        m.qubes.put("work", qube("work", 3, QubeClass.AppVM, Map.of("template", "tpl")));
        m.qubes.put("dvm", qube("dvm", 4, QubeClass.AppVM, Map.of("template", "tpl", "template_for_dispvms", "True", "netvm", "")));
        m.qubes.put("disp1", qube("disp1", 5, QubeClass.DispVM, Map.of("template", "dvm")));
        m.qubes.put("alone", qube("alone", 6, QubeClass.StandaloneVM, Map.of()));
        m.global.put("default_netvm", "sys-net");
        m.global.put("default_dispvm", "dvm");
        return m;
    }

    static PropertyValue effective(Model m, String qube, QubeProperty p) {
        return PropertyRules.effective(m, m.qubes.get(qube), p);
    }

    /** Setting the property of qube work to the value is refused with exactly this message. */
    static void assertRefused(Model m, QubeProperty p, String value, String message) {
        InvalidValueException e = assertThrows(InvalidValueException.class, () -> PropertyRules.parse(m, m.qubes.get("work"), p, value));
        assertEquals(message, e.getMessage());
    }

    @Test
    void fromTheTemplateElseTheClassDefault() {
        Model m = model();
        assertEquals(PropertyValue.byDefault("1000", "template tpl"), effective(m, "work", QubeProperty.MEMORY));
        assertEquals(PropertyValue.byDefault("2", "template tpl"), effective(m, "work", QubeProperty.VCPUS));
        assertEquals(PropertyValue.byDefault("400", "class default"), effective(m, "alone", QubeProperty.MEMORY));
        assertEquals(PropertyValue.byDefault("4000", "class default"), effective(m, "alone", QubeProperty.MAXMEM));
        assertEquals(PropertyValue.byDefault("", "class default"), effective(m, "alone", QubeProperty.KERNELOPTS));
        assertEquals(PropertyValue.set("1000"), effective(m, "tpl", QubeProperty.MEMORY));
    }

    @Test
    void fromAGlobalProperty() {
        Model m = model();
        assertEquals(PropertyValue.byDefault("dvm", "global default_dispvm"), effective(m, "work", QubeProperty.DEFAULT_DISPVM));
    }

    @Test
    void theNetvmRule() {
        Model m = model();
        assertEquals(PropertyValue.byDefault("sys-net", "global default_netvm"), effective(m, "work", QubeProperty.NETVM));
        assertEquals(PropertyValue.byDefault("", "templates have no network by default"), effective(m, "tpl", QubeProperty.NETVM));
        assertEquals(PropertyValue.byDefault("", "it provides network"), effective(m, "sys-net", QubeProperty.NETVM));
        assertEquals(PropertyValue.byDefault("", "template dvm"), effective(m, "disp1", QubeProperty.NETVM));
    }

    @Test
    void fixedAndRequiredDefaults() {
        Model m = model();
        assertEquals(PropertyValue.byDefault("False", "class default"), effective(m, "work", QubeProperty.AUTOSTART));
        assertEquals(PropertyValue.byDefault("", "none given"),
                PropertyRules.effective(m, qube("new", 7, QubeClass.AppVM, Map.of()), QubeProperty.TEMPLATE));
        assertEquals(PropertyValue.byDefault(Label.BLACK.id(), "class default"), effective(m, "work", QubeProperty.LABEL));
    }

    @Test
    void theOnesThePlatformSets() {
        Model m = model();
        assertEquals(PropertyValue.set("work"), effective(m, "work", QubeProperty.NAME));
        assertEquals(PropertyValue.set("3"), effective(m, "work", QubeProperty.QID));
        assertEquals(PropertyValue.set("AppVM"), effective(m, "work", QubeProperty.KLASS));
        assertRefused(m, QubeProperty.QID, "7", "invalid property 'qid': 'qid' is read-only");
    }

    @Test
    void aPropertyOfAnotherClassIsRefused() {
        Model m = model();
        assertRefused(m, QubeProperty.AUTO_CLEANUP, "True", "invalid property 'auto_cleanup': AppVM 'work' has no auto_cleanup");
    }

    @Test
    void aReferenceNeedsAnExistingQube() {
        Model m = model();
        assertEquals("sys-net", PropertyRules.parse(m, m.qubes.get("work"), QubeProperty.NETVM, " sys-net "));
        assertEquals("", PropertyRules.parse(m, m.qubes.get("work"), QubeProperty.NETVM, "none"));
        assertRefused(m, QubeProperty.NETVM, "ghost", "invalid netvm 'ghost': no qube of that name exists; give an existing qube or none");
    }

    @Test
    void aPropertyDeclaredHaltedOnlyIsRefusedWhileRunningAndALabelCannotBeReset() throws IOException {
        QubeAdminService admin = new QubeAdminService(data, QubeAdminServiceTest.config("auto"));
        try {
            admin.addBackend(new FakeBackend());
            admin.create(new QubeSpec("work", QubeClass.AppVM, Label.RED, Map.of()));
            admin.start("work");
            InvalidStateException e = assertThrows(InvalidStateException.class, () -> admin.setProperty("work", "template", "minimal"));
            assertEquals("the template of 'work' can change only while it is halted", e.getMessage());
            admin.setProperty("work", "memory", "800");
            InvalidValueException label = assertThrows(InvalidValueException.class, () -> admin.resetProperty("work", "label"));
            assertTrue(label.getMessage().endsWith("a qube always has a label of its own"), label.getMessage());
        } finally {
            admin.deactivate();
        }
    }
}
