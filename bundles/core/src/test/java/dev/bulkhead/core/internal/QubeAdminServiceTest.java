package dev.bulkhead.core.internal;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.lang.annotation.Annotation;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import dev.bulkhead.api.AdminException;
import dev.bulkhead.api.InvalidStateException;
import dev.bulkhead.api.InvalidValueException;
import dev.bulkhead.api.Label;
import dev.bulkhead.api.NoSuchQubeException;
import dev.bulkhead.api.PowerState;
import dev.bulkhead.api.PropertyValue;
import dev.bulkhead.api.Qube;
import dev.bulkhead.api.QubeAdmin;
import dev.bulkhead.api.QubeClass;
import dev.bulkhead.api.QubeEvent;
import dev.bulkhead.api.QubeProperty;
import dev.bulkhead.api.QubeSpec;
import dev.bulkhead.api.QubeStats;
import dev.bulkhead.api.firewall.FirewallRule;
import dev.bulkhead.testing.Await;

class QubeAdminServiceTest {
    @TempDir
    Path data;
    FakeBackend backend;
    QubeAdminService admin;
    final List<QubeEvent> events = new CopyOnWriteArrayList<>();

    static CoreConfig config(String backend) {
        return config(backend, 30);
    }

    static CoreConfig config(String backend, int adoptedRoleWait) {
        return new CoreConfig() {
            @Override
            public Class<? extends Annotation> annotationType() {
                return CoreConfig.class;
            }

            @Override
            public String backend() {
                return backend;
            }

            @Override
            public int shutdown_timeout() {
                return 5;
            }

            @Override
            public int adopted_role_wait() {
                return adoptedRoleWait;
            }
        };
    }

    @BeforeEach
    void boot() throws IOException {
        backend = new FakeBackend();
        admin = newAdmin();
    }

    QubeAdminService newAdmin() throws IOException {
        QubeAdminService a = new QubeAdminService(data, config("auto"));
        a.addListener(events::add);
        a.addBackend(backend);
        return a;
    }

    @AfterEach
    void close() {
        admin.deactivate();
    }

    Qube create(String name, QubeClass klass, Map<String, String> props) {
        return admin.create(new QubeSpec(name, klass, Label.RED, props));
    }

    byte[] stateBytes() throws IOException {
        return Files.readAllBytes(data.resolve(StateStore.FILE_NAME));
    }

    @Test
    void autostartQubesStartOnceTheirRoleIsPresentAndComeBackWithIt() throws IOException {
        create("sys-relay", QubeClass.AppVM, Map.of("provides_network", "True", "autostart", "True"));
        admin.setFeature("sys-relay", "role", "relay");
        create("work", QubeClass.AppVM, Map.of("netvm", "sys-relay", "autostart", "True"));
        admin.deactivate();
        backend = new FakeBackend();
        // A boot: nothing runs, and the role's bundle is not there yet.
        admin = newAdmin();
        dev.bulkhead.api.role.QubeRole relay = new RelayRoleProvider().create(Map.of());
        assertEquals(PowerState.Halted, admin.get("sys-relay").state());

        admin.addRole(relay);

        Await.until("sys-relay and work to start with the role", () -> admin.get("sys-relay").state() == PowerState.Running
                && admin.get("work").state() == PowerState.Running);
        assertEquals("sys-relay", backend.links.get("work").netvm());

        admin.removeRole(relay);

        assertEquals(PowerState.Halted, admin.get("sys-relay").state());
        assertFalse(backend.links.containsKey("work"), "work kept a link to a netvm whose role left");

        admin.addRole(relay);

        Await.until("sys-relay to come back and work to be linked to it again",
                () -> admin.get("sys-relay").state() == PowerState.Running && backend.links.containsKey("work"));
    }

    /** A role that records what the core hands it, and can refuse to take a qube back. */
    static final class RecordingRole implements dev.bulkhead.api.role.QubeRole {
        final List<String> calls = new CopyOnWriteArrayList<>();
        final String id;
        volatile boolean refuseAdoption;
        /** Clients are refused their link. */
        volatile boolean refuseClients;
        /** A client whose rules hold this one cannot have them in force. */
        volatile String refusedRule;
        volatile List<String> problems = List.of();

