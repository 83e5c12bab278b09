package dev.bulkhead.it;

import static org.junit.Assert.assertArrayEquals;
import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertFalse;
import static org.junit.Assert.assertNotEquals;
import static org.junit.Assert.assertTrue;
import static org.junit.Assert.fail;
import static org.ops4j.pax.exam.CoreOptions.bundle;
import static org.ops4j.pax.exam.CoreOptions.frameworkProperty;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.Dictionary;
import java.util.Hashtable;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.jar.Attributes;
import java.util.jar.JarEntry;
import java.util.jar.JarInputStream;
import java.util.jar.JarOutputStream;
import java.util.jar.Manifest;
import java.util.stream.Stream;

import org.junit.After;
import org.junit.Before;
import org.junit.Test;
import org.ops4j.pax.exam.Option;
import org.osgi.framework.Bundle;
import org.osgi.framework.Version;
import org.osgi.service.cm.Configuration;
import org.osgi.service.cm.ConfigurationAdmin;

import dev.bulkhead.api.AdminException;
import dev.bulkhead.api.ExecResult;
import dev.bulkhead.api.Label;
import dev.bulkhead.api.PowerState;
import dev.bulkhead.api.QubeAdmin;
import dev.bulkhead.api.QubeClass;
import dev.bulkhead.api.QubeSpec;
import dev.bulkhead.api.RoleInfo;

/**
 * A third party's role bundle, deployed the way a user does it: its jar copied into a folder that
 * Felix FileInstall watches. The DNS filter role (sys-dns) between an AppVM and sys-firewall answers
 * real queries from the AppVM; when the jar goes, the AppVM has no DNS and no traffic out at all;
 * when it comes back, or a newer one replaces it, everything recovers with no step of the user's.
 */
public class DnsFilterRoleIT extends BulkheadTestSupport {
    private static final String ROLE = "dns-filter";
    private static final String BSN = "dev.bulkhead.example.dns";
    private static final String PID = "dev.bulkhead.example.dns";
    private static final String JAR = BSN + ".jar";
    /** How long FileInstall (polling every 100 ms) and the core get to make a deployed role usable, or take it away. */
    private static final Duration DEPLOY_TIMEOUT = Duration.ofSeconds(20);

    private OutsideNetwork outside;
    private ConfigurationAdmin configAdmin;
    private Configuration netvmConfig;

    /** The platform of every test, plus FileInstall watching a folder of this test class's own. */
    @Override
    @org.ops4j.pax.exam.Configuration
    public Option[] configuration() throws IOException {
        Path deploy = Files.createTempDirectory("bulkhead-it-deploy-");
        Runtime.getRuntime().addShutdownHook(new Thread(() -> deleteTree(deploy), "remove " + deploy));
        Path fileinstall = Path.of(System.getProperty("bulkhead.it.bundles", "target/bundles"), "org.apache.felix.fileinstall.jar")
                .toAbsolutePath();
        List<Option> options = new ArrayList<>(Arrays.asList(super.configuration()));
        options.add(bundle(fileinstall.toUri().toString()));
        options.add(frameworkProperty("felix.fileinstall.dir").value(deploy.toString()));
        options.add(frameworkProperty("felix.fileinstall.filter").value(".*\\.jar"));
        options.add(frameworkProperty("felix.fileinstall.poll").value("100"));
        options.add(frameworkProperty("felix.fileinstall.noInitialDelay").value("true"));
        options.add(frameworkProperty("felix.fileinstall.enableConfigSave").value("false"));
        return options.toArray(Option[]::new);
    }

    private static void deleteTree(Path root) {
        try (Stream<Path> walk = Files.walk(root)) {
            walk.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
        } catch (IOException e) {
            System.err.println("cannot remove " + root + ": " + e);
        }
    }

    @Before
    public void buildTheOutside() throws IOException {
        outside = new OutsideNetwork();
        awaitService("(objectClass=" + ConfigurationAdmin.class.getName() + ")");
        // held for the whole test: ConfigurationAdmin is a bundle-scoped service
        configAdmin = context.getService(context.getServiceReference(ConfigurationAdmin.class));
        netvmConfig = configAdmin.getConfiguration("dev.bulkhead.role.netvm", "?");
        netvmConfig.update(new Hashtable<>(outside.netvmUplink()));
        awaitService("(&(objectClass=dev.bulkhead.api.role.QubeRole)(uplink.host_namespace=" + outside.netns + "))");
    }

