package dev.bulkhead.templates.internal;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.lang.System.Logger.Level;
import java.nio.channels.FileChannel;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.security.DigestInputStream;
import java.security.MessageDigest;
import java.security.PublicKey;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.UUID;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

import org.osgi.framework.BundleContext;
import org.osgi.service.component.annotations.Activate;
import org.osgi.service.component.annotations.Component;
import org.osgi.service.component.annotations.Deactivate;
import org.osgi.service.component.annotations.Modified;
import org.osgi.service.component.annotations.Reference;
import org.osgi.service.component.annotations.ReferenceCardinality;
import org.osgi.service.component.annotations.ReferencePolicy;
import org.osgi.service.metatype.annotations.AttributeDefinition;
import org.osgi.service.metatype.annotations.Designate;
import org.osgi.service.metatype.annotations.ObjectClassDefinition;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;

import dev.bulkhead.api.AdminException;
import dev.bulkhead.api.InvalidStateException;
import dev.bulkhead.api.InvalidValueException;
import dev.bulkhead.api.Label;
import dev.bulkhead.api.QubeAdmin;
import dev.bulkhead.api.QubeClass;
import dev.bulkhead.api.QubeEvent;
import dev.bulkhead.api.QubeEventListener;
import dev.bulkhead.api.QubeNames;
import dev.bulkhead.api.QubeSpec;
import dev.bulkhead.api.hypervisor.VolumeSpec;
import dev.bulkhead.api.json.JsonMappers;
import dev.bulkhead.api.template.InstallListener;
import dev.bulkhead.api.template.PayloadFile;
import dev.bulkhead.api.template.TemplateInfo;
import dev.bulkhead.api.template.TemplateManifest;
import dev.bulkhead.api.template.TemplateStore;
import dev.bulkhead.api.template.Verification;

/**
 * The template store. An installed template is kept in {@code templates/<name>/} of the data
 * directory (its manifest, signature and payload, for {@code verify}), and its root becomes the
 * root volume of the TemplateVM of the same name. Packages are checked and unpacked in a staging
 * directory beside it, which goes whatever happens: a refused package leaves nothing behind.
 */
@Component(service = TemplateStore.class, configurationPid = TemplateStoreService.PID, immediate = true)
@Designate(ocd = TemplateStoreService.Config.class)
public final class TemplateStoreService implements TemplateStore {
    static final String PID = "dev.bulkhead.templates";
    static final String DATA_PROPERTY = "bulkhead.data";
    /** Framework property naming the platform's configuration directory, whose template-keys/ holds the trusted keys. */
    static final String ETC_PROPERTY = "bulkhead.etc";
    static final String KEYS_DIRECTORY = "template-keys";
    private static final String RECORD = "installed.json";
    private static final String STAGING_PREFIX = ".staging-";
    private static final System.Logger LOG = System.getLogger(TemplateStoreService.class.getName());
    private static final ObjectMapper JSON = JsonMappers.create();

    /** Properties: trusted.keys, max.payload.mb, max.unpacked.mb, max.entries (an underscore reads as a dot). */
    @ObjectClassDefinition(name = "Bulkhead template store", description = "Installs signed templates as TemplateVMs.")
    @interface Config {
        @AttributeDefinition(name = "Trusted keys", description = "Directory of the Ed25519 public keys (*.pub, PEM) that templates"
                + " may be signed with; empty: template-keys/ in the platform's etc directory")
        String trusted_keys() default "";

        @AttributeDefinition(name = "Largest payload (MiB)", description = "A template whose payload files are larger is refused", min = "1")
        int max_payload_mb() default 4096;

        @AttributeDefinition(name = "Largest root (MiB)", description = "A root archive that unpacks to more is refused", min = "1")
        int max_unpacked_mb() default 16384;

        @AttributeDefinition(name = "Most entries", description = "A root archive with more entries is refused", min = "1")
        int max_entries() default 1_000_000;
    }

    private final QubeAdmin admin;
    private final Path templates;
    private final Path defaultKeys;
    private final List<QubeEventListener> listeners = new CopyOnWriteArrayList<>();
    private final ExecutorService eventThread = Executors.newSingleThreadExecutor(r -> {
        Thread t = new Thread(r, "bulkhead-template-events");
        t.setDaemon(true);
        return t;
    });
    private final Object installLock = new Object();
    private volatile Config config;

