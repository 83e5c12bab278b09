package dev.bulkhead.console.internal;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.Executor;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.atomic.AtomicLong;
import java.util.regex.Pattern;
import java.util.stream.Stream;

import org.osgi.framework.BundleContext;
import org.osgi.service.component.annotations.Activate;
import org.osgi.service.component.annotations.Component;
import org.osgi.service.component.annotations.Deactivate;
import org.osgi.service.component.annotations.Reference;
import org.osgi.service.metatype.annotations.AttributeDefinition;
import org.osgi.service.metatype.annotations.Designate;
import org.osgi.service.metatype.annotations.ObjectClassDefinition;

import dev.bulkhead.api.AdminException;
import dev.bulkhead.api.template.InstallListener;
import dev.bulkhead.api.template.TemplateStore;

/**
 * The console's template installs: from a package in the distribution's {@code templates/} directory
 * or from an upload, each run as a job whose progress the console polls. An upload is spooled to
 * the data directory (bounded by {@code max.upload.mb}) and goes once its install ends, installed or
 * refused; the store's own checks, the ones {@code qvm:template install} makes, decide. There while
 * the template store is.
 */
@Component(service = TemplateInstalls.class, configurationPid = TemplateInstalls.PID)
@Designate(ocd = TemplateInstalls.Config.class)
public final class TemplateInstalls {
    static final String PID = "dev.bulkhead.console.templates";
    /** A package name in the templates directory, as the build names them: NAME-VERSION.bht. */
    static final Pattern PACKAGE = Pattern.compile("[a-zA-Z][a-zA-Z0-9_.-]{0,30}-[0-9][a-zA-Z0-9_.+~-]{0,40}\\.bht");
    /** How many finished jobs are kept for the console to read. */
    static final int KEPT_JOBS = 20;
    private static final String SPOOL = "console-uploads";

    @ObjectClassDefinition(name = "Bulkhead console: templates", description = "Where the console finds template packages to install,"
            + " and how large an upload may be")
    @interface Config {
        @AttributeDefinition(description = "Directory of the template packages (NAME-VERSION.bht) the console offers; empty: templates/"
                + " of the installation")
        String directory() default "";

        @AttributeDefinition(description = "Largest template package accepted as an upload, in MiB", min = "1")
        int max_upload_mb() default 4096;
    }

    /** What an install job is doing. */
    enum State { QUEUED, RUNNING, DONE, FAILED }

    /** One install: its source, its progress and its outcome, read by the console while it runs. */
    static final class Job {
        final String id;
        final String source;
        /** Whether a package signed by a key not in etc/template-keys is installed (a valid signature still needed). */
        final boolean allowUnknownKey;
        final Instant started = Instant.now();
        volatile State state = State.QUEUED;
        volatile InstallListener.Phase phase;
        volatile long done;
        volatile long total;
        volatile String template;
        volatile String error;

        Job(String id, String source, boolean allowUnknownKey) {
            this.id = id;
            this.source = source;
            this.allowUnknownKey = allowUnknownKey;
        }
    }

    private final TemplateStore store;
    private final Path directory;
    private final Path spool;
    private final long maxUpload;
    private final AtomicLong ids = new AtomicLong();
    private final Map<String, Job> jobs = new LinkedHashMap<>();
    /** Runs the installs, one at a time (the store installs one at a time anyway). */
    private final Executor worker;

    @Activate
    public TemplateInstalls(BundleContext context, @Reference TemplateStore store, Config config) throws IOException {
        this(store, directory(context, config), Path.of(required(context, "bulkhead.data")).resolve(SPOOL),
                (long) Math.max(1, config.max_upload_mb()) << 20, Executors.newSingleThreadExecutor(r -> {
                    Thread t = new Thread(r, "bulkhead-console-template-install");
                    t.setDaemon(true);
                    return t;
                }));
    }

    TemplateInstalls(TemplateStore store, Path directory, Path spool, long maxUpload, Executor worker) throws IOException {
        this.store = store;
        this.worker = worker;
        this.directory = directory;
        this.spool = Files.createDirectories(spool);
        this.maxUpload = maxUpload;
        // uploads a stop cut short hold nothing anyone needs
        try (DirectoryStream<Path> left = Files.newDirectoryStream(this.spool)) {
            for (Path p : left) {
                Files.deleteIfExists(p);
            }
        }
    }

    private static String required(BundleContext context, String property) {
        String value = context.getProperty(property);
        if (value == null || value.isBlank()) {
            throw new IllegalStateException("framework property " + property + " is not set");
        }
        return value;
    }

    private static Path directory(BundleContext context, Config config) {
        if (!config.directory().isBlank()) {
            return Path.of(config.directory()).toAbsolutePath().normalize();
        }
        String home = context.getProperty("bulkhead.home");
        return (home == null || home.isBlank() ? Path.of("") : Path.of(home)).toAbsolutePath().resolve("templates").normalize();
    }

    @Deactivate
    void deactivate() {
        if (worker instanceof ExecutorService service) {
            service.shutdownNow();
        }
    }

    TemplateStore store() {
        return store;
    }

    Path directory() {
        return directory;
    }

    long maxUpload() {
        return maxUpload;
    }