    @After
    public void tearDownTheNetwork() throws Exception {
        try {
            Files.deleteIfExists(deployed());
            awaitRoleGone();
            removeQubes();
            configAdmin.getConfiguration(PID, "?").delete();
            netvmConfig.delete();
        } finally {
            outside.close();
        }
    }

    // ---- the watched folder ----------------------------------------------------------------------

    private Path deployed() {
        return Path.of(context.getProperty("felix.fileinstall.dir"), JAR);
    }

    private static Path built() {
        return Path.of(System.getProperty("bulkhead.it.examples", "target/examples"), JAR).toAbsolutePath();
    }

    /** Puts a jar into the watched folder in one step, as FileInstall must never see half a jar. */
    private void deploy(Path jar) throws IOException {
        Path part = deployed().resolveSibling(JAR + ".part");
        Files.copy(jar, part, StandardCopyOption.REPLACE_EXISTING);
        Files.move(part, deployed(), StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
    }

    private Optional<RoleInfo> role() {
        return admin().roles().stream().filter(r -> r.id().equals(ROLE)).findFirst();
    }

    private Optional<Bundle> roleBundle() {
        return Arrays.stream(context.getBundles()).filter(b -> BSN.equals(b.getSymbolicName())).findFirst();
    }

    /** Waits until the role is gone and the core has stopped every qube that carried it. */
    private void awaitRoleGone() {
        awaitTrue("the role to leave with its jar and its qubes to stop", DEPLOY_TIMEOUT,
                () -> role().isEmpty() && admin().list().stream().noneMatch(q -> ROLE.equals(q.features().get("role")) && q.state().isActive()),
                () -> admin().roles() + "\n" + describeQubes());
    }

    private void deployAndAwaitTheRole() throws IOException {
        deploy(built());
        awaitTrue("QubeAdmin.roles() to list " + ROLE, DEPLOY_TIMEOUT, () -> role().isPresent(), () -> admin().roles().toString());
    }

    /** A copy of the built jar whose Bundle-Version is one micro version higher. */
    private static Path newerJar(Path dir) throws IOException {
        Path newer = dir.resolve("newer-" + JAR);
        try (JarInputStream in = new JarInputStream(Files.newInputStream(built()))) {
            Manifest manifest = new Manifest(in.getManifest());
            Version v = Version.parseVersion(manifest.getMainAttributes().getValue("Bundle-Version"));
            manifest.getMainAttributes().put(new Attributes.Name("Bundle-Version"),
                    new Version(v.getMajor(), v.getMinor(), v.getMicro() + 1, v.getQualifier()).toString());
            try (JarOutputStream out = new JarOutputStream(Files.newOutputStream(newer), manifest)) {
                for (JarEntry entry; (entry = in.getNextJarEntry()) != null;) {
                    out.putNextEntry(new JarEntry(entry.getName()));
                    in.transferTo(out);
                    out.closeEntry();
                }
            }
        }
        return newer;
    }

    // ---- the chain ---------------------------------------------------------------------------------

    /** sys-net → sys-firewall → sys-dns (autostart) → work, all running, with the outside's uplink up. */
    private void buildTheChain() {
        QubeAdmin admin = admin();
        admin.create(new QubeSpec("sys-net", QubeClass.AppVM, Label.RED, Map.of("provides_network", "True")));
        admin.setFeature("sys-net", "role", "netvm");
        admin.create(new QubeSpec("sys-firewall", QubeClass.AppVM, Label.GREEN, Map.of("provides_network", "True", "netvm", "sys-net")));
        admin.setFeature("sys-firewall", "role", "firewall");
        admin.start("sys-net");
        outside.uplinkUp();
        admin.create(new QubeSpec("sys-dns", QubeClass.AppVM, Label.ORANGE,
                Map.of("provides_network", "True", "netvm", "sys-firewall", "autostart", "True")));
        admin.setFeature("sys-dns", "role", ROLE);
        admin.create(new QubeSpec("work", QubeClass.AppVM, Label.BLUE, Map.of("netvm", "sys-dns")));
        admin.start("work");
    }

    private String lookUp(String name) {
        ExecResult r = run("work", "timeout", "5", "nslookup", name);
        return r.stdoutText() + r.stderrText();
    }

    private void assertResolves(String name, String address) {
        String out = lookUp(name);
        assertTrue(name + " from work: " + out, out.contains("Address: " + address));
    }

    private void assertBlocked(String name) {
        String out = lookUp(name);
        assertTrue(name + " from work: " + out, out.contains("NXDOMAIN") && !out.contains(OutsideNetwork.WEB)
                && !out.contains(OutsideNetwork.OTHER_WEB));
    }

    private boolean resolves(String name, String address) {
        return lookUp(name).contains("Address: " + address);
    }

    /** Neither an address nor NXDOMAIN: no resolver answered at all. */
    private void assertNoDns(String name) {
        String out = lookUp(name);
        assertFalse(name + " from work got an answer: " + out, answered(out));
    }

    private static boolean answered(String nslookup) {
        return nslookup.contains("NXDOMAIN") || nslookup.contains(OutsideNetwork.WEB) || nslookup.contains(OutsideNetwork.OTHER_WEB);
    }

    private ExecResult fetch(String address) {
        return run("work", "timeout", "5", "wget", "-q", "-O", "-", "http://" + address + ":80/");
    }

    private String workNetns() {
        return netnsOf("work").get(0);
    }

    /** Runs {@code dns:block} in the shell, once the role bundle has registered it. */
    private String dnsBlock(String args) throws Exception {
        awaitService("(osgi.command.scope=dns)");
        return shell("dns:block" + (args.isEmpty() ? "" : " " + args));
    }

    private void setBlockList(String text) throws IOException {
        Configuration config = configAdmin.getConfiguration(PID, "?");
        Dictionary<String, Object> props = new Hashtable<>();
        props.put("block", text);
        config.update(props);
    }

    // ---- tests -------------------------------------------------------------------------------------

    @Test
    public void aDeployedRoleFiltersDnsItsDepartureCutsItsClientsOffAndItsReturnRecoversThem() throws Exception {
        assertFalse("the role is not there before its jar", role().isPresent());
        deployAndAwaitTheRole();
        assertTrue(role().get().providesNetwork());
        dnsBlock("set " + OutsideNetwork.OTHER_NAME);
        buildTheChain();
        assertEquals(List.of("sys-dns"), role().get().qubes());

        assertResolves(OutsideNetwork.WEB_NAME, OutsideNetwork.WEB);
        assertBlocked(OutsideNetwork.OTHER_NAME);
        assertBlocked("www." + OutsideNetwork.OTHER_NAME);
        assertEquals(OutsideNetwork.PAGE, fetch(OutsideNetwork.WEB).stdoutText());

        Files.delete(deployed());
        awaitRoleGone();
        assertEquals(PowerState.Halted, admin().get("sys-dns").state());
        assertTrue("work keeps running, cut off", admin().get("work").state().isActive());
        long before = outside.packetsFromUplink();
        assertNoDns(OutsideNetwork.WEB_NAME);
        assertNotEquals("work fetched a page without its DNS filter", 0, fetch(OutsideNetwork.WEB).exitStatus());
        HostCommand.run("ip", "netns", "exec", workNetns(), "busybox", "ping", "-c", "2", "-W", "1", OutsideNetwork.WEB);
        assertEquals("packets reached the outside without the DNS filter role", before, outside.packetsFromUplink());
        assertEquals("work has no link left but its loopback", List.of("lo"), host("ip", "-n", workNetns(), "-o", "link", "show").lines()
                .map(l -> l.split(":")[1].strip().split("@")[0]).toList());
        try {
            admin().start("sys-dns");
            fail("sys-dns started without its role");
        } catch (AdminException e) {
            assertTrue(e.getMessage(), e.getMessage().contains("'" + ROLE + "' is not installed"));
        }

        deployAndAwaitTheRole();
        awaitTrue("sys-dns to start by itself (autostart) and work to resolve again", QUBE_TIMEOUT,
                () -> resolves(OutsideNetwork.WEB_NAME, OutsideNetwork.WEB), () -> admin().get("sys-dns").state() + ": "
                        + lookUp(OutsideNetwork.WEB_NAME));
        assertBlocked(OutsideNetwork.OTHER_NAME);
        assertEquals(OutsideNetwork.PAGE, fetch(OutsideNetwork.WEB).stdoutText());
    }

    @Test
    public void aNewerJarReplacesTheRoleInPlaceAndItsQubesComeBack() throws Exception {
        deployAndAwaitTheRole();
        buildTheChain();
        assertResolves(OutsideNetwork.WEB_NAME, OutsideNetwork.WEB);
        Bundle before = roleBundle().orElseThrow();
        long id = before.getBundleId();
        Version version = before.getVersion();

        Path dir = Files.createTempDirectory("bulkhead-it-newer-");
        try {
            deploy(newerJar(dir));
        } finally {
            deleteTree(dir);
        }
        Version expected = new Version(version.getMajor(), version.getMinor(), version.getMicro() + 1, version.getQualifier());
        awaitTrue("the role bundle to be updated to " + expected, DEPLOY_TIMEOUT,
                () -> roleBundle().map(b -> b.getVersion().equals(expected) && b.getState() == Bundle.ACTIVE).orElse(false),
                () -> roleBundle().map(b -> b.getVersion() + " state " + b.getState()).orElse("no bundle"));
        assertEquals("updated, not installed anew", id, roleBundle().orElseThrow().getBundleId());
        assertEquals(1, Arrays.stream(context.getBundles()).filter(b -> BSN.equals(b.getSymbolicName())).count());
        awaitTrue("the updated role to be listed", DEPLOY_TIMEOUT, () -> role().isPresent(), () -> admin().roles().toString());
        awaitTrue("work to resolve through the updated role", QUBE_TIMEOUT, () -> resolves(OutsideNetwork.WEB_NAME, OutsideNetwork.WEB),
                () -> admin().get("sys-dns").state() + ": " + lookUp(OutsideNetwork.WEB_NAME));
    }

    @Test
    public void theBlockListChangesLiveABadEntryIsRefusedAndABadSettingLeavesNoDns() throws Exception {
        deployAndAwaitTheRole();
        dnsBlock("set " + OutsideNetwork.OTHER_NAME);
        buildTheChain();
        assertBlocked(OutsideNetwork.OTHER_NAME);

        dnsBlock("add " + OutsideNetwork.WEB_NAME);
        awaitTrue("the new list to apply", QUBE_TIMEOUT, () -> lookUp(OutsideNetwork.WEB_NAME).contains("NXDOMAIN"),
                () -> lookUp(OutsideNetwork.WEB_NAME));
        dnsBlock("del " + OutsideNetwork.OTHER_NAME);
        awaitTrue("the new list to apply", QUBE_TIMEOUT, () -> resolves(OutsideNetwork.OTHER_NAME, OutsideNetwork.OTHER_WEB),
                () -> lookUp(OutsideNetwork.OTHER_NAME));
        assertEquals(OutsideNetwork.WEB_NAME + "\n", dnsBlock("list"));

        Dictionary<String, Object> before = configAdmin.getConfiguration(PID, "?").getProperties();
        for (String bad : List.of("*.ads.test", "ads..test", "ads.test/203.0.113.99")) {
            try {
                dnsBlock("add good.test '" + bad + "'");
                fail("accepted: " + bad);
            } catch (AdminException e) {
                assertTrue(e.getMessage(), e.getMessage().contains("'" + bad + "'"));
            }
        }
        assertEquals(before.get("block"), configAdmin.getConfiguration(PID, "?").getProperties().get("block"));
        assertArrayEquals(new String[] { OutsideNetwork.WEB_NAME }, dnsBlock("").strip().split("\n"));

        setBlockList(OutsideNetwork.WEB_NAME + ",bad name");
        awaitTrue("a wrong setting to leave work without DNS", QUBE_TIMEOUT, () -> !answered(lookUp(OutsideNetwork.OTHER_NAME)),
                () -> lookUp(OutsideNetwork.OTHER_NAME));
        long packets = outside.packetsFromUplink();
        assertNoDns(OutsideNetwork.WEB_NAME);
        assertNoDns("fresh." + OutsideNetwork.OTHER_NAME);
        assertEquals("DNS went out without the filter", packets, outside.packetsFromUplink());
        assertEquals("traffic other than DNS still flows", OutsideNetwork.PAGE, fetch(OutsideNetwork.WEB).stdoutText());

        dnsBlock("set " + OutsideNetwork.WEB_NAME);
        awaitTrue("the corrected list to apply", QUBE_TIMEOUT, () -> resolves(OutsideNetwork.OTHER_NAME, OutsideNetwork.OTHER_WEB),
                () -> lookUp(OutsideNetwork.OTHER_NAME));
        assertBlocked(OutsideNetwork.WEB_NAME);
    }
}
