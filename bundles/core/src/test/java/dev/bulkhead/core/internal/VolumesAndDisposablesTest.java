package dev.bulkhead.core.internal;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CopyOnWriteArrayList;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import dev.bulkhead.api.AdminException;
import dev.bulkhead.api.InvalidStateException;
import dev.bulkhead.api.InvalidValueException;
import dev.bulkhead.api.Label;
import dev.bulkhead.api.PowerState;
import dev.bulkhead.api.Qube;
import dev.bulkhead.api.QubeClass;
import dev.bulkhead.api.QubeEvent;
import dev.bulkhead.api.QubeProperty;
import dev.bulkhead.api.QubeSpec;
import dev.bulkhead.api.VolumeInfo;
import dev.bulkhead.api.hypervisor.DomainSpec;
import dev.bulkhead.api.hypervisor.VolumeSpec;
import dev.bulkhead.testing.Await;

/** Qubes' volume rules and disposables in the core, on the in-memory backend. */
class VolumesAndDisposablesTest {
    private static final long MIB = 1L << 20;

    @TempDir
    Path data;
    FakeBackend backend;
    QubeAdminService admin;
    final List<QubeEvent> events = new CopyOnWriteArrayList<>();

    @BeforeEach
    void boot() throws IOException {
        backend = new FakeBackend();
        admin = newAdmin();
        admin.create(new QubeSpec("tpl", QubeClass.TemplateVM, Label.BLACK, Map.of()));
        Path content = Files.createDirectories(data.resolve("incoming/root"));
        admin.importVolume("tpl", "root", content);
    }

    QubeAdminService newAdmin() throws IOException {
        QubeAdminService a = new QubeAdminService(data, QubeAdminServiceTest.config("auto"));
        a.addListener(events::add);
        a.addBackend(backend);
        return a;
    }

    @AfterEach
    void close() {
        admin.deactivate();
    }

    private Qube create(String name, QubeClass klass, Map<String, String> props) {
        return admin.create(new QubeSpec(name, klass, Label.RED, props));
    }

    private DomainSpec started(String name) {
        admin.start(name);
        return backend.specs.get(name);
    }

    @Test
    void anAppVmStartsOnASnapshotOfItsTemplatesRootWithItsOwnPrivateAndAFreshVolatile() {
        create("work", QubeClass.AppVM, Map.of("template", "tpl"));

        DomainSpec spec = started("work");

        assertEquals(VolumeSpec.snapshotOf("root", data.resolve("qubes/tpl/root"), VolumeRules.DEFAULT_ROOT_SIZE),
                spec.volume("root").orElseThrow());
        assertEquals(VolumeSpec.persistent("private", data.resolve("qubes/work/private"), VolumeRules.DEFAULT_PRIVATE_SIZE, 0),
                spec.volume("private").orElseThrow());
        assertEquals(VolumeSpec.fresh("volatile", data.resolve("qubes/work/volatile"), VolumeRules.DEFAULT_VOLATILE_SIZE),
                spec.volume("volatile").orElseThrow());
    }

    @Test
    void aTemplateKeepsItsRootAndOneWithoutARootOfItsOwnRunsAndLendsTheBuiltinRoot() {
        create("plain", QubeClass.AppVM, Map.of("template", "minimal"));

        assertEquals(VolumeSpec.persistent("root", data.resolve("qubes/tpl/root"), VolumeRules.DEFAULT_ROOT_SIZE, 0),
                started("tpl").volume("root").orElseThrow());
        assertEquals(Optional.empty(), started("minimal").volume("root"));
        assertEquals(Optional.empty(), started("plain").volume("root"));
    }