    @Activate
    public TemplateStoreService(BundleContext context, Config config, @Reference QubeAdmin admin) throws IOException {
        this(dataDirectory(context.getProperty(DATA_PROPERTY)), keysDirectory(context), config, admin);
    }

    TemplateStoreService(Path data, Path defaultKeys, Config config, QubeAdmin admin) throws IOException {
        this.admin = admin;
        this.templates = Files.createDirectories(data.resolve("templates"));
        this.defaultKeys = defaultKeys;
        this.config = config;
        removeStaging();
    }

    private static Path dataDirectory(String value) {
        if (value == null || value.isBlank() || !Path.of(value).isAbsolute()) {
            throw new IllegalStateException("framework property " + DATA_PROPERTY + " must name the data directory as an absolute path, found: " + value);
        }
        return Path.of(value);
    }

    /** etc/template-keys of the installation: from bulkhead.etc, else bulkhead.home/etc; none without either. */
    private static Path keysDirectory(BundleContext context) {
        String etc = context.getProperty(ETC_PROPERTY);
        if (etc == null || etc.isBlank()) {
            String home = context.getProperty("bulkhead.home");
            etc = home == null || home.isBlank() ? null : Path.of(home, "etc").toString();
        }
        return etc == null ? null : Path.of(etc, KEYS_DIRECTORY);
    }

    @Modified
    void modified(Config newConfig) {
        config = newConfig;
    }

