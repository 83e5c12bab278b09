package dev.bulkhead.core.internal;

import dev.bulkhead.testing.Await;
import dev.bulkhead.testing.PassiveRole;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import dev.bulkhead.api.AdminException;
import dev.bulkhead.api.InvalidStateException;
import dev.bulkhead.api.Label;
import dev.bulkhead.api.PowerState;
import dev.bulkhead.api.QubeClass;
import dev.bulkhead.api.QubeEvent;
import dev.bulkhead.api.QubeProperty;
import dev.bulkhead.api.QubeSpec;
import dev.bulkhead.api.QubeStats;
import dev.bulkhead.api.hypervisor.DomainLinking;
import dev.bulkhead.api.hypervisor.DomainUplinking;
import dev.bulkhead.api.hypervisor.ExitNotifying;
import dev.bulkhead.api.hypervisor.HypervisorBackend;
import dev.bulkhead.api.hypervisor.LeftoverReconciling;
import dev.bulkhead.api.hypervisor.UplinkSpec;
import dev.bulkhead.api.hypervisor.UsageCounting;
import dev.bulkhead.api.hypervisor.VolumeStoring;
import dev.bulkhead.api.role.QubeRole;
import dev.bulkhead.api.role.RoleContext;

/**
 * A backend without one of the optional abilities: what needs it is refused with a message naming the backend and
 * what it cannot do, before anything changes; what can do without it goes on without it.
 */
class BackendAbilitiesTest {
    @TempDir
    Path data;
    final FakeBackend fake = new FakeBackend();
    final List<QubeEvent> events = new CopyOnWriteArrayList<>();
    QubeAdminService admin;

    /** The core on the fake, seen as a backend named qemu that lacks the given abilities. */
    private void bootLacking(Class<?>... missing) throws IOException {
        admin = new QubeAdminService(data, QubeAdminServiceTest.config("qemu"));
        admin.addListener(events::add);
        admin.addBackend(fake.lacking("qemu", missing));
        assertEquals("qemu", admin.backendName());
    }

    @AfterEach
    void close() {
        if (admin != null) {
            admin.deactivate();
        }
    }

    private void create(String name, QubeClass klass, Map<String, String> props) {
        admin.create(new QubeSpec(name, klass, Label.RED, props));
    }

    private byte[] state() throws IOException {
        return Files.readAllBytes(data.resolve(StateStore.FILE_NAME));
    }

    /**
     * Checks, when run, that nothing happened from now on: no backend call, no change to the state file, no event.
     * Events arrive in the order they are fired: a marker fired now and another at the end bracket what came between.
     */
    private Runnable nothingHappensAfter() throws IOException {
        int fired = mark();
        byte[] before = state();
        int calls = fake.calls.size();
        return () -> {
            try {
                assertArrayEquals(before, state(), "the state file changed");
            } catch (IOException e) {
                throw new java.io.UncheckedIOException(e);
            }
            assertEquals(List.of(), fake.calls.subList(calls, fake.calls.size()), "backend calls");
            assertEquals(fired + 1, mark(), "events between the markers: " + events.subList(fired, events.size()));
        };
    }

    /** Fires a marker event and waits for it; returns how many events have come, the marker included. */
    private int mark() {
        int before = events.size();
        admin.setGlobalProperty("default_dispvm", "none");
        Await.until("the marker event", () -> events.stream().skip(before)
                .anyMatch(e -> e.type().equals("global-property-set:default_dispvm")));
        return events.size();
    }

    @Test
    void aQubeWithANetvmIsRefusedBeforeItsNetvmStartsWhenTheBackendCannotLink() throws IOException {
        bootLacking(DomainLinking.class);
        create("sys-net", QubeClass.AppVM, Map.of("provides_network", "True"));
        create("work", QubeClass.AppVM, Map.of("netvm", "sys-net"));
        Runnable nothingHappened = nothingHappensAfter();

        InvalidStateException e = assertThrows(InvalidStateException.class, () -> admin.start("work"));

        assertEquals("cannot start 'work' with netvm 'sys-net': backend qemu cannot link a qube to a netvm", e.getMessage());
        assertEquals(PowerState.Halted, admin.get("work").state());
        assertEquals(PowerState.Halted, admin.get("sys-net").state());
        nothingHappened.run();
        // a qube without a netvm needs no link
        admin.start("sys-net");
        assertEquals(PowerState.Running, admin.get("sys-net").state());
    }

    @Test
    void aRunningQubeIsNotGivenANetvmWhenTheBackendCannotLink() throws IOException {
        bootLacking(DomainLinking.class);
        create("sys-net", QubeClass.AppVM, Map.of("provides_network", "True"));
        create("work", QubeClass.AppVM, Map.of());
        admin.start("sys-net");
        admin.start("work");
        Runnable nothingHappened = nothingHappensAfter();

        InvalidStateException e = assertThrows(InvalidStateException.class, () -> admin.setProperty("work", "netvm", "sys-net"));

        assertEquals("cannot give running 'work' netvm 'sys-net': backend qemu cannot link a qube to a netvm", e.getMessage());
        assertEquals("", admin.get("work").property(QubeProperty.NETVM).value());
        nothingHappened.run();
        // while it is halted, the setting is only configuration
        admin.kill("work");
        admin.setProperty("work", "netvm", "sys-net");
        assertEquals("sys-net", admin.get("work").property(QubeProperty.NETVM).value());
    }

