package dev.bulkhead.features.internal;

import java.io.IOException;
import java.io.InputStream;
import java.lang.System.Logger;
import java.lang.System.Logger.Level;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.Dictionary;
import java.util.Hashtable;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.jar.Attributes;
import java.util.jar.JarInputStream;
import java.util.jar.Manifest;
import java.util.stream.Stream;

import org.osgi.framework.Bundle;
import org.osgi.framework.BundleContext;
import org.osgi.framework.BundleException;
import org.osgi.framework.Constants;
import org.osgi.framework.Version;
import org.osgi.framework.wiring.FrameworkWiring;
import org.osgi.service.cm.Configuration;
import org.osgi.service.cm.ConfigurationAdmin;
import org.osgi.service.component.annotations.Activate;
import org.osgi.service.component.annotations.Component;
import org.osgi.service.component.annotations.ConfigurationPolicy;
import org.osgi.service.component.annotations.Deactivate;
import org.osgi.service.component.annotations.Reference;
import org.osgi.service.metatype.annotations.AttributeDefinition;
import org.osgi.service.metatype.annotations.Designate;
import org.osgi.service.metatype.annotations.ObjectClassDefinition;

import com.fasterxml.jackson.databind.ObjectMapper;

import dev.bulkhead.api.AdminException;
import dev.bulkhead.api.InvalidStateException;
import dev.bulkhead.api.InvalidValueException;
import dev.bulkhead.api.feature.FeatureAdmin;
import dev.bulkhead.api.feature.FeatureInfo;
import dev.bulkhead.api.json.JsonMappers;

/**
 * Installs features from feature files and a Maven-layout bundle repository, as Karaf does with its
 * {@code system/} folder. Bundles it installs carry the location {@code feature:<coordinates>}; a bundle that is
 * already present (the launcher's base, or another feature's) is used as it is and never uninstalled by it.
 * Configurations it creates carry {@value #FEATURE_PROPERTY} so that an uninstall removes exactly those.
 */
@Component(service = FeatureAdmin.class, immediate = true, configurationPid = FeatureService.PID,
        configurationPolicy = ConfigurationPolicy.REQUIRE)
@Designate(ocd = FeatureService.Config.class)
public final class FeatureService implements FeatureAdmin {
    static final String PID = "dev.bulkhead.features";
    static final String FEATURE_PROPERTY = "bulkhead.feature";
    static final String LOCATION_PREFIX = "feature:";
    private static final Logger LOG = System.getLogger(FeatureService.class.getName());

    @ObjectClassDefinition(name = "Bulkhead features", description = "Where features come from and which ones a first start installs.")
    public @interface Config {
        @AttributeDefinition(name = "Feature files", description = "Directory of *.json feature files; empty means ${bulkhead.home}/features.")
        String directory() default "";

        @AttributeDefinition(name = "Bundle repository",
                description = "Maven-layout directory holding every feature's bundles; empty means ${bulkhead.home}/system.")
        String repository() default "";

        @AttributeDefinition(name = "Boot features",
                description = "Comma-separated feature names installed at the first start; afterwards the platform"
                        + " remembers what the user installed and uninstalled.")
        String boot() default "";
    }

    private final BundleContext context;
    private final ConfigurationAdmin configurations;
    private final Path directory;
    private final Path repository;
    private final InstalledFeatures saved;
    private final ObjectMapper mapper = JsonMappers.create();
    private final ExecutorService bootThread = Executors.newSingleThreadExecutor(r -> new Thread(r, "bulkhead-features-boot"));
    /** What is installed in this run, in the order installed. Guarded by this. */
    private final Set<String> installed = new LinkedHashSet<>();
    /**
     * What the user wants installed: the boot list at the first start, then every install and
     * uninstall. Saved as soon as it changes, so that a stop in the middle of installing them at
     * start, or a feature that cannot be installed for now, is tried again at the next start.
     * Guarded by this.
     */
    private final Set<String> wanted = new LinkedHashSet<>();

