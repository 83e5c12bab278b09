package dev.bulkhead.it;

import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertFalse;
import static org.junit.Assert.assertTrue;
import static org.junit.Assert.fail;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.util.ArrayList;
import java.util.Dictionary;
import java.util.Hashtable;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.function.UnaryOperator;

import org.junit.After;
import org.junit.Before;
import org.junit.Test;
import org.osgi.framework.ServiceRegistration;
import org.osgi.service.cm.Configuration;
import org.osgi.service.cm.ConfigurationAdmin;

import dev.bulkhead.api.Qube;
import dev.bulkhead.api.QubeClass;
import dev.bulkhead.api.QubeEvent;
import dev.bulkhead.api.QubeEventListener;
import dev.bulkhead.api.template.TemplateInfo;
import dev.bulkhead.api.template.TemplateStore;

/**
 * Templates as a user meets them: the default template the build made is installed through the
 * shell, AppVMs share its root and keep their own private data, a template's change reaches its
 * AppVMs at their next start, and every package that is tampered with, signed wrongly or hostile
 * is refused with nothing left behind.
 */
public class TemplatesIT extends BulkheadTestSupport {
    static final String BASE = "bulkhead-base";

    private final List<ServiceRegistration<?>> registrations = new ArrayList<>();
    private KeyPair testKey;
    private Path scratch;

    /** The default template package, as the build made it into the distribution. */
    static Path defaultTemplate() {
        Path dir = workspace().resolve("distro/target/bulkhead/templates");
        try (var files = Files.list(dir)) {
            return files.filter(f -> f.getFileName().toString().startsWith(BASE + "-")).findFirst()
                    .orElseThrow(() -> new AssertionError("no " + BASE + " package in " + dir + ": build the distro first"));
        } catch (IOException e) {
            throw new AssertionError("cannot list " + dir, e);
        }
    }

    /** A key the tests sign their own packages with, trusted like the development key. */
    @Before
    public void trustATestKey() throws Exception {
        testKey = KeyPairGenerator.getInstance("Ed25519").generateKeyPair();
        Files.writeString(etcDir().resolve("template-keys/it-test.pub"), TestPackages.publicKeyPem(testKey));
        scratch = Files.createTempDirectory("bulkhead-it-packages-");
    }

    private TemplateStore store() {
        return service(TemplateStore.class, null);
    }

    private List<QubeEvent> listen() {
        List<QubeEvent> events = new CopyOnWriteArrayList<>();
        ServiceRegistration<QubeEventListener> registration = context.registerService(QubeEventListener.class, events::add, null);
        registrations.add(registration);
        return events;
    }


    @After
    public void unregisterAndRemoveScratch() throws IOException {
        registrations.forEach(ServiceRegistration::unregister);
        try (var walk = Files.walk(scratch)) {
            for (Path p : walk.sorted(java.util.Comparator.reverseOrder()).toList()) {
                Files.delete(p);
            }
        }
    }

    @Test
    public void theDefaultTemplateInstallsAndItsAppVmsShareItsRootButNotWhatTheyWrite() throws Exception {
        List<QubeEvent> events = listen();

        String printed = shell("qvm:template install " + defaultTemplate());

        assertTrue(printed, printed.contains("installed " + BASE + " "));
        assertTrue("a progress bar was drawn: " + printed, printed.contains("unpack    [##############################] 100%"));
        TemplateInfo info = store().find(BASE).orElseThrow(() -> new AssertionError("not listed: " + store().list()));
        assertTrue("signed by the trusted development key", info.keyTrusted());
        assertEquals(QubeClass.TemplateVM, admin().get(BASE).klass());
        awaitTrue("the install is announced", QUBE_TIMEOUT, () -> events.stream().anyMatch(e -> e.type().equals("template-install")),
                events::toString);
        for (String phase : List.of("signature", "payload", "unpack", "import", "done")) {
            assertTrue("a progress event for " + phase + ": " + events, events.stream()
                    .anyMatch(e -> e.type().equals("template-install-progress") && phase.equals(e.data().get("phase"))));
        }
        assertTrue(shell("qvm:template verify " + BASE).contains(": OK"));
        assertTrue(shell("qvm:template list").contains(BASE));

        shell("qvm:create --label red --template " + BASE + " work1");
        shell("qvm:create --label blue --template " + BASE + " work2");
        runOk("work1", "sh", "-c", "echo scribbled > /etc/scribbled && echo kept > /rw/kept");
        assertTrue("the template's programs run", runOk("work1", "cat", "/usr/share/bulkhead/packages").contains("busybox-static "));

        assertEquals("work2 does not see work1's root writes", 1, run("work2", "test", "-e", "/etc/scribbled").exitStatus());
        assertEquals("nor its private data", 1, run("work2", "test", "-e", "/rw/kept").exitStatus());
        admin().restart("work1", QUBE_TIMEOUT);
        assertEquals("root writes are gone after a restart", 1, run("work1", "test", "-e", "/etc/scribbled").exitStatus());
        assertEquals("kept\n", runOk("work1", "cat", "/rw/kept"));
        assertFalse(Files.exists(dataDir().resolve("qubes/" + BASE + "/root/tree/etc/scribbled")));
    }