    @Test
    void volumeOperationsAreRefusedWhenTheBackendKeepsNoVolumesButListingGoesOn() throws IOException {
        bootLacking(VolumeStoring.class);
        create("work", QubeClass.AppVM, Map.of());
        admin.start("work");
        admin.kill("work");
        assertTrue(Files.isDirectory(data.resolve("qubes/work/private")), "the start made the private volume's storage");
        Path content = Files.createDirectories(data.resolve("incoming/private"));
        long size = admin.volume("work", "private").size();
        Runnable nothingHappened = nothingHappensAfter();

        String lacks = ": backend qemu cannot copy, import, resize or revert volumes";
        assertEquals("cannot resize work:private" + lacks,
                assertThrows(InvalidStateException.class, () -> admin.resizeVolume("work", "private", 2 * size)).getMessage());
        assertEquals("cannot revert work:private" + lacks,
                assertThrows(InvalidStateException.class, () -> admin.revertVolume("work", "private", null)).getMessage());
        assertEquals("cannot import work:private" + lacks,
                assertThrows(InvalidStateException.class, () -> admin.importVolume("work", "private", content)).getMessage());
        assertEquals("cannot clone 'work'" + lacks,
                assertThrows(InvalidStateException.class, () -> admin.clone("work", "copy")).getMessage());

        nothingHappened.run();
        assertEquals(size, admin.volume("work", "private").size());
        assertTrue(Files.isDirectory(content), "the content to import is left where it was");
        assertFalse(admin.list().stream().anyMatch(q -> q.name().equals("copy")), "no clone was made");
        assertFalse(Files.exists(data.resolve("qubes/copy")), "no storage of a clone was made");
        assertEquals(0, admin.volume("work", "private").usage(), "usage is unknown without the backend's storage");
    }

    @Test
    void aRoleThatNeedsAnUplinkCannotRunItsQubeWhenTheBackendGivesNone() throws IOException {
        bootLacking(DomainUplinking.class);
        admin.addRole(new UplinkRole());
        create("sys-net", QubeClass.AppVM, Map.of("provides_network", "True"));
        admin.setFeature("sys-net", QubeRole.ROLE_FEATURE, "uplinked");

        AdminException e = assertThrows(AdminException.class, () -> admin.start("sys-net"));

        assertTrue(e.getMessage().endsWith("cannot give 'sys-net' an uplink: backend qemu cannot give a qube an uplink"),
                e.getMessage());
        assertEquals(PowerState.Halted, admin.get("sys-net").state());
        assertFalse(fake.calls.stream().anyMatch(c -> c.startsWith("attach-uplink")), fake.calls.toString());
    }

    @Test
    void withoutExitNotificationAQubeThatStopsByItselfIsFoundAtTheNextLook() throws IOException {
        bootLacking(ExitNotifying.class);
        assertEquals(List.of(), fake.exitListeners, "nothing to listen to");
        create("work", QubeClass.AppVM, Map.of());
        admin.start("work");

        fake.domains.remove("work");
        admin.syncStates();

        assertEquals(PowerState.Halted, admin.get("work").state());
    }

    @Test
    void aBackendThatTellsOfExitsIsListenedToWhileItIsThere() throws IOException {
        admin = new QubeAdminService(data, QubeAdminServiceTest.config("auto"));
        admin.addBackend(fake);
        assertEquals(1, fake.exitListeners.size(), "the core listens");

        admin.removeBackend(fake);

        assertEquals(List.of(), fake.exitListeners, "the core stopped listening");
    }

    @Test
    void withoutLeftoverReconciliationATakeOverGoesOnWithoutIt() throws IOException {
        bootLacking(LeftoverReconciling.class);
        create("work", QubeClass.AppVM, Map.of());
        admin.start("work");
        admin.deactivate();

        bootLacking(LeftoverReconciling.class);

        assertEquals(List.of(), fake.reconciled, "nothing to reconcile with");
        assertEquals(PowerState.Running, admin.get("work").state(), "the running qube is taken over");
    }

    @Test
    void withoutUsageCountingARunningQubeHasNoStatistics() throws IOException {
        bootLacking(UsageCounting.class);
        create("work", QubeClass.AppVM, Map.of());
        admin.start("work");
        fake.stats.put("work", new QubeStats(1, 2, Instant.now()));

        assertEquals(java.util.Optional.empty(), admin.stats("work"));
    }

    @Test
    void aBackendLacksOnlyWhatItDoesNotImplement() {
        HypervisorBackend none = fake.lacking("qemu", FakeBackend.ABILITIES.toArray(Class<?>[]::new));
        for (Class<?> ability : FakeBackend.ABILITIES) {
            assertTrue(ability.isInstance(fake), ability.getSimpleName());
            assertFalse(ability.isInstance(none), ability.getSimpleName());
        }
        BackendAbilities abilities = BackendAbilities.of(none);
        assertEquals("cannot do it: backend qemu cannot link a qube to a netvm",
                assertThrows(InvalidStateException.class, () -> abilities.links("cannot do it")).getMessage());
        assertEquals(java.util.Optional.empty(), abilities.usage());
        assertTrue(BackendAbilities.of(fake).usage().isPresent());
    }

    /** A role that gives its qube an uplink when it starts, as the netvm role does. */
    private static final class UplinkRole extends PassiveRole {
        UplinkRole() {
            super("uplinked", "needs an uplink", true);
        }

        @Override
        public void started(RoleContext context) {
            context.attachUplink(new UplinkSpec(UplinkSpec.Mode.VETH, "up0", null, "eth1"));
        }
    }
}