    @Test
    void volumeInfoSaysWhereEachVolumeComesFrom() {
        create("work", QubeClass.AppVM, Map.of("template", "tpl"));
        started("work");

        List<VolumeInfo> volumes = admin.volumes("work");

        assertEquals(List.of("root", "private", "volatile"), volumes.stream().map(VolumeInfo::name).toList());
        VolumeInfo root = volumes.get(0);
        assertEquals("tpl:root", root.source());
        assertTrue(root.snapOnStart() && !root.saveOnStop() && root.rw());
        VolumeInfo priv = volumes.get(1);
        assertEquals(data.resolve("qubes/work/private").toString(), priv.vid());
        assertTrue(priv.saveOnStop() && !priv.snapOnStart());
        assertEquals(4096, priv.usage());
        assertEquals("lite", priv.pool());
        assertEquals("", admin.volume("minimal", "root").vid());
        assertFalse(admin.volume("minimal", "root").rw(), "the built-in root is read-only");
        assertEquals(List.of(), admin.volumes("dom0"));
    }

    @Test
    void anUnknownVolumeIsNamedWithTheKnownOnes() {
        InvalidValueException e = assertThrows(InvalidValueException.class, () -> admin.volume("tpl", "swap"));

        assertEquals("invalid volume 'swap': one of root, private, volatile", e.getMessage());
    }

    @Test
    void resizeGrowsAKeptVolumeThatHasStorageAndOnlyRecordsTheSizeOfOneWithout() throws IOException {
        create("work", QubeClass.AppVM, Map.of("template", "tpl"));
        admin.resizeVolume("work", "private", 3 * VolumeRules.GIB);
        assertTrue(backend.calls.stream().noneMatch(c -> c.startsWith("resize ")), "no storage yet: nothing to grow");
        started("work");
        admin.kill("work");

        admin.resizeVolume("work", "private", 4 * VolumeRules.GIB);

        assertTrue(backend.calls.contains("resize " + data.resolve("qubes/work/private") + " " + 4 * VolumeRules.GIB), backend.calls.toString());
        assertEquals(4 * VolumeRules.GIB, admin.volume("work", "private").size());
        assertEquals(4 * VolumeRules.GIB, started("work").volume("private").orElseThrow().sizeBytes());
        admin.deactivate();
        admin = newAdmin();
        assertEquals(4 * VolumeRules.GIB, admin.volume("work", "private").size(), "kept in the state file");
    }

    @Test
    void volumesOnlyGrowAndASnapshotIsResizedThroughItsOrigin() throws IOException {
        create("work", QubeClass.AppVM, Map.of("template", "tpl"));
        byte[] before = Files.readAllBytes(data.resolve(StateStore.FILE_NAME));

        InvalidValueException shrink = assertThrows(InvalidValueException.class, () -> admin.resizeVolume("work", "private", 64 * MIB));
        InvalidValueException snapshot = assertThrows(InvalidValueException.class,
                () -> admin.resizeVolume("work", "root", 20 * VolumeRules.GIB));

        assertTrue(shrink.getMessage().contains("volumes only grow"), shrink.getMessage());
        assertEquals("invalid volume 'work:root': its size is that of tpl:root; resize that one", snapshot.getMessage());
        assertArrayEquals(before, Files.readAllBytes(data.resolve(StateStore.FILE_NAME)));
    }

    @Test
    void revisionsToKeepReachTheBackendAndAreRefusedForVolumesNotKept() {
        create("work", QubeClass.AppVM, Map.of("template", "tpl"));

        admin.setVolumeRevisionsToKeep("work", "private", 2);

        assertEquals(2, started("work").volume("private").orElseThrow().revisionsToKeep());
        InvalidValueException root = assertThrows(InvalidValueException.class, () -> admin.setVolumeRevisionsToKeep("work", "root", 1));
        assertEquals("invalid volume 'work:root': cannot keep revisions: it starts afresh from tpl:root at each start", root.getMessage());
        assertThrows(InvalidValueException.class, () -> admin.setVolumeRevisionsToKeep("work", "private", 33));
    }

    @Test
    void revertNeedsTheQubeHalted() {
        create("work", QubeClass.AppVM, Map.of("template", "tpl"));
        started("work");

        assertThrows(InvalidStateException.class, () -> admin.revertVolume("work", "private", null));
        admin.kill("work");
        admin.revertVolume("work", "private", "1700000000000");

        assertTrue(backend.calls.contains("revert " + data.resolve("qubes/work/private") + " 1700000000000"));
    }