    @Test
    public void aChangeToTheTemplateReachesAnAppVmAtItsNextStart() throws Exception {
        shell("qvm:template install " + defaultTemplate());
        shell("qvm:create --label red --template " + BASE + " work");
        assertEquals(1, run("work", "test", "-e", "/etc/motd").exitStatus());

        runOk(BASE, "sh", "-c", "echo updated in the template > /etc/motd");
        admin().shutdown(BASE, false, true, QUBE_TIMEOUT);
        admin().restart("work", QUBE_TIMEOUT);

        assertEquals("updated in the template\n", runOk("work", "cat", "/etc/motd"));
        assertEquals("the template keeps its own root", "updated in the template\n", runOk(BASE, "cat", "/etc/motd"));
    }

    @Test
    public void aPrivateVolumeIsRevertedToItsStateBeforeTheLastStartAndClonedWithItsData() throws Exception {
        shell("qvm:create --label red work");
        shell("qvm:volume config work:private revisions_to_keep 1");
        runOk("work", "sh", "-c", "echo before > /rw/note");
        admin().shutdown("work", false, true, QUBE_TIMEOUT);
        runOk("work", "sh", "-c", "echo after > /rw/note");
        admin().shutdown("work", false, true, QUBE_TIMEOUT);
        String info = shell("qvm:volume info work:private");
        assertTrue(info, info.contains("revisions_to_keep  1"));
        assertTrue("one revision listed: " + info, info.lines().anyMatch(l -> l.matches("  [0-9]+  .*")));

        shell("qvm:volume revert work:private");

        assertEquals("before\n", runOk("work", "cat", "/rw/note"));
        admin().shutdown("work", false, true, QUBE_TIMEOUT);
        shell("qvm:clone work work2");
        assertEquals("before\n", runOk("work2", "cat", "/rw/note"));
    }

    @Test
    public void aTemplateInUseIsNotRemovedAndOnceUnusedGoesWithoutATrace() throws Exception {
        shell("qvm:template install " + defaultTemplate());
        shell("qvm:create --label red --template " + BASE + " work");

        try {
            shell("qvm:template remove " + BASE);
            fail("a template in use was removed");
        } catch (Exception e) {
            assertTrue(e.getMessage(), e.getMessage().contains("still used by work.template"));
        }
        assertTrue(store().find(BASE).isPresent());
        admin().remove("work");
        shell("qvm:template remove " + BASE);

        assertEquals(List.of(), store().list());
        assertFalse(admin().find(BASE).isPresent());
        assertEquals(List.of(), dataPathsOf(BASE));
    }

    /** A package and the words its refusal must carry. */
    private record Shape(String refusal, byte[] bytes) {
    }

    @Test
    public void everyTamperedWronglySignedOrHostilePackageIsRefusedWithNothingLeftBehind() throws Exception {
        Path escape = Files.createDirectories(scratch.resolve("escape"));
        // enough to climb from the unpacking directory to /: data/templates/.staging-N/root
        String up = "../".repeat(8);
        String escapeFromRoot = up + escape.toString().substring(1);
        KeyPair stranger = KeyPairGenerator.getInstance("Ed25519").generateKeyPair();
        byte[] good = TestPackages.rootArchive(TestPackages.minimalRoot());
        List<Shape> shapes = List.of(
                new Shape("has SHA-256", TestPackages.pack("evil", good, testKey, UnaryOperator.identity(), flipOneByte())),
                new Shape("does not match manifest.json", TestPackages.pack("evil", good, testKey,
                        m -> new String(m, StandardCharsets.UTF_8).replace("\"1.0\"", "\"2.0\"").getBytes(StandardCharsets.UTF_8),
                        UnaryOperator.identity())),
                new Shape("which is not trusted", TestPackages.pack("evil", good, stranger, UnaryOperator.identity(), UnaryOperator.identity())),
                new Shape("has '..' in its path", hostile(TestPackages.file(escapeFromRoot + "/dotdot", "x"))),
                new Shape("has an absolute path", hostile(TestPackages.file(escape.resolve("absolute").toString(), "x"))),
                new Shape("is a device node", hostile(TestPackages.special("dev/mem", '3'))),
                new Shape("is a device node", hostile(TestPackages.special("dev/sda", '4'))),
                new Shape("is a FIFO", hostile(TestPackages.special("run/fifo", '6'))),
                new Shape("which leads out of the root", hostile(TestPackages.symlink("etc/shadow", escapeFromRoot + "/shadow"))),
                new Shape("has a path through the symbolic link", hostile(TestPackages.symlink("out", escape.toString()),
                        TestPackages.file("out/through-link", "x"))),
                new Shape("is a hard link to", hostile(TestPackages.hardLink("bin/passwd", up + "etc/passwd"))),
                new Shape("appears twice", hostile(TestPackages.dir("etc"), TestPackages.symlink("etc", escape.toString()),
                        TestPackages.file("etc/replaced", "x"))),
                new Shape("its signed manifest declares 2097152 (unpacked_size)", TestPackages.pack("evil", good, 2L << 20, testKey,
                        UnaryOperator.identity(), UnaryOperator.identity())),
                new Shape("bytes its signed manifest declares (unpacked_size)", TestPackages.pack("evil",
                        TestPackages.rootArchive(withMinimalRoot(TestPackages.file("big", "x".repeat(100_000)))), 2_000, testKey,
                        UnaryOperator.identity(), UnaryOperator.identity())),
                new Shape("(a GNU sparse file)", hostile(TestPackages.special("hole", 'S'))),
                new Shape("is a sparse file (PAX record GNU.sparse.major)", hostile(
                        new TestPackages.Entry("PaxHeaders/hole", 'x', 0644, "", "22 GNU.sparse.major=1\n".getBytes(StandardCharsets.US_ASCII)),
                        TestPackages.file("hole", "x"))),
                new Shape("the stand-in of a PAX 1.0 sparse file", hostile(TestPackages.file("GNUSparseFile.1/hole", "x"))));

        Set<String> before = dataTree();
        List<String> qubes = admin().list().stream().map(Qube::name).toList();
        for (Shape shape : shapes) {
            Path pkg = Files.write(scratch.resolve("evil.bht"), shape.bytes());
            try {
                shell("qvm:template install " + pkg);
                fail("installed a package that " + shape.refusal());
            } catch (Exception e) {
                assertTrue("the refusal names what is wrong (" + shape.refusal() + "): " + e.getMessage(),
                        e.getMessage().contains(shape.refusal()));
            }
            assertEquals("nothing written after a package that " + shape.refusal(), before, dataTree());
            assertEquals(qubes, admin().list().stream().map(Qube::name).toList());
            assertEquals(List.of(), store().list());
            try (var escaped = Files.list(escape)) {
                assertEquals("nothing reached outside the root", List.of(), escaped.toList());
            }
        }
    }