        RecordingRole() {
            this("relay");
        }

        RecordingRole(String id) {
            this.id = id;
        }

        @Override
        public String id() {
            return id;
        }

        @Override
        public String description() {
            return "records";
        }

        @Override
        public boolean providesNetwork() {
            return true;
        }

        @Override
        public void started(dev.bulkhead.api.role.RoleContext context) {
            calls.add("started " + context.qube().name());
        }

        @Override
        public void adopted(dev.bulkhead.api.role.RoleContext context) {
            calls.add("adopted " + context.qube().name());
            if (refuseAdoption) {
                throw new AdminException("cannot take it back");
            }
        }

        @Override
        public void stopping(dev.bulkhead.api.role.RoleContext context) {
            calls.add("stopping " + context.qube().name());
        }

        @Override
        public void clientAttached(dev.bulkhead.api.role.RoleContext context, dev.bulkhead.api.hypervisor.LinkEndpoint link) {
            calls.add("attached " + link.link().client() + " to " + context.qube().name());
            if (refuseClients) {
                throw new AdminException("'" + context.qube().name() + "' takes no clients");
            }
        }

        @Override
        public void clientDetached(dev.bulkhead.api.role.RoleContext context, dev.bulkhead.api.hypervisor.LinkEndpoint link) {
            calls.add("detached " + link.link().client());
        }

        @Override
        public void clientChanged(dev.bulkhead.api.role.RoleContext context, dev.bulkhead.api.hypervisor.LinkEndpoint link) {
            List<FirewallRule> rules = context.firewallRules(link.link().client());
            calls.add("changed " + link.link().client() + " " + rules);
            if (rules.stream().anyMatch(r -> r.toString().equals(refusedRule))) {
                throw new AdminException("cannot have " + refusedRule);
            }
        }

        @Override
        public List<String> clientProblems(dev.bulkhead.api.role.RoleContext context, dev.bulkhead.api.hypervisor.LinkEndpoint link) {
            return problems;
        }
    }

    /** sys-relay (role relay) and work behind it, work with rules of its own, both running. */
    private RecordingRole runningBehindARelay() {
        RecordingRole role = new RecordingRole();
        admin.addRole(role);
        create("sys-relay", QubeClass.AppVM, Map.of("provides_network", "True"));
        admin.setFeature("sys-relay", "role", "relay");
        create("work", QubeClass.AppVM, Map.of("netvm", "sys-relay"));
        admin.setFirewallRules("work", List.of(FirewallRule.parse("action=accept proto=tcp dstports=443", Instant.now())));
        admin.start("work");
        return role;
    }

    /** Rules the netvm's role cannot put in force are refused, and the command changes nothing: the previous rules are back. */
    @Test
    void firewallRulesTheNetvmCannotPutInForceAreNotKept() throws IOException {
        RecordingRole role = runningBehindARelay();
        List<FirewallRule> before = admin.firewallRules("work");
        byte[] file = stateBytes();
        role.refusedRule = "action=drop";
        role.calls.clear();

        AdminException e = assertThrows(AdminException.class,
                () -> admin.setFirewallRules("work", List.of(FirewallRule.parse("action=drop", Instant.now()))));

        assertEquals(before, admin.firewallRules("work"));
        assertArrayEquals(file, stateBytes());
        assertEquals(List.of("changed work [action=drop]", "changed work " + before), role.calls, "the role has the previous rules again");
        assertTrue(e.getMessage().contains("cannot have action=drop") && e.getMessage().contains("its previous rules are back"), e.getMessage());
    }

