package dev.bulkhead.it;

import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertFalse;
import static org.junit.Assert.assertNotNull;
import static org.junit.Assert.assertNull;
import static org.junit.Assert.assertThrows;
import static org.junit.Assert.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.Hashtable;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.stream.Collectors;
import java.util.stream.Stream;

import javax.inject.Inject;

import org.junit.Before;
import org.junit.Test;
import org.osgi.framework.Bundle;
import org.osgi.service.cm.Configuration;
import org.osgi.service.cm.ConfigurationAdmin;

import dev.bulkhead.api.AdminException;
import dev.bulkhead.api.Label;
import dev.bulkhead.api.QubeClass;
import dev.bulkhead.api.PowerState;
import dev.bulkhead.api.QubeSpec;
import dev.bulkhead.api.RoleInfo;
import dev.bulkhead.api.feature.FeatureAdmin;
import dev.bulkhead.api.feature.FeatureInfo;

/**
 * Features installed and uninstalled in the running platform: the networking feature's role bundles come from the
 * distribution's feature repository and go again, with their default configuration; a qube carrying a role that
 * leaves is stopped; a feature whose bundle is missing is refused and changes nothing.
 */
public class FeatureIT extends BulkheadTestSupport {
    private static final String NETVM_BUNDLE = "dev.bulkhead.role.netvm";
    private static final String FIREWALL_BUNDLE = "dev.bulkhead.role.firewall";

    /** The platform without any role bundle, plus the feature service. */
    @Override
    protected List<String> bundles() {
        List<String> bundles = new java.util.ArrayList<>(BUNDLES);
        bundles.removeAll(List.of(NETVM_BUNDLE, FIREWALL_BUNDLE, "dev.bulkhead.role.tor", "dev.bulkhead.role.vpn"));
        bundles.add("dev.bulkhead.features");
        return bundles.stream().distinct().toList();
    }

    @Inject
    private ConfigurationAdmin configAdmin;

    private Path featureDirectory;

    @Before
    public void configureFeatureService() throws IOException {
        Path distro = Path.of(System.getProperty("bulkhead.it.workspace", "..")).resolve("distro/target/bulkhead");
        featureDirectory = dataDir().resolve("feature-files");
        if (!Files.isDirectory(featureDirectory)) {
            Files.createDirectories(featureDirectory);
            try (Stream<Path> files = Files.list(distro.resolve("features"))) {
                for (Path f : files.toList()) {
                    Files.copy(f, featureDirectory.resolve(f.getFileName()));
                }
            }
            Files.writeString(featureDirectory.resolve("broken.json"), """
                    { "id": "dev.bulkhead:broken:osgifeature:1.0.0",
                      "bundles": [ { "id": "dev.bulkhead:dev.bulkhead.role.netvm:0.1.0-SNAPSHOT" },
                                   { "id": "dev.bulkhead:not-in-the-repository:1.0.0" } ],
                      "configurations": { "dev.bulkhead.broken": { "x": "y" } } }""");
            Configuration c = configAdmin.getConfiguration("dev.bulkhead.features", "?");
            Hashtable<String, Object> settings = new Hashtable<>();
            settings.put("directory", featureDirectory.toString());
            settings.put("repository", distro.resolve("system").toAbsolutePath().toString());
            settings.put("boot", "");
            c.update(settings);
        }
    }

    private FeatureAdmin features() {
        return service(FeatureAdmin.class, null);
    }

    private FeatureInfo feature(String name) {
        return features().list().stream().filter(f -> f.name().equals(name)).findFirst()
                .orElseThrow(() -> new AssertionError("no feature " + name + " in " + features().list()));
    }

    private Set<String> roleIds() {
        return admin().roles().stream().map(RoleInfo::id).collect(Collectors.toCollection(TreeSet::new));
    }

    private Bundle bundleOrNull(String symbolicName) {
        return Arrays.stream(context.getBundles()).filter(b -> symbolicName.equals(b.getSymbolicName())).findFirst().orElse(null);
    }

