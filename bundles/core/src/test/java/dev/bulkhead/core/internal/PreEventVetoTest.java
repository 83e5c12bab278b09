package dev.bulkhead.core.internal;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CopyOnWriteArrayList;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import dev.bulkhead.api.EventVetoedException;
import dev.bulkhead.api.Label;
import dev.bulkhead.api.PowerState;
import dev.bulkhead.api.QubeClass;
import dev.bulkhead.api.QubeEvent;
import dev.bulkhead.api.QubePreEventHandler;
import dev.bulkhead.api.QubeSpec;

/** Pre-events: a handler's refusal reaches the caller with its reason, and nothing changes. */
class PreEventVetoTest {
    @TempDir
    Path data;
    FakeBackend backend;
    QubeAdminService admin;
    final List<QubeEvent> events = new CopyOnWriteArrayList<>();
    final List<QubeEvent> asked = new CopyOnWriteArrayList<>();
    /** Refuses the one event named, with the reason "policy says no". */
    volatile String refused = "";
    final QubePreEventHandler handler = e -> {
        asked.add(e);
        return e.type().equals(refused) ? Optional.of("policy says no") : Optional.empty();
    };

    @BeforeEach
    void boot() throws IOException {
        backend = new FakeBackend();
        admin = new QubeAdminService(data, QubeAdminServiceTest.config("auto"));
        admin.addListener(events::add);
        admin.addPreEventHandler(handler, Map.of("component.name", "test.policy"));
        admin.addBackend(backend);
        admin.create(new QubeSpec("work", QubeClass.AppVM, Label.RED, Map.of()));
    }

    @AfterEach
    void close() {
        admin.deactivate();
    }

    byte[] state() throws IOException {
        return Files.readAllBytes(data.resolve(StateStore.FILE_NAME));
    }

    List<String> tree() throws IOException {
        try (java.util.stream.Stream<Path> all = Files.walk(data)) {
            return all.map(p -> data.relativize(p).toString()).sorted().toList();
        }
    }

    /** The events delivered so far, all of them: closing the dispatcher waits for what is queued. */
    List<String> deliveredTypes() throws IOException {
        admin.deactivate();
        List<String> types = events.stream().map(QubeEvent::type).toList();
        admin = new QubeAdminService(data, QubeAdminServiceTest.config("auto"));
        return types;
    }

    @Test
    void aRefusedStartNamesTheHandlerAndItsReasonAndStartsNothing() throws IOException {
        refused = QubeEvent.DOMAIN_PRE_START;
        EventVetoedException e = assertThrows(EventVetoedException.class, () -> admin.start("work"));
        assertEquals("domain-pre-start of 'work' refused by test.policy: policy says no", e.getMessage());
        assertEquals("test.policy", e.handler());
        assertEquals("policy says no", e.reason());
        assertEquals(PowerState.Halted, admin.get("work").state());
        assertTrue(backend.domains.isEmpty(), "no domain was started");
        assertFalse(deliveredTypes().contains(QubeEvent.DOMAIN_START_FAILED), "nothing started, so nothing failed");
    }

    @Test
    void aRefusedNetvmStartRefusesItsClientsStart() {
        admin.create(new QubeSpec("net", QubeClass.AppVM, Label.RED, Map.of("provides_network", "True")));
        admin.setProperty("work", "netvm", "net");
        QubePreEventHandler onlyNet = e -> e.qube().equals("net") ? Optional.of("net is closed") : Optional.empty();
        admin.addPreEventHandler(onlyNet, Map.of());
        EventVetoedException e = assertThrows(EventVetoedException.class, () -> admin.start("work"));
        assertTrue(e.getMessage().contains("of 'net'") && e.getMessage().endsWith(": net is closed"), e.getMessage());
        assertTrue(backend.domains.isEmpty());
    }

    @Test
    void aRefusedShutdownLeavesTheQubeRunning() {
        admin.start("work");
        refused = QubeEvent.DOMAIN_PRE_SHUTDOWN;
        EventVetoedException e = assertThrows(EventVetoedException.class,
                () -> admin.shutdown("work", false, true, java.time.Duration.ofSeconds(5)));
        assertTrue(e.getMessage().endsWith("refused by test.policy: policy says no"), e.getMessage());
        assertEquals(PowerState.Running, admin.get("work").state());
        assertEquals(PowerState.Running, backend.domains.get("work"));
        refused = "";
        admin.shutdown("work", false, true, java.time.Duration.ofSeconds(5));
        assertEquals(PowerState.Halted, admin.get("work").state());
    }