    /** Edits of a qube's rules from several threads at once are applied one after another: none is lost. */
    @Test
    void concurrentFirewallEditsAreAllKept() throws Exception {
        create("work", QubeClass.AppVM, Map.of());
        int writers = 8;
        int each = 25;
        java.util.concurrent.ExecutorService pool = java.util.concurrent.Executors.newFixedThreadPool(writers);
        try {
            java.util.concurrent.CountDownLatch go = new java.util.concurrent.CountDownLatch(1);
            List<java.util.concurrent.Future<?>> done = new java.util.ArrayList<>();
            for (int w = 0; w < writers; w++) {
                int writer = w;
                done.add(pool.submit(() -> {
                    go.await();
                    for (int i = 0; i < each; i++) {
                        FirewallRule rule = FirewallRule.parse("action=accept comment=w" + writer + "-" + i, Instant.now());
                        admin.editFirewallRules("work", rules -> {
                            List<FirewallRule> more = new java.util.ArrayList<>(rules);
                            more.add(0, rule);
                            return more;
                        });
                    }
                    return null;
                }));
            }
            go.countDown();
            for (java.util.concurrent.Future<?> f : done) {
                f.get(1, java.util.concurrent.TimeUnit.MINUTES);
            }
        } finally {
            pool.shutdownNow();
        }
        assertEquals(writers * each + 1, admin.firewallRules("work").size(), "every edit is kept, and the accept-all rule");
        assertEquals(writers * each + 1, newAdmin().firewallRules("work").size(), "and saved");
    }

    /** An edit that throws changes nothing, on disk or in the rules. */
    @Test
    void aFirewallEditThatThrowsChangesNothing() throws IOException {
        create("work", QubeClass.AppVM, Map.of());
        List<FirewallRule> before = admin.firewallRules("work");
        byte[] file = stateBytes();

        assertThrows(dev.bulkhead.api.InvalidValueException.class, () -> admin.editFirewallRules("work", rules -> {
            throw new dev.bulkhead.api.InvalidValueException("rule", "9", "a rule number from 0 to 0");
        }));
        assertThrows(dev.bulkhead.api.InvalidValueException.class, () -> admin.editFirewallRules("work", rules -> java.util.Arrays.asList((FirewallRule) null)));

        assertEquals(before, admin.firewallRules("work"));
        assertArrayEquals(file, stateBytes());
    }

    /** A running qube moved to a netvm whose role refuses it stays on its previous netvm, setting and link. */
    @Test
    void aNetvmWhoseRoleRefusesTheQubeIsNotKept() throws IOException {
        runningBehindARelay();
        RecordingRole picky = new RecordingRole("picky");
        picky.refuseClients = true;
        admin.addRole(picky);
        create("sys-picky", QubeClass.AppVM, Map.of("provides_network", "True"));
        admin.setFeature("sys-picky", "role", "picky");
        admin.start("sys-picky");
        byte[] file = stateBytes();

        AdminException e = assertThrows(AdminException.class, () -> admin.setProperty("work", "netvm", "sys-picky"));

        assertEquals("sys-relay", admin.get("work").value(QubeProperty.NETVM));
        assertEquals("sys-relay", backend.links.get("work").netvm());
        assertArrayEquals(file, stateBytes());
        assertTrue(e.getMessage().contains("takes no clients") && e.getMessage().contains("back on its previous netvm"), e.getMessage());
    }

    @Test
    void firewallProblemsAreWhatTheRoleOfTheRunningQubesNetvmSays() {
        RecordingRole role = runningBehindARelay();
        role.problems = List.of("rule 0 allows nothing for now");
        assertEquals(role.problems, admin.firewallProblems("work"));
        admin.kill("work");
        assertEquals(List.of(), admin.firewallProblems("work"), "a halted qube's rules are in force nowhere, and wrong nowhere");
        assertEquals(List.of(), admin.firewallProblems("dom0"));
        assertThrows(NoSuchQubeException.class, () -> admin.firewallProblems("nosuch"));
    }

    /** sys-relay (role relay) with work behind it, both running, then the core restarts with the backend's domains still up. */
    private RecordingRole restartWithARunningRoleQube(int adoptedRoleWait) throws IOException {
        RecordingRole before = new RecordingRole();
        admin.addRole(before);
        create("sys-relay", QubeClass.AppVM, Map.of("provides_network", "True"));
        admin.setFeature("sys-relay", "role", "relay");
        create("work", QubeClass.AppVM, Map.of("netvm", "sys-relay"));
        admin.start("work");
        assertEquals(List.of("started sys-relay", "attached work to sys-relay"), before.calls);
        admin.deactivate();
        admin = new QubeAdminService(data, config("auto", adoptedRoleWait));
        admin.addListener(events::add);
        admin.addBackend(backend);
        return new RecordingRole();
    }