    @Test
    void onlyAVolumeAQubeKeepsItselfIsImported() throws IOException {
        create("work", QubeClass.AppVM, Map.of("template", "tpl"));
        Path content = Files.createDirectories(data.resolve("incoming/other"));

        InvalidValueException e = assertThrows(InvalidValueException.class, () -> admin.importVolume("work", "root", content));

        assertTrue(e.getMessage().startsWith("invalid volume 'work:root': only a volume the qube keeps itself"), e.getMessage());
        assertTrue(Files.isDirectory(content));
    }

    @Test
    void aDisposableIsADispVmOfItsTemplateThatGoesWithEverythingWhenItStops() {
        create("work-dvm", QubeClass.AppVM, Map.of("template", "tpl", "template_for_dispvms", "True"));
        started("work-dvm");
        admin.kill("work-dvm");

        Qube disp = admin.createDisposable("work-dvm");

        assertTrue(disp.name().matches("disp[0-9]{1,4}"), disp.name());
        assertEquals(QubeClass.DispVM, disp.klass());
        assertEquals(PowerState.Running, disp.state());
        assertEquals("True", disp.value(QubeProperty.AUTO_CLEANUP));
        assertEquals("red", disp.value(QubeProperty.LABEL), "the label of its template");
        DomainSpec spec = backend.specs.get(disp.name());
        assertEquals(VolumeSpec.snapshotOf("private", data.resolve("qubes/work-dvm/private"), VolumeRules.DEFAULT_PRIVATE_SIZE),
                spec.volume("private").orElseThrow());
        assertEquals(VolumeSpec.snapshotOf("root", data.resolve("qubes/tpl/root"), VolumeRules.DEFAULT_ROOT_SIZE),
                spec.volume("root").orElseThrow());

        admin.kill(disp.name());

        assertEquals(Optional.empty(), admin.find(disp.name()));
        assertTrue(backend.calls.contains("destroy " + disp.name()));
        assertFalse(Files.exists(data.resolve("qubes").resolve(disp.name())));
        Await.until("domain-delete of " + disp.name() + " is delivered",
                () -> events.stream().anyMatch(e -> e.type().equals("domain-delete") && e.qube().equals(disp.name())));
    }

    @Test
    void runDisposableRunsTheCommandAndDestroysTheDisposableEvenWhenTheCommandFails() {
        create("work-dvm", QubeClass.AppVM, Map.of("template", "tpl", "template_for_dispvms", "True"));
        admin.setGlobalProperty("default_dispvm", "work-dvm");

        assertEquals(0, admin.runDisposable(null, List.of("true"), null, Duration.ofSeconds(5)).exitStatus());
        backend.execFailure = new AdminException("runc exec failed");
        assertThrows(AdminException.class, () -> admin.runDisposable("work-dvm", List.of("true"), null, Duration.ofSeconds(5)));

        assertEquals(List.of(), admin.list().stream().filter(q -> q.klass() == QubeClass.DispVM).toList());
        assertEquals(2, backend.calls.stream().filter(c -> c.startsWith("destroy disp")).count(), backend.calls.toString());
    }

    @Test
    void aDisposableNeedsADisposableTemplateAndNamesWhatIsMissing() {
        create("work", QubeClass.AppVM, Map.of("template", "tpl"));

        InvalidValueException none = assertThrows(InvalidValueException.class, () -> admin.createDisposable(null));
        InvalidValueException notDvm = assertThrows(InvalidValueException.class, () -> admin.createDisposable("work"));

        assertTrue(none.getMessage().startsWith("invalid default_dispvm '': no disposable template was given"), none.getMessage());
        assertEquals("invalid disposable template 'work': an AppVM with template_for_dispvms=True", notDvm.getMessage());
    }

