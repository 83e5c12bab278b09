package dev.bulkhead.core.internal;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import dev.bulkhead.api.InvalidValueException;
import dev.bulkhead.api.QubeClass;
import dev.bulkhead.api.QubeProperty;

/** The registry's transactions on their own: a change is saved whole and then published, or not at all. */
class QubeRegistryTest {
    @TempDir
    Path data;

    private static QubeRecord appVm(Model m, String name) {
        return new QubeRecord(name, QubeRegistry.freeQid(m), QubeClass.AppVM,
                Map.of(QubeProperty.LABEL.id(), "red", QubeProperty.TEMPLATE.id(), QubeRegistry.FIRST_TEMPLATE), Map.of(), List.of());
    }

    @Test
    void aFreshRegistryHoldsTheFirstTemplateAsDefaultAndSavesIt() throws IOException {
        QubeRegistry registry = new QubeRegistry(data);

        assertEquals(QubeClass.TemplateVM, registry.model().qubes.get(QubeRegistry.FIRST_TEMPLATE).klass);
        assertEquals(QubeRegistry.FIRST_TEMPLATE, registry.model().global.get(PropertyRules.DEFAULT_TEMPLATE));
        assertTrue(new QubeRegistry(data).model().qubes.containsKey(QubeRegistry.FIRST_TEMPLATE), "the seed is in the state file");
    }

    @Test
    void aChangeYieldsItsResultAndItsEventSeesTheSavedModel() throws IOException {
        QubeRegistry registry = new QubeRegistry(data);
        List<Boolean> seenByEvent = new ArrayList<>();

        String name = registry.changeYielding(m -> {
            m.qubes.put("work", appVm(m, "work"));
            return new QubeRegistry.Saved<>("work", () -> seenByEvent.add(registry.model().qubes.containsKey("work")));
        });

        assertEquals("work", name);
        assertEquals(List.of(true), seenByEvent, "the event ran once, after the change was published");
        assertTrue(new QubeRegistry(data).model().qubes.containsKey("work"), "the change is in the state file");
    }

    @Test
    void aRefusedChangeLeavesTheModelAndTheStateFileAsTheyWereAndFiresNothing() throws IOException {
        QubeRegistry registry = new QubeRegistry(data);
        Model before = registry.model();
        byte[] file = Files.readAllBytes(data.resolve("qubes.json"));
        List<String> fired = new ArrayList<>();

        assertThrows(InvalidValueException.class, () -> registry.change(m -> {
            QubeRecord q = appVm(m, "work");
            q.properties.put(QubeProperty.NETVM.id(), "nowhere");
            m.qubes.put("work", q);
            return () -> fired.add("domain-add");
        }));

        assertSame(before, registry.model());
        assertArrayEquals(file, Files.readAllBytes(data.resolve("qubes.json")));
        assertEquals(List.of(), fired);
    }

    @Test
    void aCheckedChangeIsNeitherSavedNorPublished() throws IOException {
        QubeRegistry registry = new QubeRegistry(data);
        Model before = registry.model();
        List<String> fired = new ArrayList<>();

        registry.check(m -> {
            m.qubes.put("work", appVm(m, "work"));
            return () -> fired.add("domain-add");
        });

        assertSame(before, registry.model());
        assertFalse(new QubeRegistry(data).model().qubes.containsKey("work"));
        assertEquals(List.of(), fired);
    }

    @Test
    void aRefusedCreationRemovesWhatWasMadeForTheQube() throws IOException {
        QubeRegistry registry = new QubeRegistry(data);
        Files.createDirectories(registry.qubeDir("work").resolve("private"));

        assertThrows(InvalidValueException.class, () -> registry.add("work", m -> {
            throw new InvalidValueException("label", "mauve", "a label");
        }));

        assertFalse(Files.exists(registry.qubeDir("work")));
    }

    @Test
    void restoreUndoesOnlyWhatWasNotChangedAgain() throws IOException {
        QubeRegistry registry = new QubeRegistry(data);
        registry.change(m -> {
            m.qubes.put("work", appVm(m, "work"));
            return () -> { };
        });
        List<String> fired = new ArrayList<>();

        assertFalse(registry.restore("work", q -> q.tags.contains("moved"), q -> q.tags.add("undone"), () -> fired.add("undone")));
        assertTrue(registry.restore("work", q -> !q.tags.contains("moved"), q -> q.tags.add("undone"), () -> fired.add("undone")));

        assertTrue(registry.model().qubes.get("work").tags.contains("undone"));
        assertEquals(List.of("undone"), fired, "only the restore that undid something fired its event");
        assertNull(registry.model().qubes.get("gone"));
        assertFalse(registry.restore("gone", q -> true, q -> { }, () -> fired.add("gone")), "a qube removed meanwhile is left alone");
    }
}