    @Test
    void rolesThatStopWithThePlatformLeaveTheirQubesRunning() throws IOException {
        admin.deactivate();
        java.util.concurrent.atomic.AtomicBoolean stopping = new java.util.concurrent.atomic.AtomicBoolean();
        admin = new QubeAdminService(data, config("auto"), stopping::get);
        admin.addBackend(backend);
        RecordingRole role = new RecordingRole();
        admin.addRole(role);
        create("sys-relay", QubeClass.AppVM, Map.of("provides_network", "True"));
        admin.setFeature("sys-relay", "role", "relay");
        create("work", QubeClass.AppVM, Map.of("netvm", "sys-relay"));
        admin.start("work");

        stopping.set(true);
        admin.removeRole(role);

        assertEquals(PowerState.Running, admin.get("sys-relay").state());
        assertEquals("sys-relay", backend.links.get("work").netvm());
        assertFalse(role.calls.contains("stopping sys-relay"), role.calls.toString());
    }

    @Test
    void aRunningQubeFoundAtStartIsHandedToItsRoleWithItsClientsWhenTheRoleArrives() throws IOException {
        RecordingRole role = restartWithARunningRoleQube(30);
        assertEquals(PowerState.Running, admin.get("sys-relay").state());

        admin.addRole(role);

        Await.until("the role to take sys-relay back", () -> role.calls.size() == 2);
        assertEquals(List.of("adopted sys-relay", "attached work to sys-relay"), role.calls);
        assertEquals(PowerState.Running, admin.get("sys-relay").state());
        assertEquals("sys-relay", backend.links.get("work").netvm());
    }

    @Test
    void aRoleThatCannotTakeItsQubeBackStopsItAndCutsItsClientsOff() throws IOException {
        RecordingRole role = restartWithARunningRoleQube(30);
        role.refuseAdoption = true;

        admin.addRole(role);

        Await.until("sys-relay to stop", () -> admin.get("sys-relay").state() == PowerState.Halted);
        assertEquals(PowerState.Running, admin.get("work").state());
        assertFalse(backend.links.containsKey("work"), "work kept its link to a netvm its role refused");
    }

    @Test
    void aRunningQubeWhoseRoleDoesNotComeBackIsStopped() throws IOException {
        restartWithARunningRoleQube(0);

        Await.until("sys-relay to stop without its role", () -> admin.get("sys-relay").state() == PowerState.Halted);
        assertFalse(backend.links.containsKey("work"), "work kept its link to a netvm without its role");
    }

    @Test
    void freshPlatformHasDom0AndAFirstTemplate() {
        List<Qube> all = admin.list();
        assertEquals("dom0", all.get(0).name());
        assertEquals(0, all.get(0).qid());
        assertEquals(QubeClass.AdminVM, all.get(0).klass());
        assertEquals(PowerState.Running, all.get(0).state());
        assertEquals(QubeClass.TemplateVM, admin.get("minimal").klass());
        assertEquals("minimal", admin.globalProperties().get("default_template").value());
    }

    @Test
    void createdAppVmTakesDefaultTemplateAndShowsDefaultsWithTheirSource() {
        Qube work = create("work", QubeClass.AppVM, Map.of());
        assertEquals("minimal", work.value(QubeProperty.TEMPLATE));
        PropertyValue memory = work.property(QubeProperty.MEMORY);
        assertTrue(memory.isDefault());
        assertEquals("400", memory.value());
        assertEquals("template minimal", memory.source());
        assertEquals(Label.RED, work.label());
        assertEquals(PowerState.Halted, work.state());
    }

    @Test
    void qidsAreAllocatedLowestFree() {
        assertEquals(2, create("a", QubeClass.AppVM, Map.of()).qid());
        assertEquals(3, create("b", QubeClass.AppVM, Map.of()).qid());
        admin.remove("a");
        assertEquals(2, create("c", QubeClass.AppVM, Map.of()).qid());
    }