    @Test
    void aFailedStartRemovesTheDisposable() {
        create("work-dvm", QubeClass.AppVM, Map.of("template", "tpl", "template_for_dispvms", "True"));
        backend.startFailure = new AdminException("runc run failed");

        assertThrows(AdminException.class, () -> admin.createDisposable("work-dvm"));

        assertEquals(List.of(), admin.list().stream().filter(q -> q.klass() == QubeClass.DispVM).toList());
    }

    @Test
    void aNamedDispVmStaysButStartsFromItsTemplateEachTime() {
        create("work-dvm", QubeClass.AppVM, Map.of("template", "tpl", "template_for_dispvms", "True"));
        create("named", QubeClass.DispVM, Map.of("template", "work-dvm"));

        started("named");
        admin.kill("named");

        assertEquals("False", admin.get("named").value(QubeProperty.AUTO_CLEANUP));
        assertEquals(PowerState.Halted, admin.get("named").state());
        assertTrue(backend.specs.get("named").volume("private").orElseThrow().snapshot());
    }

    @Test
    void disposablesLeftHaltedByACrashAreRemovedAtTheNextStart() throws IOException {
        create("work-dvm", QubeClass.AppVM, Map.of("template", "tpl", "template_for_dispvms", "True"));
        String disp = admin.createDisposable("work-dvm").name();
        admin.deactivate();
        backend.domains.remove(disp);

        admin = newAdmin();

        Await.until("the halted disposable is removed", () -> admin.find(disp).isEmpty());
    }

    @Test
    void preloadedDisposablesAreKeptReadyPausedAndHandedOutFirst() {
        create("work-dvm", QubeClass.AppVM, Map.of("template", "tpl", "template_for_dispvms", "True"));

        admin.setFeature("work-dvm", "preload-dispvm-max", "2");
        Await.until("two disposables preloaded", () -> ready("work-dvm").size() == 2);
        List<String> preloaded = ready("work-dvm");
        assertTrue(preloaded.stream().allMatch(n -> admin.get(n).state() == PowerState.Paused));

        Qube taken = admin.createDisposable("work-dvm");

        assertEquals(preloaded.get(0), taken.name());
        assertEquals(PowerState.Running, taken.state());
        Await.until("refilled to two", () -> ready("work-dvm").size() == 2 && !ready("work-dvm").contains(taken.name()));
        admin.setFeature("work-dvm", "preload-dispvm-max", "0");
        Await.until("only the taken one is left", () -> admin.list().stream().filter(q -> q.klass() == QubeClass.DispVM).count() == 1);
        assertNull(admin.get("work-dvm").features().get("preload-dispvm"));
    }

    @Test
    void aPreloadedDisposableThatIsKilledIsReplaced() {
        create("work-dvm", QubeClass.AppVM, Map.of("template", "tpl", "template_for_dispvms", "True"));
        admin.setFeature("work-dvm", "preload-dispvm-max", "1");
        Await.until("one disposable preloaded", () -> ready("work-dvm").size() == 1);
        String killed = ready("work-dvm").get(0);

        admin.kill(killed);

        Await.until("the killed one is gone and another is preloaded",
                () -> admin.find(killed).isEmpty() && ready("work-dvm").size() == 1 && !ready("work-dvm").contains(killed));
    }

    @Test
    void thePreloadCountIsANumberAndTheReadyListIsThePlatforms() {
        create("work-dvm", QubeClass.AppVM, Map.of("template", "tpl", "template_for_dispvms", "True"));

        assertThrows(InvalidValueException.class, () -> admin.setFeature("work-dvm", "preload-dispvm-max", "many"));
        assertThrows(InvalidValueException.class, () -> admin.setFeature("work-dvm", "preload-dispvm-max", "17"));
        assertThrows(InvalidValueException.class, () -> admin.setFeature("work-dvm", "preload-dispvm", "disp1"));
    }

    private List<String> ready(String template) {
        String list = admin.get(template).features().getOrDefault("preload-dispvm", "");
        return list.isEmpty() ? List.of() : List.of(list.split(" "));
    }
}