    @Activate
    public FeatureService(BundleContext context, @Reference ConfigurationAdmin configurations, Config config) throws IOException {
        this.context = context;
        this.configurations = configurations;
        this.directory = location(context, config.directory(), "directory", "features");
        this.repository = location(context, config.repository(), "repository", "system");
        String data = context.getProperty("bulkhead.data");
        if (data == null || data.isBlank()) {
            throw new IllegalStateException("the framework property bulkhead.data must name the data directory");
        }
        this.saved = new InstalledFeatures(Path.of(data).resolve("features.json"), mapper);
        Optional<List<String>> remembered = saved.load();
        List<String> toInstall = remembered.orElse(java.util.Arrays.stream(config.boot().split(","))
                .map(String::strip).filter(n -> !n.isEmpty()).toList());
        synchronized (this) {
            wanted.addAll(toInstall);
            if (remembered.isEmpty()) {
                saved.save(wanted);
            }
        }
        bootThread.execute(() -> installAtBoot(toInstall));
    }

    private static Path location(BundleContext context, String configured, String attribute, String defaultName) {
        if (!configured.isBlank()) {
            return Path.of(configured).toAbsolutePath().normalize();
        }
        String home = context.getProperty("bulkhead.home");
        if (home == null || home.isBlank()) {
            throw new IllegalStateException("configure " + PID + " '" + attribute + "' or set the framework property bulkhead.home");
        }
        return Path.of(home).resolve(defaultName).toAbsolutePath().normalize();
    }

    @Deactivate
    void deactivate() {
        bootThread.shutdownNow();
    }

    private void installAtBoot(List<String> names) {
        for (String name : names) {
            try {
                install(name);
            } catch (RuntimeException e) {
                LOG.log(Level.ERROR, "feature " + name + " was not installed at start: " + e.getMessage());
            }
        }
    }

    @Override
    public synchronized List<FeatureInfo> list() {
        List<FeatureInfo> result = new ArrayList<>();
        for (FeatureFile f : features().values()) {
            result.add(info(f));
        }
        return result;
    }

    @Override
    public synchronized FeatureInfo install(String name) {
        FeatureFile feature = feature(name);
        if (isInstalled(feature)) {
            return info(feature);
        }
        List<Bundle> added = new ArrayList<>();
        List<Configuration> created = new ArrayList<>();
        try {
            List<Bundle> bundles = new ArrayList<>();
            for (FeatureFile.Bundle b : feature.bundles()) {
                Bundle present = present(b.coordinates());
                if (present == null) {
                    present = installBundle(b.coordinates());
                    added.add(present);
                }
                bundles.add(present);
            }
            // Configuration first, so that components find it when their bundle starts.
            for (Map.Entry<String, Map<String, Object>> c : feature.configurations().entrySet()) {
                createConfiguration(feature.name(), c.getKey(), c.getValue()).ifPresent(created::add);
            }
            for (Bundle b : bundles) {
                if (b.getHeaders().get(Constants.FRAGMENT_HOST) == null && b.getState() != Bundle.ACTIVE) {
                    b.start();
                }
            }
            if (!wanted.contains(feature.name())) {
                Set<String> next = new LinkedHashSet<>(wanted);
                next.add(feature.name());
                saved.save(next);
                wanted.add(feature.name());
            }
            installed.add(feature.name());
        } catch (BundleException | IOException | RuntimeException e) {
            undo(added, created);
            throw new AdminException("cannot install feature " + name + ": " + message(e) + "; nothing was changed", e);
        }
        LOG.log(Level.INFO, "feature " + name + " installed");
        return info(feature);
    }