    @Deactivate
    void deactivate() {
        eventThread.shutdown();
        try {
            eventThread.awaitTermination(5, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    @Reference(cardinality = ReferenceCardinality.MULTIPLE, policy = ReferencePolicy.DYNAMIC)
    void addListener(QubeEventListener listener) {
        listeners.add(listener);
    }

    void removeListener(QubeEventListener listener) {
        listeners.remove(listener);
    }

    // ---- install ------------------------------------------------------------------------------

    @Override
    public TemplateInfo install(Path file, InstallListener listener, boolean allowUnknownKey) {
        Path source = requirePackage(file);
        InstallListener progress = new ProgressEvents(source.getFileName().toString(), listener == null ? InstallListener.NONE : listener);
        synchronized (installLock) {
            Path staging = null;
            try {
                staging = Files.createDirectory(templates.resolve(STAGING_PREFIX + UUID.randomUUID()));
                PackageReader.Checked checked = reader().read(source, backend(), allowUnknownKey, staging, progress, true);
                TemplateManifest manifest = checked.manifest();
                String name = manifest.name();
                if (Files.exists(templates.resolve(name), LinkOption.NOFOLLOW_LINKS)) {
                    throw new InvalidStateException("template '" + name + "' is installed already (version " + info(name).manifest().version()
                            + "); remove it first");
                }
                if (admin.find(name).isPresent()) {
                    throw new InvalidValueException("template name", name, "a name no qube has; a qube of that name exists");
                }
                progress.progress(InstallListener.Phase.IMPORT, 0, 1);
                makeTemplateVm(checked, staging, allowUnknownKey);
                progress.progress(InstallListener.Phase.DONE, 1, 1);
                fire(QubeEvent.TEMPLATE_INSTALL, Map.of("template", name, "version", manifest.version(), "key", checked.signature().keyId(),
                        "trusted", Boolean.toString(checked.trusted())));
                return info(name);
            } catch (IOException e) {
                fire(QubeEvent.TEMPLATE_INSTALL_FAILED, Map.of("file", source.toString(), "reason", String.valueOf(e.getMessage())));
                throw new AdminException("cannot install " + source + ": " + e.getMessage(), e);
            } catch (RuntimeException e) {
                fire(QubeEvent.TEMPLATE_INSTALL_FAILED, Map.of("file", source.toString(), "reason", String.valueOf(e.getMessage())));
                throw e;
            } finally {
                if (staging != null) {
                    deleteTree(staging);
                }
            }
        }
    }

    /** Makes the TemplateVM with the unpacked root, then keeps the package's record; the TemplateVM goes again if anything fails. */
    private void makeTemplateVm(PackageReader.Checked checked, Path staging, boolean allowUnknownKey) throws IOException {
        TemplateManifest manifest = checked.manifest();
        String name = manifest.name();
        admin.create(new QubeSpec(name, QubeClass.TemplateVM, Label.BLACK, Map.of()));
        try {
            admin.importVolume(name, VolumeSpec.ROOT, staging.resolve(PackageReader.ROOT));
            Long privateSize = manifest.sizes().get(VolumeSpec.PRIVATE);
            if (privateSize != null && privateSize > admin.volume(name, VolumeSpec.PRIVATE).size()) {
                admin.resizeVolume(name, VolumeSpec.PRIVATE, privateSize);
            }
            Instant now = Instant.now();
            admin.setFeature(name, "template-name", name);
            admin.setFeature(name, "template-version", manifest.version());
            admin.setFeature(name, "template-key", checked.signature().keyId() + (checked.trusted() ? "" : " (untrusted)"));
            admin.setFeature(name, "template-installtime", now.toString());
            if (!manifest.built().isEmpty()) {
                admin.setFeature(name, "template-buildtime", manifest.built());
            }
            if (!manifest.summary().isEmpty()) {
                admin.setFeature(name, "template-summary", manifest.summary());
            }
            Path record = Files.createDirectory(staging.resolve("record"));
            writeSynced(record.resolve(Manifests.MANIFEST), checked.manifestBytes());
            writeSynced(record.resolve(Manifests.SIGNATURE), checked.signature().encode());
            ObjectNode installed = JSON.createObjectNode();
            installed.put("installed", now.toString());
            installed.put("key", checked.signature().keyId());
            installed.put("trusted", checked.trusted());
            installed.put("allow_unknown_key", allowUnknownKey);
            writeSynced(record.resolve(RECORD), JSON.writeValueAsBytes(installed));
            Files.move(staging.resolve(PackageReader.PAYLOAD), record.resolve(PackageReader.PAYLOAD), StandardCopyOption.ATOMIC_MOVE);
            Files.move(record, templates.resolve(name), StandardCopyOption.ATOMIC_MOVE);
            syncDirectory(templates);
        } catch (IOException | RuntimeException e) {
            try {
                admin.remove(name);
            } catch (AdminException cleanup) {
                e.addSuppressed(cleanup);
            }
            throw e;
        }
    }

    private Path requirePackage(Path file) {
        if (file == null || !Files.isRegularFile(file)) {
            throw new InvalidValueException("template package", String.valueOf(file), "an existing file");
        }
        return file.toAbsolutePath().normalize();
    }

    private String backend() {
        String backend = admin.backendName();
        if (backend.equals("none")) {
            throw new InvalidStateException("no hypervisor backend runs yet; a template is installed for the backend in use");
        }
        return backend;
    }

    private PackageReader reader() {
        Config c = config;
        Path keys = keys();
        return new PackageReader(keys == null ? Map.of() : Ed25519Keys.trusted(keys), keys == null ? "no directory" : keys.toString(),
                new PackageReader.Limits((long) c.max_payload_mb() << 20, (long) c.max_unpacked_mb() << 20, c.max_entries()));
    }

    private Path keys() {
        String configured = config.trusted_keys();
        return configured == null || configured.isBlank() ? defaultKeys : Path.of(configured);
    }

    // ---- queries ------------------------------------------------------------------------------

    @Override
    public List<TemplateInfo> list() {
        List<TemplateInfo> all = new ArrayList<>();
        try (DirectoryStream<Path> dirs = Files.newDirectoryStream(templates, p -> !p.getFileName().toString().startsWith("."))) {
            for (Path dir : dirs) {
                try {
                    all.add(read(dir));
                } catch (AdminException e) {
                    LOG.log(Level.WARNING, "template record " + dir + " cannot be read: " + e.getMessage());
                }
            }
        } catch (IOException e) {
            throw new AdminException("cannot list " + templates + ": " + e.getMessage(), e);
        }
        all.sort(Comparator.comparing(TemplateInfo::name));
        return all;
    }

    @Override
    public Optional<TemplateInfo> find(String name) {
        Path dir = recordOf(name);
        return Files.isDirectory(dir, LinkOption.NOFOLLOW_LINKS) ? Optional.of(read(dir)) : Optional.empty();
    }

    private TemplateInfo info(String name) {
        return find(name).orElseThrow(() -> noSuchTemplate(name));
    }

    private AdminException noSuchTemplate(String name) {
        List<String> installed = list().stream().map(TemplateInfo::name).toList();
        return new InvalidValueException("template", name, installed.isEmpty() ? "no template is installed"
                : "one of the installed templates: " + String.join(", ", installed));
    }

    private Path recordOf(String name) {
        try {
            return templates.resolve(QubeNames.validate(name));
        } catch (InvalidValueException e) {
            throw new InvalidValueException("template", String.valueOf(name), "a template name: " + e.getMessage());
        }
    }

    private TemplateInfo read(Path dir) {
        try {
            TemplateManifest manifest = Manifests.parse(Files.readAllBytes(dir.resolve(Manifests.MANIFEST)));
            JsonNode record = JSON.readTree(Files.readAllBytes(dir.resolve(RECORD)));
            boolean present = admin.find(manifest.name()).map(q -> q.klass() == QubeClass.TemplateVM).orElse(false);
            return new TemplateInfo(manifest, record.path("key").asText(), record.path("trusted").asBoolean(),
                    Instant.parse(record.path("installed").asText()), present);
        } catch (IOException | RuntimeException e) {
            throw new AdminException("template record " + dir + " cannot be read: " + e.getMessage(), e);
        }
    }

    // ---- verify -------------------------------------------------------------------------------

    @Override
    public Verification verify(Path file) {
        Path source = requirePackage(file);
        PackageReader.Header header;
        try {
            header = PackageReader.header(source);
        } catch (AdminException e) {
            return new Verification(source.toString(), null, "", false, List.of(e.getMessage()));
        }
        List<String> problems = new ArrayList<>();
        TemplateManifest manifest = null;
        try {
            manifest = Manifests.parse(header.manifestBytes());
        } catch (AdminException e) {
            problems.add(e.getMessage());
        }
        if (problems.isEmpty()) {
            Path staging = null;
            try {
                staging = Files.createDirectory(templates.resolve(STAGING_PREFIX + UUID.randomUUID()));
                reader().read(source, backend(), true, staging, InstallListener.NONE, true);
            } catch (AdminException e) {
                problems.add(e.getMessage());
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            } finally {
                if (staging != null) {
                    deleteTree(staging);
                }
            }
        }
        return new Verification(source.toString(), manifest, header.signature().keyId(), isTrusted(header.signature().key()), problems);
    }

    @Override
    public Verification verifyInstalled(String name) {
        Path dir = recordOf(name);
        if (!Files.isDirectory(dir, LinkOption.NOFOLLOW_LINKS)) {
            throw noSuchTemplate(name);
        }
        List<String> problems = new ArrayList<>();
        try {
            byte[] manifestBytes = Files.readAllBytes(dir.resolve(Manifests.MANIFEST));
            ManifestSignature signature = ManifestSignature.parse(Files.readAllBytes(dir.resolve(Manifests.SIGNATURE)));
            if (!signature.verifies(manifestBytes)) {
                problems.add("the kept signature does not match the kept manifest: it was changed after install");
            }
            TemplateManifest manifest = Manifests.parse(manifestBytes);
            for (PayloadFile f : manifest.files()) {
                Path kept = dir.resolve(PackageReader.PAYLOAD).resolve(f.name());
                if (!Files.isRegularFile(kept, LinkOption.NOFOLLOW_LINKS)) {
                    problems.add("payload file " + f.name() + " is missing from " + kept.getParent());
                    continue;
                }
                String actual = sha256(kept);
                if (!actual.equals(f.sha256())) {
                    problems.add("payload file " + f.name() + " has SHA-256 " + actual + ", the signed manifest says " + f.sha256());
                }
            }
            if (admin.find(name).isEmpty()) {
                problems.add("its TemplateVM '" + name + "' no longer exists");
            }
            return new Verification(name, manifest, signature.keyId(), isTrusted(signature.key()), problems);
        } catch (IOException e) {
            throw new AdminException("cannot read the record of template '" + name + "': " + e.getMessage(), e);
        }
    }

    private boolean isTrusted(PublicKey key) {
        Path keys = keys();
        PublicKey trusted = keys == null ? null : Ed25519Keys.trusted(keys).get(Ed25519Keys.id(key));
        return key.equals(trusted);
    }

    private static String sha256(Path file) throws IOException {
        MessageDigest digest = PackageReader.sha256();
        try (DigestInputStream in = new DigestInputStream(Files.newInputStream(file), digest)) {
            in.transferTo(java.io.OutputStream.nullOutputStream());
        }
        return HexFormat.of().formatHex(digest.digest());
    }

    // ---- remove -------------------------------------------------------------------------------

    @Override
    public void remove(String name) {
        synchronized (installLock) {
            Path dir = recordOf(name);
            if (!Files.isDirectory(dir, LinkOption.NOFOLLOW_LINKS)) {
                throw noSuchTemplate(name);
            }
            if (admin.find(name).isPresent()) {
                // refused while an AppVM, a global default or anything else uses it, or while it runs
                admin.remove(name);
            }
            Path doomed = templates.resolve(STAGING_PREFIX + "removed-" + UUID.randomUUID());
            try {
                Files.move(dir, doomed, StandardCopyOption.ATOMIC_MOVE);
            } catch (IOException e) {
                throw new AdminException("cannot remove the record " + dir + ": " + e.getMessage(), e);
            }
            deleteTree(doomed);
            fire(QubeEvent.TEMPLATE_REMOVE, Map.of("template", name));
        }
    }

    // ---- events -------------------------------------------------------------------------------

    private void fire(String type, Map<String, String> data) {
        QubeEvent event = new QubeEvent(type, QubeAdmin.DOM0, data, Instant.now());
        try {
            eventThread.execute(() -> {
                for (QubeEventListener l : listeners) {
                    try {
                        l.onEvent(event);
                    } catch (RuntimeException e) {
                        LOG.log(Level.WARNING, "event listener " + l + " failed on " + event, e);
                    }
                }
            });
        } catch (java.util.concurrent.RejectedExecutionException e) {
            // the store is going away: nobody is left to tell
        }
    }

    /** Passes progress on, and fires it as events when the phase or the whole percent changes. */
    private final class ProgressEvents implements InstallListener {
        private final String file;
        private final InstallListener caller;
        private Phase lastPhase;
        private long lastPercent = -1;

        ProgressEvents(String file, InstallListener caller) {
            this.file = file;
            this.caller = caller;
        }

        @Override
        public void progress(Phase phase, long done, long total) {
            caller.progress(phase, done, total);
            long percent = total <= 0 ? 100 : done * 100 / total;
            if (phase != lastPhase || percent != lastPercent) {
                lastPhase = phase;
                lastPercent = percent;
                fire(QubeEvent.TEMPLATE_INSTALL_PROGRESS, Map.of("file", file, "phase", phase.name().toLowerCase(java.util.Locale.ROOT),
                        "done", Long.toString(done), "total", Long.toString(total)));
            }
        }
    }

    // ---- files --------------------------------------------------------------------------------

    /** Staging directories a crash left behind hold nothing anyone needs. */
    private void removeStaging() throws IOException {
        try (DirectoryStream<Path> left = Files.newDirectoryStream(templates, STAGING_PREFIX + "*")) {
            for (Path p : left) {
                deleteTree(p);
            }
        }
    }

    private static void writeSynced(Path file, byte[] bytes) throws IOException {
        try (FileChannel ch = FileChannel.open(file, StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE)) {
            ch.write(java.nio.ByteBuffer.wrap(bytes));
            ch.force(true);
        }
    }

    private static void syncDirectory(Path dir) throws IOException {
        try (FileChannel d = FileChannel.open(dir, StandardOpenOption.READ)) {
            d.force(true);
        }
    }

    static void deleteTree(Path root) {
        if (!Files.exists(root, LinkOption.NOFOLLOW_LINKS)) {
            return;
        }
        try (Stream<Path> walk = Files.walk(root)) {
            for (Path p : walk.sorted(Comparator.reverseOrder()).toList()) {
                Files.delete(p);
            }
        } catch (IOException | UncheckedIOException e) {
            throw new AdminException("cannot remove " + root + ": " + e.getMessage(), e);
        }
    }
}