    @Test
    public void anUnknownKeyIsAcceptedOnlyWithTheLoudOverrideAndStaysMarkedUntrusted() throws Exception {
        KeyPair stranger = KeyPairGenerator.getInstance("Ed25519").generateKeyPair();
        Path pkg = Files.write(scratch.resolve("stranger.bht"), TestPackages.pack("stranger", TestPackages.rootArchive(TestPackages.minimalRoot()),
                stranger, UnaryOperator.identity(), UnaryOperator.identity()));
        try {
            shell("qvm:template install " + pkg);
            fail("a package signed by an unknown key was installed");
        } catch (Exception e) {
            assertTrue(e.getMessage(), e.getMessage().contains("--allow-unknown-key"));
        }

        String printed = shell("qvm:template install --allow-unknown-key " + pkg);

        assertTrue(printed, printed.contains("(NOT a trusted key)"));
        assertFalse(store().find("stranger").orElseThrow().keyTrusted());
        assertTrue(admin().get("stranger").features().get("template-key").endsWith("(untrusted)"));
        assertFalse(store().verifyInstalled("stranger").ok());
    }

    @Test
    public void aPayloadOverTheConfiguredSizeIsRefusedWithNothingLeftBehind() throws Exception {
        awaitService("(objectClass=" + ConfigurationAdmin.class.getName() + ")");
        ConfigurationAdmin configAdmin = context.getService(context.getServiceReference(ConfigurationAdmin.class));
        Configuration config = configAdmin.getConfiguration("dev.bulkhead.templates", "?");
        Dictionary<String, Object> small = new Hashtable<>();
        small.put("max.payload.mb", 1);
        config.update(small);
        try {
            Path template = defaultTemplate();
            awaitTrue("the store takes the 1 MiB limit", QUBE_TIMEOUT,
                    () -> store().verify(template).problems().stream().anyMatch(p -> p.contains("max.payload.mb")),
                    () -> store().verify(template).problems().toString());
            Set<String> before = dataTree();

            try {
                shell("qvm:template install " + template);
                fail("a payload over the limit was installed");
            } catch (Exception e) {
                assertTrue(e.getMessage(), e.getMessage().contains("more than the 1048576 allowed (max.payload.mb)"));
            }

            assertEquals(before, dataTree());
            assertFalse(admin().find(BASE).isPresent());
        } finally {
            config.delete();
        }
    }

    private byte[] hostile(TestPackages.Entry... extra) {
        return TestPackages.pack("evil", TestPackages.rootArchive(withMinimalRoot(extra)), testKey, UnaryOperator.identity(),
                UnaryOperator.identity());
    }

    private static List<TestPackages.Entry> withMinimalRoot(TestPackages.Entry... extra) {
        List<TestPackages.Entry> entries = TestPackages.minimalRoot();
        entries.addAll(List.of(extra));
        return entries;
    }

    private static UnaryOperator<byte[]> flipOneByte() {
        return payload -> {
            byte[] changed = payload.clone();
            changed[changed.length / 2] ^= 0x01;
            return changed;
        };
    }
}