    @Test
    public void networkingComesAndGoesWithItsBundlesConfigurationAndRoles() throws Exception {
        assertFalse(feature("networking").installed());
        assertNull(bundleOrNull(NETVM_BUNDLE));
        assertEquals(Set.of(), roleIds());

        String printed = shell("feature:install networking");

        assertTrue(printed, printed.contains("feature networking installed"));
        assertTrue(feature("networking").installed());
        for (String bsn : List.of(NETVM_BUNDLE, FIREWALL_BUNDLE)) {
            Bundle b = bundleOrNull(bsn);
            assertNotNull(bsn + " was not installed", b);
            assertEquals(Bundle.ACTIVE, b.getState());
            assertTrue(b.getLocation(), b.getLocation().startsWith("feature:dev.bulkhead:" + bsn + ":"));
        }
        awaitTrue("the roles of the networking feature", QUBE_TIMEOUT, () -> roleIds().equals(Set.of("firewall", "netvm")),
                () -> roleIds().toString());
        Configuration[] netvmConfig = configAdmin.listConfigurations("(service.pid=dev.bulkhead.role.netvm)");
        assertEquals(1, netvmConfig.length);
        assertEquals("none", netvmConfig[0].getProperties().get("uplink.mode"));
        assertEquals("networking", netvmConfig[0].getProperties().get("bulkhead.feature"));
        assertTrue(shell("feature:list"), shell("feature:list").lines().anyMatch(l -> l.matches("networking\\s+Installed\\s+2\\s.*")));

        admin().create(new QubeSpec("sys-net", QubeClass.AppVM, Label.RED, Map.of("provides_network", "True")));
        admin().setFeature("sys-net", "role", "netvm");
        admin().start("sys-net");

        shell("feature:uninstall networking");

        assertFalse(feature("networking").installed());
        assertNull(bundleOrNull(NETVM_BUNDLE));
        assertNull(bundleOrNull(FIREWALL_BUNDLE));
        assertEquals(Set.of(), roleIds());
        assertNull(configAdmin.listConfigurations("(service.pid=dev.bulkhead.role.netvm)"));
        // The qube whose role left is stopped: its clients lose the network rather than go around it.
        awaitTrue("sys-net to stop with its role", QUBE_TIMEOUT, () -> admin().get("sys-net").state() == PowerState.Halted,
                () -> admin().get("sys-net").state().toString());
        assertTrue(Files.readString(dataDir().resolve("features.json")).contains("[ ]"));
    }

    @Test
    public void aFeatureWithABundleMissingFromTheRepositoryIsRefusedAndChangesNothing() throws Exception {
        Set<String> before = Arrays.stream(context.getBundles()).map(Bundle::getLocation).collect(Collectors.toCollection(TreeSet::new));

        AdminException e = assertThrows(AdminException.class, () -> features().install("broken"));

        assertTrue(e.getMessage(), e.getMessage().startsWith("cannot install feature broken: bundle dev.bulkhead:not-in-the-repository:1.0.0"
                + " is not in the repository"));
        assertTrue(e.getMessage(), e.getMessage().endsWith("; nothing was changed"));
        assertEquals(before, Arrays.stream(context.getBundles()).map(Bundle::getLocation).collect(Collectors.toCollection(TreeSet::new)));
        assertFalse(feature("broken").installed());
        assertNull(configAdmin.listConfigurations("(service.pid=dev.bulkhead.broken)"));
    }

    @Test
    public void anUnknownFeatureIsNamedWithTheKnownOnes() {
        AdminException e = assertThrows(AdminException.class, () -> features().install("nosuch"));

        assertTrue(e.getMessage(), e.getMessage().contains("nosuch"));
        assertTrue(e.getMessage(), e.getMessage().contains("networking"));
    }

    @Test
    public void theBaseCannotBeUninstalled() {
        assertTrue(feature("base").installed());

        AdminException e = assertThrows(AdminException.class, () -> features().uninstall("base"));

        assertTrue(e.getMessage(), e.getMessage().contains("base"));
        assertEquals(Bundle.ACTIVE, bundleOrNull("dev.bulkhead.features").getState());
    }
}