    @Test
    void everyRefusedChangeLeavesTheStateFileByteIdentical() throws IOException {
        create("work", QubeClass.AppVM, Map.of());
        create("sys-net", QubeClass.AppVM, Map.of("provides_network", "True"));
        admin.setProperty("work", "netvm", "sys-net");
        create("plain", QubeClass.AppVM, Map.of());
        byte[] before = stateBytes();
        List<Runnable> bad = List.of(
                () -> create("1abc", QubeClass.AppVM, Map.of()),
                () -> create("a b", QubeClass.AppVM, Map.of()),
                () -> create("a".repeat(32), QubeClass.AppVM, Map.of()),
                () -> create("none", QubeClass.AppVM, Map.of()),
                () -> create("default", QubeClass.AppVM, Map.of()),
                () -> create("Domain-0", QubeClass.AppVM, Map.of()),
                () -> create("x-dm", QubeClass.AppVM, Map.of()),
                () -> create("work", QubeClass.AppVM, Map.of()),
                () -> create("new", QubeClass.AppVM, Map.of("memory", "abc")),
                () -> create("new", QubeClass.AppVM, Map.of("template", "work")),
                () -> create("new", QubeClass.AdminVM, Map.of()),
                () -> admin.setProperty("work", "memory", "-1"),
                () -> admin.setProperty("work", "memory", "0"),
                () -> admin.setProperty("work", "vcpus", "0"),
                () -> admin.setProperty("work", "maxmem", "100"),
                () -> admin.setProperty("work", "netvm", "plain"),
                () -> admin.setProperty("work", "netvm", "nosuch"),
                () -> admin.setProperty("sys-net", "netvm", "work"),
                () -> admin.setProperty("sys-net", "netvm", "sys-net"),
                () -> admin.setProperty("sys-net", "provides_network", "False"),
                () -> admin.setProperty("work", "template", "work"),
                () -> admin.setProperty("work", "name", "other"),
                () -> admin.setProperty("work", "qid", "9"),
                () -> admin.setProperty("work", "klass", "TemplateVM"),
                () -> admin.setProperty("work", "nosuch", "1"),
                () -> admin.setProperty("work", "label", "pink"),
                () -> admin.setProperty("work", "autostart", "maybe"),
                () -> admin.setProperty("minimal", "template", "minimal"),
                () -> admin.setProperty("dom0", "label", "red"),
                () -> admin.setFeature("work", "bad key", "v"),
                () -> admin.addTag("work", "bad/tag"),
                () -> admin.remove("sys-net"),
                () -> admin.remove("dom0"),
                () -> admin.setGlobalProperty("default_netvm", "plain"),
                () -> admin.setGlobalProperty("default_template", "work"));
        for (Runnable r : bad) {
            assertThrows(AdminException.class, r::run);
            assertArrayEquals(before, stateBytes());
        }
        assertEquals(List.of("dom0", "minimal", "plain", "sys-net", "work"), admin.list().stream().map(Qube::name).toList());
    }

    @Test
    void errorsNameTheOffendingValue() {
        InvalidValueException e = assertThrows(InvalidValueException.class, () -> create("1abc", QubeClass.AppVM, Map.of()));
        assertTrue(e.getMessage().contains("'1abc'"), e.getMessage());
        create("work", QubeClass.AppVM, Map.of());
        e = assertThrows(InvalidValueException.class, () -> admin.setProperty("work", "memory", "lots"));
        assertTrue(e.getMessage().contains("'lots'") && e.getMessage().contains("whole number"), e.getMessage());
        e = assertThrows(InvalidValueException.class, () -> admin.setProperty("work", "label", "pink"));
        assertTrue(e.getMessage().contains("'pink'") && e.getMessage().contains("purple"), e.getMessage());
    }

    @Test
    void netvmLoopIsRefusedNamingTheLoop() {
        create("a", QubeClass.AppVM, Map.of("provides_network", "True"));
        create("b", QubeClass.AppVM, Map.of("provides_network", "True", "netvm", "a"));
        InvalidValueException e = assertThrows(InvalidValueException.class, () -> admin.setProperty("a", "netvm", "b"));
        assertTrue(e.getMessage().contains("a -> b -> a"), e.getMessage());
    }