    /** A package in the templates directory, named as the build names them; its name and version are read from the file name. */
    record Package(String file, String name, String version, long size) {
    }

    /** The packages in the templates directory, newest version first per name. */
    List<Package> packages() {
        if (!Files.isDirectory(directory)) {
            return List.of();
        }
        try (Stream<Path> files = Files.list(directory)) {
            return files.filter(f -> PACKAGE.matcher(f.getFileName().toString()).matches() && Files.isRegularFile(f, LinkOption.NOFOLLOW_LINKS))
                    .map(TemplateInstalls::packageOf).sorted(Comparator.comparing(Package::file)).toList();
        } catch (IOException e) {
            throw new UncheckedIOException("cannot list " + directory + ": " + e.getMessage(), e);
        }
    }

    private static Package packageOf(Path f) {
        String file = f.getFileName().toString();
        String stem = file.substring(0, file.length() - ".bht".length());
        int dash = 0;
        for (int i = 1; i < stem.length() - 1; i++) {
            if (stem.charAt(i) == '-' && Character.isDigit(stem.charAt(i + 1))) {
                dash = i;
                break;
            }
        }
        long size;
        try {
            size = Files.size(f);
        } catch (IOException e) {
            size = -1;
        }
        return new Package(file, stem.substring(0, dash), stem.substring(dash + 1), size);
    }

    /** Installs a package of the templates directory; signed by an untrusted key only if {@code allowUnknownKey}. */
    Job installPackage(String file, boolean allowUnknownKey) {
        if (file == null || !PACKAGE.matcher(file).matches()) {
            throw ApiException.invalid("field 'file' must name a package of " + directory + " (NAME-VERSION.bht), found '"
                    + Bounded.text(file) + "'");
        }
        Path p = directory.resolve(file);
        if (!Files.isRegularFile(p, LinkOption.NOFOLLOW_LINKS)) {
            throw ApiException.notFound("there is no package " + file + " in " + directory);
        }
        return start("templates/" + file, p, false, allowUnknownKey);
    }

    /**
     * Spools an upload of at most {@link #maxUpload} bytes and installs it; what is larger is refused
     * and its spool file deleted at once. Signed by an untrusted key, it is installed only if {@code allowUnknownKey}.
     */
    Job installUpload(String name, InputStream body, boolean allowUnknownKey) throws IOException {
        Path file = Files.createTempFile(spool, "upload-", ".bht");
        try {
            long copied = 0;
            byte[] buffer = new byte[1 << 16];
            try (OutputStream out = Files.newOutputStream(file)) {
                for (int n; (n = body.read(buffer)) > 0;) {
                    copied += n;
                    if (copied > maxUpload) {
                        throw new ApiException(413, "too-large", "Upload too large", "the template package is larger than " + (maxUpload >> 20)
                                + " MiB (max.upload.mb in etc/" + PID + ".cfg)");
                    }
                    out.write(buffer, 0, n);
                }
            }
            if (copied == 0) {
                throw ApiException.invalid("the upload is empty: send the template package as the body");
            }
            return start("upload " + name, file, true, allowUnknownKey);
        } catch (IOException | RuntimeException e) {
            Files.deleteIfExists(file);
            throw e;
        }
    }

    private synchronized Job start(String source, Path file, boolean deleteAfter, boolean allowUnknownKey) {
        Job job = new Job(Long.toString(ids.incrementAndGet()), source, allowUnknownKey);
        jobs.put(job.id, job);
        while (jobs.size() > KEPT_JOBS) {
            Optional<Job> finished = jobs.values().stream().filter(j -> j.state == State.DONE || j.state == State.FAILED).findFirst();
            if (finished.isEmpty()) {
                break;
            }
            jobs.remove(finished.get().id);
        }
        worker.execute(() -> run(job, file, deleteAfter));
        return job;
    }

    private void run(Job job, Path file, boolean deleteAfter) {
        job.state = State.RUNNING;
        try {
            job.template = store.install(file, (phase, done, total) -> {
                job.phase = phase;
                job.done = done;
                job.total = total;
            }, job.allowUnknownKey).name();
            job.state = State.DONE;
        } catch (AdminException e) {
            job.error = e.getMessage();
            job.state = State.FAILED;
        } catch (RuntimeException e) {
            job.error = e.getClass().getSimpleName() + ": " + e.getMessage();
            job.state = State.FAILED;
        } finally {
            if (deleteAfter) {
                try {
                    Files.deleteIfExists(file);
                } catch (IOException e) {
                    System.getLogger(TemplateInstalls.class.getName()).log(System.Logger.Level.WARNING, "cannot delete the upload " + file, e);
                }
            }
        }
    }

    synchronized Optional<Job> job(String id) {
        return Optional.ofNullable(jobs.get(id));
    }

    /** The jobs kept, newest first. */
    synchronized List<Job> jobs() {
        List<Job> all = new ArrayList<>(jobs.values());
        java.util.Collections.reverse(all);
        return all;
    }

    /** A value from a request, cut short to be quoted in an answer. */
    static final class Bounded {
        private Bounded() {
        }

        static String text(String s) {
            return s == null ? "" : s.length() > 64 ? s.substring(0, 64) + "…" : s;
        }
    }
}