    @Override
    public synchronized FeatureInfo uninstall(String name) {
        Map<String, FeatureFile> all = features();
        FeatureFile feature = feature(all, name);
        if (isBase(feature)) {
            throw new InvalidStateException("feature " + name + " carries the platform's base (the feature service itself);"
                    + " it cannot be uninstalled");
        }
        if (!installed.contains(feature.name())) {
            if (!wanted.contains(feature.name())) {
                throw new InvalidStateException("feature " + name + " is not installed");
            }
            // wanted but not installed (it failed at start): no longer wanted
            Set<String> next = new LinkedHashSet<>(wanted);
            next.remove(feature.name());
            try {
                saved.save(next);
            } catch (IOException e) {
                throw new AdminException("cannot uninstall feature " + name + ": " + e.getMessage() + "; nothing was changed", e);
            }
            wanted.remove(feature.name());
            LOG.log(Level.INFO, "feature " + name + " is no longer installed at start");
            return info(feature);
        }
        Set<String> heldByOthers = new java.util.HashSet<>();
        for (FeatureFile other : all.values()) {
            if (!other.name().equals(feature.name()) && isInstalled(other)) {
                other.bundles().forEach(b -> heldByOthers.add(b.coordinates().toString()));
            }
        }
        Set<String> next = new LinkedHashSet<>(wanted);
        next.remove(feature.name());
        try {
            saved.save(next);
            wanted.remove(feature.name());
            installed.remove(feature.name());
        } catch (IOException e) {
            throw new AdminException("cannot uninstall feature " + name + ": " + e.getMessage() + "; nothing was changed", e);
        }
        List<Bundle> removed = new ArrayList<>();
        List<FeatureFile.Bundle> reversed = new ArrayList<>(feature.bundles());
        Collections.reverse(reversed);
        for (FeatureFile.Bundle b : reversed) {
            Bundle bundle = context.getBundle(LOCATION_PREFIX + b.coordinates());
            if (bundle != null && !heldByOthers.contains(b.coordinates().toString())) {
                try {
                    bundle.uninstall();
                    removed.add(bundle);
                } catch (BundleException | IllegalStateException e) {
                    LOG.log(Level.ERROR, "feature " + name + ": cannot uninstall " + b.coordinates() + ": " + e.getMessage());
                }
            }
        }
        deleteConfigurations(feature.name());
        if (!removed.isEmpty()) {
            context.getBundle(Constants.SYSTEM_BUNDLE_LOCATION).adapt(FrameworkWiring.class).refreshBundles(removed);
        }
        LOG.log(Level.INFO, "feature " + name + " uninstalled");
        return info(feature);
    }

    private FeatureInfo info(FeatureFile f) {
        return new FeatureInfo(f.name(), f.id(), f.description(), isInstalled(f),
                f.bundles().stream().map(b -> b.coordinates().toString()).toList());
    }

    private boolean isInstalled(FeatureFile f) {
        return installed.contains(f.name()) || isBase(f);
    }

    /** The base is the feature that holds this bundle: the launcher starts it, nobody installs it. */
    private boolean isBase(FeatureFile f) {
        Bundle self = context.getBundle();
        for (FeatureFile.Bundle b : f.bundles()) {
            try {
                Bundle present = present(b.coordinates());
                if (present != null && present.getBundleId() == self.getBundleId()) {
                    return true;
                }
            } catch (AdminException e) {
                // A bundle missing from the repository is reported when someone installs the feature.
            }
        }
        return false;
    }

    private FeatureFile feature(String name) {
        return feature(features(), name);
    }

    private FeatureFile feature(Map<String, FeatureFile> all, String name) {
        FeatureFile f = all.get(name);
        if (f == null) {
            throw new InvalidValueException("feature", name, "known features: " + String.join(", ", all.keySet()));
        }
        return f;
    }

    /** The feature files, read afresh so that a file added or fixed counts at once. A broken file is refused by name. */
    private Map<String, FeatureFile> features() {
        Map<String, FeatureFile> result = new TreeMap<>();
        List<Path> files;
        try (Stream<Path> list = Files.list(directory)) {
            files = list.filter(p -> p.getFileName().toString().endsWith(".json")).sorted().toList();
        } catch (IOException e) {
            throw new AdminException("cannot read the feature directory " + directory + ": " + e.getMessage(), e);
        }
        for (Path file : files) {
            FeatureFile f;
            try {
                f = FeatureFile.read(mapper, file);
            } catch (InvalidFeatureFileException e) {
                LOG.log(Level.WARNING, "feature file ignored: " + e.getMessage());
                continue;
            }
            FeatureFile clash = result.putIfAbsent(f.name(), f);
            if (clash != null) {
                LOG.log(Level.WARNING, "feature file " + file + " ignored: another file already defines feature " + f.name());
            }
        }
        return result;
    }