    @Test
    void startingAQubeStartsItsNetvmChainFirstAndLinksIt() {
        create("sys-net", QubeClass.AppVM, Map.of("provides_network", "True"));
        create("sys-firewall", QubeClass.AppVM, Map.of("provides_network", "True", "netvm", "sys-net"));
        create("work", QubeClass.AppVM, Map.of("netvm", "sys-firewall"));
        admin.start("work");
        assertEquals(List.of("start sys-net", "start sys-firewall", "connect sys-firewall sys-net", "start work",
                "connect work sys-firewall"), backend.calls);
        assertEquals("10.137.0.4", backend.links.get("work").clientAddress());
        assertEquals("10.137.0.3", backend.links.get("work").gatewayAddress());
        assertEquals(PowerState.Running, admin.get("sys-net").state());
    }

    @Test
    void netvmWithRunningClientsRefusesShutdownUnlessForced() {
        create("sys-net", QubeClass.AppVM, Map.of("provides_network", "True"));
        create("work", QubeClass.AppVM, Map.of("netvm", "sys-net"));
        admin.start("work");
        InvalidStateException e = assertThrows(InvalidStateException.class,
                () -> admin.shutdown("sys-net", false, true, Duration.ofSeconds(1)));
        assertTrue(e.getMessage().contains("work"), e.getMessage());
        assertEquals(PowerState.Running, admin.get("sys-net").state());
        admin.shutdown("sys-net", true, true, Duration.ofSeconds(1));
        assertEquals(PowerState.Halted, admin.get("sys-net").state());
        assertFalse(backend.links.containsKey("work"));
        admin.start("sys-net");
        assertTrue(backend.links.containsKey("work"), "a restarted netvm gets its running clients back");
    }

    @Test
    void templateChangesOnlyWhileHalted() {
        create("work", QubeClass.AppVM, Map.of());
        create("other", QubeClass.TemplateVM, Map.of());
        admin.start("work");
        assertThrows(InvalidStateException.class, () -> admin.setProperty("work", "template", "other"));
        admin.shutdown("work", false, true, null);
        admin.setProperty("work", "template", "other");
        assertEquals("other", admin.get("work").value(QubeProperty.TEMPLATE));
    }

    @Test
    void runStartsAHaltedQube() {
        create("work", QubeClass.AppVM, Map.of());
        assertEquals("work", admin.run("work", List.of("hostname"), null, null).stdoutText());
        assertEquals(PowerState.Running, admin.get("work").state());
    }

    @Test
    void restartOfThePlatformReadoptsRunningQubesAndCleansOrphans() throws IOException {
        create("work", QubeClass.AppVM, Map.of());
        admin.start("work");
        backend.domains.put("ghost", PowerState.Running);
        admin.deactivate();
        backend.calls.clear();
        admin = newAdmin();
        assertEquals(PowerState.Running, admin.get("work").state());
        assertFalse(backend.calls.contains("start work"));
        assertTrue(backend.calls.containsAll(List.of("kill ghost", "destroy ghost")), backend.calls.toString());
    }

    @Test
    void stateSurvivesAReload() throws IOException {
        create("work", QubeClass.AppVM, Map.of("memory", "512"));
        admin.setFeature("work", "role", "netvm");
        admin.addTag("work", "banking");
        admin.deactivate();
        admin = newAdmin();
        Qube work = admin.get("work");
        assertEquals("512", work.value(QubeProperty.MEMORY));
        assertEquals(Map.of("role", "netvm"), work.features());
        assertEquals(List.of("banking"), List.copyOf(work.tags()));
    }

    @Test
    void anUnreadableStateFileIsNeverOverwritten() throws IOException {
        Files.writeString(data.resolve(StateStore.FILE_NAME), "{ not json");
        admin.deactivate();
        admin = newAdmin();
        byte[] before = stateBytes();
        AdminException e = assertThrows(AdminException.class, () -> create("work", QubeClass.TemplateVM, Map.of()));
        assertTrue(e.getMessage().contains(StateStore.FILE_NAME), e.getMessage());
        assertArrayEquals(before, stateBytes());
        assertFalse(admin.stateProblems().isEmpty());
    }

