package dev.bulkhead.core.internal;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.function.Predicate;

import org.junit.jupiter.api.Test;

import dev.bulkhead.api.InvalidValueException;
import dev.bulkhead.api.QubeClass;
import dev.bulkhead.api.QubeProperty;
import dev.bulkhead.api.hypervisor.VolumeSpec;
import dev.bulkhead.core.internal.VolumeRules.Kind;
import dev.bulkhead.core.internal.VolumeRules.Plan;

/**
 * Qubes' volume rules on their own: where each volume of each class of qube starts from, its size
 * and what the backend is given for it. A template "has its own root" when the predicate says so.
 */
class VolumeRulesTest {
    private static final Path QUBES = Path.of("/data/qubes");
    private final VolumeRules rules = new VolumeRules(QUBES);
    private final Model model = new Model();
    private final QubeRecord fedora = add("fedora", 2, QubeClass.TemplateVM, null);
    private final QubeRecord bare = add("bare", 3, QubeClass.TemplateVM, null);
    private final QubeRecord work = add("work", 4, QubeClass.AppVM, "fedora");
    private final QubeRecord workDvm = add("work-dvm", 5, QubeClass.AppVM, "fedora");
    private final QubeRecord disp = add("disp7", 6, QubeClass.DispVM, "work-dvm");
    private final QubeRecord standalone = add("alone", 7, QubeClass.StandaloneVM, null);
    private final QubeRecord onBare = add("on-bare", 8, QubeClass.AppVM, "bare");
    /** Only fedora and the standalone qube have a root of their own; bare runs the built-in one. */
    private final Predicate<QubeRecord> hasOwnRoot = q -> Set.of("fedora", "alone").contains(q.name);

    private QubeRecord add(String name, int qid, QubeClass klass, String template) {
        Map<String, String> properties = template == null ? Map.of() : Map.of(QubeProperty.TEMPLATE.id(), template);
        QubeRecord q = new QubeRecord(name, qid, klass, properties, Map.of(), List.of());
        model.qubes.put(name, q);
        return q;
    }

    private Plan plan(QubeRecord q, String volume) {
        return VolumeRules.plan(model, q, volume, hasOwnRoot);
    }

    /** Compares by the owner's name, which a failure then shows. */
    private void assertPlan(Kind kind, QubeRecord owner, QubeRecord q, String volume) {
        Plan plan = plan(q, volume);
        assertEquals(kind + " of " + owner.name + "'s " + volume, plan.kind() + " of " + plan.owner().name + "'s " + plan.volume(),
                q.name + "'s " + volume);
    }

    @Test
    void onlyRootPrivateAndVolatileAreVolumes() {
        for (String volume : List.of("root", "private", "volatile")) {
            assertEquals(volume, VolumeRules.requireName(volume));
        }
        for (String volume : new String[] { "swap", "", "Root", null }) {
            InvalidValueException e = assertThrows(InvalidValueException.class, () -> VolumeRules.requireName(volume));
            assertTrue(e.getMessage().contains("root, private, volatile"), e.getMessage());
            assertThrows(InvalidValueException.class, () -> plan(work, volume));
        }
    }

    @Test
    void aTemplateOrStandaloneKeepsItsOwnRootOrRunsTheBuiltInOne() {
        assertPlan(Kind.KEPT, fedora, fedora, "root");
        assertPlan(Kind.KEPT, standalone, standalone, "root");
        assertPlan(Kind.BUILTIN, bare, bare, "root");
        assertPlan(Kind.KEPT, fedora, fedora, "private");
        assertPlan(Kind.FRESH, fedora, fedora, "volatile");
    }

    @Test
    void anAppVmRunsASnapshotOfItsTemplatesRootAndKeepsItsOwnPrivate() {
        assertPlan(Kind.SNAPSHOT, fedora, work, "root");
        assertPlan(Kind.KEPT, work, work, "private");
        assertPlan(Kind.FRESH, work, work, "volatile");
    }