    @Test
    void aRefusedPropertyChangesNothingAndFiresNoEvent() throws IOException {
        refused = QubeEvent.PROPERTY_PRE_SET + "memory";
        byte[] before = state();
        EventVetoedException e = assertThrows(EventVetoedException.class, () -> admin.setProperty("work", "memory", "800"));
        assertEquals("property-pre-set:memory of 'work' refused by test.policy: policy says no", e.getMessage());
        assertEquals("400", admin.get("work").properties().get("memory").value());
        assertTrue(java.util.Arrays.equals(before, state()), "the state file is unchanged");
        QubeEvent seen = asked.stream().filter(a -> a.type().equals(refused)).findFirst().orElseThrow();
        assertEquals(Map.of("newvalue", "800", "oldvalue", "400"), seen.data());
        assertFalse(deliveredTypes().contains("property-set:memory"));
    }

    @Test
    void onlyTheNamedPropertyIsRefused() {
        refused = QubeEvent.PROPERTY_PRE_SET + "vcpus";
        admin.setProperty("work", "memory", "800");
        assertEquals("800", admin.get("work").properties().get("memory").value());
    }

    @Test
    void aRefusedResetKeepsTheValue() {
        admin.setProperty("work", "memory", "800");
        refused = QubeEvent.PROPERTY_PRE_RESET + "memory";
        assertThrows(EventVetoedException.class, () -> admin.resetProperty("work", "memory"));
        assertEquals("800", admin.get("work").properties().get("memory").value());
    }

    @Test
    void aRefusedFeatureChangesNothingAndFiresNoEvent() throws IOException {
        admin.setFeature("work", "colour", "blue");
        refused = QubeEvent.FEATURE_PRE_SET + "colour";
        byte[] before = state();
        EventVetoedException e = assertThrows(EventVetoedException.class, () -> admin.setFeature("work", "colour", "green"));
        assertEquals("feature-pre-set:colour of 'work' refused by test.policy: policy says no", e.getMessage());
        assertEquals("blue", admin.get("work").features().get("colour"));
        assertTrue(java.util.Arrays.equals(before, state()), "the state file is unchanged");
        QubeEvent seen = asked.stream().filter(a -> a.type().equals(refused)).reduce((first, last) -> last).orElseThrow();
        assertEquals(Map.of("value", "green", "oldvalue", "blue"), seen.data());
        assertEquals(1, deliveredTypes().stream().filter(t -> t.equals("domain-feature-set:colour")).count());
    }

    @Test
    void aRefusedDisposableStartLeavesNoDisposableBehind() throws IOException {
        admin.create(new QubeSpec("tpl", QubeClass.TemplateVM, Label.BLACK, Map.of()));
        admin.create(new QubeSpec("work-dvm", QubeClass.AppVM, Label.RED, Map.of("template", "tpl", "template_for_dispvms", "True")));
        QubePreEventHandler noDisposables = e -> e.qube().startsWith("disp") ? Optional.of("no disposables today") : Optional.empty();
        admin.addPreEventHandler(noDisposables, Map.of("component.name", "test.nodisp"));
        List<String> qubes = admin.list().stream().map(q -> q.name()).toList();
        byte[] before = state();
        List<String> tree = tree();
        EventVetoedException e = assertThrows(EventVetoedException.class, () -> admin.createDisposable("work-dvm"));
        assertTrue(e.getMessage().endsWith("refused by test.nodisp: no disposables today"), e.getMessage());
        assertEquals(qubes, admin.list().stream().map(q -> q.name()).toList());
        assertTrue(java.util.Arrays.equals(before, state()), "the state file is as before");
        assertEquals(tree, tree(), "the data directory is as before");
    }

    @Test
    void aRefusedFeatureRemovalKeepsTheFeature() throws IOException {
        admin.setFeature("work", "colour", "blue");
        refused = QubeEvent.FEATURE_PRE_DELETE + "colour";
        byte[] before = state();
        EventVetoedException e = assertThrows(EventVetoedException.class, () -> admin.removeFeature("work", "colour"));
        assertEquals("feature-pre-delete:colour of 'work' refused by test.policy: policy says no", e.getMessage());
        assertEquals("blue", admin.get("work").features().get("colour"));
        assertTrue(java.util.Arrays.equals(before, state()), "the state file is unchanged");
        assertFalse(deliveredTypes().contains("domain-feature-delete:colour"));
    }

    @Test
    void aHandlerThatThrowsRefuses() {
        QubePreEventHandler broken = e -> {
            throw new IllegalStateException("policy file unreadable");
        };
        admin.addPreEventHandler(broken, Map.of("component.name", "broken.policy"));
        EventVetoedException e = assertThrows(EventVetoedException.class, () -> admin.start("work"));
        assertTrue(e.getMessage().startsWith("domain-pre-start of 'work' refused by broken.policy: its check failed: "), e.getMessage());
        assertTrue(e.getMessage().contains("policy file unreadable"), e.getMessage());
        assertTrue(backend.domains.isEmpty());
    }

    @Test
    void aRemovedHandlerNoLongerRefuses() {
        refused = QubeEvent.DOMAIN_PRE_START;
        assertThrows(EventVetoedException.class, () -> admin.start("work"));
        admin.removePreEventHandler(handler);
        admin.start("work");
        assertEquals(PowerState.Running, admin.get("work").state());
    }
}
