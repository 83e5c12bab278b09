package dev.bulkhead.setup.internal;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicReference;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import dev.bulkhead.api.AdminException;
import dev.bulkhead.api.InvalidStateException;
import dev.bulkhead.api.Label;
import dev.bulkhead.api.Qube;
import dev.bulkhead.api.QubeAdmin;
import dev.bulkhead.api.QubeClass;
import dev.bulkhead.api.QubeProperty;
import dev.bulkhead.api.QubeSpec;
import dev.bulkhead.api.Settings;
import dev.bulkhead.core.embed.EmbeddedPlatform;

/**
 * The setup against the real core, embedded on a data directory of its own, with the template step
 * declined (installing the shipped template is FirstRunIT's, on the real distribution): the Qubes
 * layout, what a setting declines, when it acts and when it refuses, and a setup stopped midway finished
 * by the next run, each step once.
 */
class SetupTest {
    @TempDir
    Path data;
    @TempDir
    Path templates;
    private EmbeddedPlatform platform;
    private QubeAdmin admin;
    private final List<String> said = new ArrayList<>();

    @BeforeEach
    void start() {
        platform = EmbeddedPlatform.start(data.resolve("platform"), Map.of(), getClass().getClassLoader());
        admin = platform.admin();
    }

    @AfterEach
    void stop() {
        platform.close();
    }

    private Setup setup() {
        return new Setup(admin, null, data, templates);
    }

    /** The settings: no template, and each given one as given. */
    private static SetupConfig config(String... keyAndValue) {
        Map<String, Object> settings = new LinkedHashMap<>(Map.of("template", ""));
        for (int i = 0; i < keyAndValue.length; i += 2) {
            settings.put(keyAndValue[i], keyAndValue[i + 1]);
        }
        return Settings.of(SetupConfig.class, settings);
    }

    private String row(String name) {
        Qube q = admin.get(name);
        return String.join(" ", q.klass().name(), q.label().id(), "netvm=" + q.value(QubeProperty.NETVM),
                "template=" + q.value(QubeProperty.TEMPLATE), "role=" + q.features().getOrDefault("role", "-"),
                "autostart=" + q.value(QubeProperty.AUTOSTART), "dvm=" + q.value(QubeProperty.TEMPLATE_FOR_DISPVMS));
    }

    private List<String> names() {
        return admin.list().stream().map(Qube::name).toList();
    }

    @Test
    void anEmptyPlatformGetsTheQubesLayout() {
        assertTrue(setup().run(config(), Setup.Mode.FIRST_START, said::add));

        assertEquals(List.of("dom0", "default-dvm", "minimal", "personal", "sys-firewall", "sys-net", "untrusted", "vault", "work"),
                names());
        assertEquals("AppVM red netvm= template=minimal role=netvm autostart=True dvm=False", row("sys-net"));
        assertEquals("AppVM green netvm=sys-net template=minimal role=firewall autostart=True dvm=False", row("sys-firewall"));
        assertEquals("AppVM red netvm=sys-firewall template=minimal role=- autostart=False dvm=True", row("default-dvm"));
        assertEquals("AppVM blue netvm=sys-firewall template=minimal role=- autostart=False dvm=False", row("work"));
        assertEquals("AppVM yellow netvm=sys-firewall template=minimal role=- autostart=False dvm=False", row("personal"));
        assertEquals("AppVM red netvm=sys-firewall template=minimal role=- autostart=False dvm=False", row("untrusted"));
        assertEquals("AppVM black netvm= template=minimal role=- autostart=False dvm=False", row("vault"));
        assertEquals("sys-firewall", admin.globalProperties().get("default_netvm").value());
        assertEquals("default-dvm", admin.globalProperties().get("default_dispvm").value());
        assertTrue(said.contains("made sys-net (red, role netvm, provides_network, autostart)"), said.toString());
        assertEquals("done: sys-net, sys-firewall, default-dvm, work, personal, untrusted, vault", said.get(said.size() - 1));
    }

    @Test
    void aDeclinedDefaultIsNotMadeAndWhatNamedItFollows() {
        setup().run(config("sys.firewall", "false", "default.dvm", "false", "untrusted", "false", "vault", "false"),
                Setup.Mode.COMMAND, said::add);

        assertEquals(List.of("dom0", "minimal", "personal", "sys-net", "work"), names());
        assertEquals("sys-net", admin.globalProperties().get("default_netvm").value(), "the netvm of every qube is sys-net");
        assertEquals("", admin.globalProperties().get("default_dispvm").value());
        assertEquals("sys-net", admin.get("work").value(QubeProperty.NETVM));
    }

    @Test
    void everythingDeclinedMakesNothing() {
        setup().run(config("sys.net", "false", "sys.firewall", "false", "default.dvm", "false", "work", "false", "personal", "false",
                "untrusted", "false", "vault", "false"), Setup.Mode.COMMAND, said::add);

        assertEquals(List.of("dom0", "minimal"), names());
        assertEquals("", admin.globalProperties().get("default_netvm").value());
    }

