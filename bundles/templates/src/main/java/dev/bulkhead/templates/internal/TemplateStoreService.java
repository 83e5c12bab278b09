package dev.bulkhead.templates.internal;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.security.DigestInputStream;
import java.security.MessageDigest;
import java.security.PublicKey;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.UUID;

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


import dev.bulkhead.api.AdminException;
import dev.bulkhead.api.InvalidStateException;
import dev.bulkhead.api.InvalidValueException;
import dev.bulkhead.api.QubeAdmin;
import dev.bulkhead.api.QubeEvent;
import dev.bulkhead.api.QubeEventListener;
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
    private static final String STAGING_PREFIX = ".staging-";

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
    private final TemplateRecords records;
    private final TemplateVmMaker maker;
    private final StoreEvents events = new StoreEvents();
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
        this.records = new TemplateRecords(templates, admin);
        this.maker = new TemplateVmMaker(admin, templates);
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
        events.close();
    }

    @Reference(cardinality = ReferenceCardinality.MULTIPLE, policy = ReferencePolicy.DYNAMIC)
    void addListener(QubeEventListener listener) {
        events.add(listener);
    }

    void removeListener(QubeEventListener listener) {
        events.remove(listener);
    }

    // ---- install ------------------------------------------------------------------------------

    @Override
    public TemplateInfo install(Path file, InstallListener listener, boolean allowUnknownKey) {
        Path source = requirePackage(file);
        InstallListener progress = events.progressOf(source.getFileName().toString(), listener == null ? InstallListener.NONE : listener);
        synchronized (installLock) {
            Path staging = null;
            try {
                staging = Files.createDirectory(templates.resolve(STAGING_PREFIX + UUID.randomUUID()));
                PackageReader.Checked checked = reader().read(source, backend(), allowUnknownKey, staging, progress, true);
                TemplateManifest manifest = checked.manifest();
                String name = manifest.name();
                if (Files.exists(templates.resolve(name), LinkOption.NOFOLLOW_LINKS)) {
                    throw new InvalidStateException("template '" + name + "' is installed already (version " + records.info(name).manifest().version()
                            + "); remove it first");
                }
                if (admin.find(name).isPresent()) {
                    throw new InvalidValueException("template name", name, "a name no qube has; a qube of that name exists");
                }
                progress.progress(InstallListener.Phase.IMPORT, 0, 1);
                maker.make(checked, staging, allowUnknownKey);
                progress.progress(InstallListener.Phase.DONE, 1, 1);
                events.fire(QubeEvent.TEMPLATE_INSTALL, Map.of("template", name, "version", manifest.version(), "key", checked.signature().keyId(),
                        "trusted", Boolean.toString(checked.trusted())));
                return records.info(name);
            } catch (IOException e) {
                events.fire(QubeEvent.TEMPLATE_INSTALL_FAILED, Map.of("file", source.toString(), "reason", String.valueOf(e.getMessage())));
                throw new AdminException("cannot install " + source + ": " + e.getMessage(), e);
            } catch (RuntimeException e) {
                events.fire(QubeEvent.TEMPLATE_INSTALL_FAILED, Map.of("file", source.toString(), "reason", String.valueOf(e.getMessage())));
                throw e;
            } finally {
                if (staging != null) {
                    StoreFiles.deleteTree(staging);
                }
            }
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
        return records.list();
    }

    @Override
    public Optional<TemplateInfo> find(String name) {
        return records.find(name);
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
                    StoreFiles.deleteTree(staging);
                }
            }
        }
        return new Verification(source.toString(), manifest, header.signature().keyId(), isTrusted(header.signature().key()), problems);
    }

    @Override
    public Verification verifyInstalled(String name) {
        Path dir = records.recordOf(name);
        if (!Files.isDirectory(dir, LinkOption.NOFOLLOW_LINKS)) {
            throw records.noSuchTemplate(name);
        }
        List<String> problems = new ArrayList<>();
        try {
            byte[] manifestBytes = Files.readAllBytes(dir.resolve(Manifests.MANIFEST));
            ManifestSignature signature = ManifestSignature.parse(Files.readAllBytes(dir.resolve(Manifests.SIGNATURE)));
            if (!signature.verifies(manifestBytes)) {
                problems.add("the kept signature does not match the kept manifest: it was changed after install");
            }
            TemplateManifest manifest = Manifests.parse(manifestBytes);
            // only the backend's payload is kept at install (records before that kept all of it)
            String backend = TemplateRecords.backendOf(dir);
            for (PayloadFile f : backend.isEmpty() ? manifest.files() : manifest.filesFor(backend)) {
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
            Path dir = records.recordOf(name);
            if (!Files.isDirectory(dir, LinkOption.NOFOLLOW_LINKS)) {
                throw records.noSuchTemplate(name);
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
            StoreFiles.deleteTree(doomed);
            events.fire(QubeEvent.TEMPLATE_REMOVE, Map.of("template", name));
        }
    }

    // ---- files --------------------------------------------------------------------------------

    /** Staging directories a crash left behind hold nothing anyone needs. */
    private void removeStaging() throws IOException {
        try (DirectoryStream<Path> left = Files.newDirectoryStream(templates, STAGING_PREFIX + "*")) {
            for (Path p : left) {
                StoreFiles.deleteTree(p);
            }
        }
    }
}