    /** The installed bundle with the symbolic name and version of the repository's jar for these coordinates. */
    private Bundle present(Coordinates coordinates) {
        Bundle byLocation = context.getBundle(LOCATION_PREFIX + coordinates);
        if (byLocation != null) {
            return byLocation;
        }
        Manifest manifest = manifest(coordinates);
        Attributes main = manifest.getMainAttributes();
        String bsn = main.getValue(Constants.BUNDLE_SYMBOLICNAME);
        if (bsn == null) {
            throw new AdminException(coordinates + " is not an OSGi bundle (no " + Constants.BUNDLE_SYMBOLICNAME + ")");
        }
        String symbolicName = bsn.split(";")[0].strip();
        Version version = Version.parseVersion(main.getValue(Constants.BUNDLE_VERSION));
        for (Bundle b : context.getBundles()) {
            if (symbolicName.equals(b.getSymbolicName()) && version.equals(b.getVersion())) {
                return b;
            }
        }
        return null;
    }

    private Manifest manifest(Coordinates coordinates) {
        Path jar = jar(coordinates);
        try (JarInputStream in = new JarInputStream(Files.newInputStream(jar))) {
            Manifest manifest = in.getManifest();
            if (manifest == null) {
                throw new AdminException(jar + " has no manifest");
            }
            return manifest;
        } catch (IOException e) {
            throw new AdminException("cannot read " + jar + ": " + e.getMessage(), e);
        }
    }

    private Path jar(Coordinates coordinates) {
        Path jar = coordinates.in(repository);
        if (!Files.isRegularFile(jar)) {
            throw new AdminException("bundle " + coordinates + " is not in the repository " + repository + " (looked for " + jar + ")");
        }
        return jar;
    }

    private Bundle installBundle(Coordinates coordinates) throws BundleException, IOException {
        try (InputStream in = Files.newInputStream(jar(coordinates))) {
            return context.installBundle(LOCATION_PREFIX + coordinates, in);
        }
    }

    private Optional<Configuration> createConfiguration(String feature, String pid, Map<String, Object> properties) throws IOException {
        int tilde = pid.indexOf('~');
        Configuration c = tilde < 0 ? configurations.getConfiguration(pid, "?")
                : configurations.getFactoryConfiguration(pid.substring(0, tilde), pid.substring(tilde + 1), "?");
        if (c.getProperties() != null) {
            // The user's (etc/*.cfg, the console) wins over a feature's default.
            return Optional.empty();
        }
        Dictionary<String, Object> dictionary = new Hashtable<>(properties);
        dictionary.put(FEATURE_PROPERTY, feature);
        c.update(dictionary);
        return Optional.of(c);
    }

    private void deleteConfigurations(String feature) {
        try {
            Configuration[] mine = configurations.listConfigurations("(" + FEATURE_PROPERTY + "=" + feature + ")");
            for (Configuration c : mine == null ? new Configuration[0] : mine) {
                c.delete();
            }
        } catch (IOException | org.osgi.framework.InvalidSyntaxException e) {
            LOG.log(Level.ERROR, "feature " + feature + ": cannot delete its configuration: " + e.getMessage());
        }
    }

    private void undo(List<Bundle> added, List<Configuration> created) {
        for (Configuration c : created) {
            try {
                c.delete();
            } catch (IOException | IllegalStateException e) {
                LOG.log(Level.ERROR, "cannot delete configuration " + c.getPid() + " while undoing an install: " + e.getMessage());
            }
        }
        for (int i = added.size() - 1; i >= 0; i--) {
            try {
                added.get(i).uninstall();
            } catch (BundleException | IllegalStateException e) {
                LOG.log(Level.ERROR, "cannot uninstall " + added.get(i).getLocation() + " while undoing an install: " + e.getMessage());
            }
        }
        if (!added.isEmpty()) {
            context.getBundle(Constants.SYSTEM_BUNDLE_LOCATION).adapt(FrameworkWiring.class).refreshBundles(added);
        }
    }

    private static String message(Exception e) {
        return e.getMessage() == null ? e.getClass().getSimpleName() : e.getMessage();
    }
}