    @Test
    void qvmSetupRefusesAPlatformWithQubesAndChangesNothing() {
        admin.create(new QubeSpec("mine", QubeClass.AppVM, Label.ORANGE, Map.of()));

        InvalidStateException e = assertThrows(InvalidStateException.class, () -> setup().run(config(), Setup.Mode.COMMAND, said::add));

        assertTrue(e.getMessage().startsWith("the platform is set up already: it has qubes (mine); qvm:setup only sets up an empty"
                + " platform"), e.getMessage());
        assertEquals(List.of("dom0", "mine", "minimal"), names());
        assertFalse(Files.exists(data.resolve(SetupProgress.FILE)), "no setup was begun");
        assertFalse(setup().run(config(), Setup.Mode.IF_EMPTY, said::add), "qvm:setup --uplink leaves it as it is");
        assertFalse(setup().run(config(), Setup.Mode.FIRST_START, said::add), "and so does a first start");
        assertEquals(List.of("dom0", "mine", "minimal"), names());
    }

    @Test
    void theFirstStartActsOnceAndQvmSetupDoesItAgainOnAnEmptiedPlatform() {
        setup().run(config(), Setup.Mode.FIRST_START, said::add);
        admin.setGlobalProperty("default_netvm", "");
        admin.setGlobalProperty("default_dispvm", "");
        for (String q : List.of("work", "personal", "untrusted", "vault", "default-dvm", "sys-firewall", "sys-net")) {
            admin.remove(q);
        }

        assertFalse(setup().run(config(), Setup.Mode.FIRST_START, said::add), "a start after the first sets nothing up");
        assertEquals(List.of("dom0", "minimal"), names());

        assertTrue(setup().run(config("personal", "false"), Setup.Mode.COMMAND, said::add));
        assertEquals(List.of("dom0", "default-dvm", "minimal", "sys-firewall", "sys-net", "untrusted", "vault", "work"), names());
    }

    /** Stopped after sys-firewall (the platform killed, its bundle stopped): the next run goes on from there, each qube once. */
    @Test
    void aSetupStoppedMidwayIsFinishedByTheNextRun() throws InterruptedException {
        AtomicReference<RuntimeException> stopped = new AtomicReference<>();
        Thread first = new Thread(() -> {
            try {
                setup().run(config(), Setup.Mode.FIRST_START, line -> {
                    if (line.startsWith("made sys-firewall")) {
                        Thread.currentThread().interrupt();
                    }
                });
            } catch (RuntimeException e) {
                stopped.set(e);
            }
        });
        first.start();
        first.join();
        assertTrue(stopped.get() instanceof AdminException && stopped.get().getMessage().startsWith("the setup was stopped"),
                String.valueOf(stopped.get()));
        assertEquals(List.of("dom0", "minimal", "sys-firewall", "sys-net"), names());
        assertEquals(SetupProgress.State.RUNNING, SetupProgress.load(data).state());

        admin.create(new QubeSpec("made-meanwhile", QubeClass.AppVM, Label.ORANGE, Map.of()));
        assertTrue(setup().run(config(), Setup.Mode.FIRST_START, said::add), "the platform is not empty, but the setup was begun");

        assertEquals("going on with the setup that stopped midway: sys-net, sys-firewall, default-dvm, work, personal, untrusted, vault",
                said.get(0));
        assertFalse(said.stream().anyMatch(l -> l.startsWith("made sys-net") || l.startsWith("made sys-firewall")), said.toString());
        assertEquals(List.of("dom0", "default-dvm", "made-meanwhile", "minimal", "personal", "sys-firewall", "sys-net", "untrusted",
                "vault", "work"), names());
        assertEquals(SetupProgress.State.DONE, SetupProgress.load(data).state());
    }

    /** Killed between making a qube and giving it its role: the next run gives it its settings. */
    @Test
    void aQubeMadeButNotFinishedGetsItsSettingsFromTheNextRun() {
        SetupProgress.load(data).begin();
        admin.create(new QubeSpec("sys-net", QubeClass.AppVM, Label.RED, Map.of()));

        setup().run(config(), Setup.Mode.FIRST_START, said::add);

        assertEquals("AppVM red netvm= template=minimal role=netvm autostart=True dvm=False", row("sys-net"));
    }

    @Test
    void theTemplatePackageIsTheNewestOfItsNameInTemplates() throws IOException {
        Path old = Files.writeString(templates.resolve("bulkhead-debian-0.1.0.bht"), "old");
        Path newer = Files.writeString(templates.resolve("bulkhead-debian-0.2.0.bht"), "new");
        Files.writeString(templates.resolve("bulkhead-debian-extra-9.bht"), "another template");
        Files.writeString(templates.resolve("bulkhead-base-0.3.0.bht"), "another template");
        Files.setLastModifiedTime(old, FileTime.from(Instant.parse("2026-01-01T00:00:00Z")));
        Files.setLastModifiedTime(newer, FileTime.from(Instant.parse("2026-02-01T00:00:00Z")));

        assertEquals(newer, setup().packageOf("bulkhead-debian"));
        AdminException none = assertThrows(AdminException.class, () -> setup().packageOf("fedora"));
        assertTrue(none.getMessage().startsWith("there is no package of template fedora (fedora-VERSION.bht) in " + templates),
                none.getMessage());
    }
}