    @Test
    void anAppVmOnATemplateWithoutARootOfItsOwnRunsTheBuiltInRootThatTemplateLends() {
        assertPlan(Kind.BUILTIN, bare, onBare, "root");
    }

    @Test
    void aQubeWithoutATemplateRunsTheBuiltInRoot() {
        QubeRecord orphan = add("orphan", 9, QubeClass.AppVM, null);
        assertPlan(Kind.BUILTIN, orphan, orphan, "root");
        QubeRecord missing = add("missing", 10, QubeClass.AppVM, "gone");
        assertPlan(Kind.BUILTIN, missing, missing, "root");
    }

    @Test
    void aDisposableSnapshotsTheRootOfItsTemplatesTemplateAndThePrivateOfItsTemplate() {
        assertPlan(Kind.SNAPSHOT, fedora, disp, "root");
        assertPlan(Kind.SNAPSHOT, workDvm, disp, "private");
        assertPlan(Kind.FRESH, disp, disp, "volatile");
    }

    @Test
    void sizesAndRevisionsHaveQubesDefaultsUnlessSetOnTheQube() {
        assertEquals(10L << 30, VolumeRules.size(work, "root"));
        assertEquals(2L << 30, VolumeRules.size(work, "private"));
        assertEquals(10L << 30, VolumeRules.size(work, "volatile"));
        assertEquals(0, VolumeRules.revisionsToKeep(work, "private"));

        work.volumes.put("private", VolumeConfig.NONE.withSize(5L << 30).withRevisionsToKeep(3));
        assertEquals(5L << 30, VolumeRules.size(work, "private"));
        assertEquals(3, VolumeRules.revisionsToKeep(work, "private"));
        assertEquals(10L << 30, VolumeRules.size(work, "root"), "a setting on one volume leaves the others at their defaults");
    }

    @Test
    void eachVolumesStorageIsItsDirectoryUnderItsQube() {
        assertEquals(QUBES.resolve("work").resolve("private"), rules.storage("work", "private"));
    }

    @Test
    void theBackendIsGivenTheStorageAndSizeOfTheQubeThatHoldsTheContent() {
        fedora.volumes.put("root", VolumeConfig.NONE.withSize(20L << 30).withRevisionsToKeep(2));
        work.volumes.put("volatile", VolumeConfig.NONE.withSize(1L << 30));

        assertEquals(VolumeSpec.persistent("root", QUBES.resolve("fedora/root"), 20L << 30, 2), rules.spec(fedora, plan(fedora, "root")));
        assertEquals(VolumeSpec.snapshotOf("root", QUBES.resolve("fedora/root"), 20L << 30), rules.spec(work, plan(work, "root")),
                "an AppVM's root is its template's, at the template's size");
        assertEquals(VolumeSpec.persistent("private", QUBES.resolve("work/private"), 2L << 30, 0), rules.spec(work, plan(work, "private")));
        assertEquals(VolumeSpec.fresh("volatile", QUBES.resolve("work/volatile"), 1L << 30), rules.spec(work, plan(work, "volatile")));
        assertEquals(VolumeSpec.snapshotOf("private", QUBES.resolve("work-dvm/private"), 2L << 30), rules.spec(disp, plan(disp, "private")));
        assertEquals(VolumeSpec.fresh("volatile", QUBES.resolve("disp7/volatile"), 10L << 30), rules.spec(disp, plan(disp, "volatile")),
                "a disposable's volatile volume is its own, fresh");
        assertNull(rules.spec(onBare, plan(onBare, "root")), "the built-in root has no spec");
    }

    @Test
    void theKeptSpecIsTheQubesOwnVolumeEvenWhenItStartsFromAnotherQubes() {
        assertEquals(VolumeSpec.persistent("root", QUBES.resolve("work/root"), 10L << 30, 0), rules.keptSpec(work, "root"));
    }
}