    @Test
    void oneBadQubeAndUnknownFieldsAreReportedTheRestLoads() throws IOException {
        String json = """
                {"version":1,"global":{"default_template":"minimal"},"qubes":[
                 {"name":"minimal","qid":1,"klass":"TemplateVM","properties":{"label":"black"},"features":{},"tags":[]},
                 {"name":"good","qid":2,"klass":"AppVM","properties":{"label":"red","template":"minimal"},"colour":"x"},
                 {"name":"9bad","qid":3,"klass":"AppVM","properties":{"label":"red"}}]}
                """;
        Files.writeString(data.resolve(StateStore.FILE_NAME), json);
        admin.deactivate();
        admin = newAdmin();
        assertTrue(admin.find("good").isPresent());
        assertTrue(admin.find("9bad").isEmpty());
        assertTrue(admin.stateProblems().stream().anyMatch(p -> p.contains("colour")), admin.stateProblems().toString());
        assertTrue(admin.stateProblems().stream().anyMatch(p -> p.contains("9bad")), admin.stateProblems().toString());
        admin.addTag("good", "kept");
        String saved = new String(stateBytes(), StandardCharsets.UTF_8);
        assertTrue(saved.contains("9bad"), "the unreadable entry is written back unchanged");
    }

    @Test
    void aTornWriteLeavesTheStateFileLoadable() throws IOException {
        create("work", QubeClass.AppVM, Map.of());
        Files.writeString(data.resolve(StateStore.TEMP_PREFIX + "123"), "{\"version\":1,\"qu");
        admin.deactivate();
        admin = newAdmin();
        assertTrue(admin.find("work").isPresent());
        assertFalse(Files.exists(data.resolve(StateStore.TEMP_PREFIX + "123")));
    }

    @Test
    void eventsArriveInOrder() throws Exception {
        create("work", QubeClass.AppVM, Map.of());
        admin.setProperty("work", "memory", "800");
        admin.start("work");
        admin.deactivate();
        List<String> types = events.stream().map(QubeEvent::type).toList();
        assertEquals(List.of("domain-add", "property-set:memory", "domain-pre-start", "domain-start"), types);
        QubeEvent set = events.get(1);
        assertEquals("800", set.data().get("newvalue"));
        assertEquals("400", set.data().get("oldvalue"));
        admin = newAdmin();
    }

    @Test
    void unknownQubeIsNamed() {
        NoSuchQubeException e = assertThrows(NoSuchQubeException.class, () -> admin.start("ghost"));
        assertTrue(e.getMessage().contains("'ghost'"));
    }

    @Test
    void removeDestroysHostResourcesAndPrivateData() {
        create("work", QubeClass.AppVM, Map.of());
        admin.start("work");
        admin.kill("work");
        assertTrue(Files.isDirectory(data.resolve("qubes/work/private/current")), "made at the first start");
        admin.remove("work");
        assertTrue(backend.calls.contains("destroy work"));
        assertFalse(Files.exists(data.resolve("qubes/work")));
    }

    @Test
    void cloneCopiesPrivateDataAndVolumeSettings() throws IOException {
        create("work", QubeClass.AppVM, Map.of("memory", "600"));
        admin.start("work");
        admin.kill("work");
        Files.writeString(data.resolve("qubes/work/private/current/note"), "hello");
        admin.setVolumeRevisionsToKeep("work", "private", 2);
        Qube copy = admin.clone("work", "work2");
        assertEquals("600", copy.value(QubeProperty.MEMORY));
        assertEquals("hello", Files.readString(data.resolve("qubes/work2/private/current/note")));
        assertEquals(2, admin.volume("work2", "private").revisionsToKeep());
    }

    @Test
    void cloneOfAQubeNeverStartedCopiesNoStorage() {
        create("work", QubeClass.AppVM, Map.of());
        admin.clone("work", "work2");
        assertTrue(backend.calls.stream().noneMatch(c -> c.startsWith("copy ")), backend.calls.toString());
    }


    @Test
    void aQubeThatStopsByItselfIsNoticedAndItsClientsCutOff() {
        create("sys-net", QubeClass.AppVM, Map.of("provides_network", "True"));
        create("work", QubeClass.AppVM, Map.of("netvm", "sys-net"));
        admin.start("work");
        backend.domains.remove("sys-net");
        admin.syncStates();
        assertEquals(PowerState.Halted, admin.get("sys-net").state());
        assertFalse(backend.links.containsKey("work"));
        assertEquals(PowerState.Running, admin.get("work").state());
        admin.start("sys-net");
        assertTrue(backend.links.containsKey("work"));
    }

    @Test
    void startOfAQubeThatDiedUnnoticedWorks() {
        create("work", QubeClass.AppVM, Map.of());
        admin.start("work");
        backend.domains.remove("work");
        admin.start("work");
        assertEquals(PowerState.Running, admin.get("work").state());
    }

    @Test
    void anUnreadableStateFileNeverCostsARunningQube() throws IOException {
        create("work", QubeClass.AppVM, Map.of());
        admin.start("work");
        admin.deactivate();
        Files.writeString(data.resolve(StateStore.FILE_NAME), "{ not json");
        admin = newAdmin();
        assertEquals(PowerState.Running, backend.domains.get("work"));
        assertFalse(backend.calls.contains("kill work"));
    }

    @Test
    void theNameAndQidOfAnEntryKeptAsideStayReserved() throws IOException {
        Files.writeString(data.resolve(StateStore.FILE_NAME), """
                {"version":1,"global":{},"qubes":[
                 {"name":"odd","qid":1,"klass":"TemplateVM","properties":{"label":"pink"}}]}
                """);
        admin.deactivate();
        admin = newAdmin();
        assertThrows(InvalidValueException.class, () -> create("odd", QubeClass.TemplateVM, Map.of()));
        assertEquals(2, create("other", QubeClass.TemplateVM, Map.of()).qid());
    }

    @Test
    void firewallRulesDefaultToAcceptArePersistedAndExpire() throws IOException {
        create("work", QubeClass.AppVM, Map.of());
        assertEquals(List.of(FirewallRule.ACCEPT_ALL), admin.firewallRules("work"));
        Instant now = Instant.now();
        List<FirewallRule> rules = List.of(
                FirewallRule.parse("action=accept proto=tcp dsthost=192.0.2.1 dstports=443", now),
                FirewallRule.parse("action=accept specialtarget=dns expire=+1", now.minusSeconds(10)),
                FirewallRule.parse("action=drop", now));
        admin.setFirewallRules("work", rules);
        assertEquals(List.of(rules.get(0), rules.get(2)), admin.firewallRules("work"), "an expired rule no longer applies");
        admin.pruneExpiredRules();
        admin.deactivate();
        admin = newAdmin();
        assertEquals(List.of(rules.get(0), rules.get(2)), admin.firewallRules("work"));
        assertFalse(new String(stateBytes(), StandardCharsets.UTF_8).contains("specialtarget"), "pruned from the file");
        assertTrue(events.stream().anyMatch(e -> e.type().equals("firewall-changed")));
    }

    @Test
    void aQubeThatProvidesNetworkTakesNoNetvmFromTheGlobalDefault() {
        create("sys-net", QubeClass.AppVM, Map.of("provides_network", "True"));
        create("sys-firewall", QubeClass.AppVM, Map.of("provides_network", "True", "netvm", "sys-net"));
        admin.setGlobalProperty("default_netvm", "sys-firewall");
        Qube net = admin.get("sys-net");
        assertEquals("", net.value(QubeProperty.NETVM));
        assertEquals("it provides network", net.property(QubeProperty.NETVM).source());
        assertEquals("sys-firewall", create("work", QubeClass.AppVM, Map.of()).value(QubeProperty.NETVM));
    }

    @Test
    void statsComeFromTheBackendWhileTheQubeRuns() {
        admin.create(new QubeSpec("work", QubeClass.AppVM, Label.RED, Map.of()));
        QubeStats sample = new QubeStats(1_500_000_000L, 64L << 20, Instant.EPOCH);
        backend.stats.put("work", sample);
        assertTrue(admin.stats("work").isEmpty(), "a halted qube has no stats");
        admin.start("work");
        assertEquals(sample, admin.stats("work").orElseThrow());
        admin.kill("work");
        assertTrue(admin.stats("work").isEmpty(), "a killed qube has no stats");
        assertTrue(admin.stats(QubeAdmin.DOM0).isEmpty(), "dom0 has none");
        assertThrows(NoSuchQubeException.class, () -> admin.stats("nothing"));
    }
}
