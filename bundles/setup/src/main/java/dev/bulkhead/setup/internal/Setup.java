package dev.bulkhead.setup.internal;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Locale;
import java.util.Optional;
import java.util.function.Consumer;
import java.util.stream.Stream;

import dev.bulkhead.api.AdminException;
import dev.bulkhead.api.InvalidStateException;
import dev.bulkhead.api.Qube;
import dev.bulkhead.api.QubeAdmin;
import dev.bulkhead.api.QubeClass;
import dev.bulkhead.api.QubeSpec;
import dev.bulkhead.api.RoleInfo;
import dev.bulkhead.api.template.InstallListener;
import dev.bulkhead.api.template.TemplateStore;

/**
 * Sets an empty platform up as Qubes' initial setup does ({@link DefaultQubes}): installs the default
 * template from the installation's {@code templates/}, makes the default qubes and sets the global
 * defaults that name them. Each step is recorded once done ({@link SetupProgress}), so that a setup
 * stopped midway is finished by the next run, each step once; a qube a stopped run had made but not yet
 * finished is given its settings again.
 */
final class Setup {
    /**
     * Who asks: the first start acts only on a data directory never set up; qvm:setup on any empty platform, and refuses
     * otherwise; qvm:setup --uplink on an empty platform too, and otherwise leaves the layout alone. Each goes on with a
     * setup that stopped midway.
     */
    enum Mode { FIRST_START, COMMAND, IF_EMPTY }

    static final String TEMPLATE_STEP = "template";
    /** How long a template install waits for the hypervisor backend to be taken over after a start. */
    private static final Duration BACKEND_WAIT = Duration.ofSeconds(60);

    private final QubeAdmin admin;
    private final TemplateStore templates;
    private final Path dataDirectory;
    private final Path templateDirectory;

    /**
     * @param dataDirectory     where the progress is kept ({@code data/})
     * @param templateDirectory where template packages are looked for ({@code templates/} of the installation)
     */
    Setup(QubeAdmin admin, TemplateStore templates, Path dataDirectory, Path templateDirectory) {
        this.admin = admin;
        this.templates = templates;
        this.dataDirectory = dataDirectory;
        this.templateDirectory = templateDirectory;
    }

    /**
     * Makes the layout, saying each step on {@code say}. The first start acts when it never did (or
     * stopped midway) and the platform is empty; qvm:setup when the platform is empty or a setup stopped
     * midway, and refuses otherwise.
     *
     * @return whether anything was done
     * @throws InvalidStateException for qvm:setup on a platform that is not empty
     */
    boolean run(SetupConfig config, Mode mode, Consumer<String> say) {
        SetupProgress progress = SetupProgress.load(dataDirectory);
        if (progress.state() != SetupProgress.State.RUNNING) {
            Optional<String> notEmpty = whyNotEmpty();
            if (mode == Mode.FIRST_START && (progress.state() == SetupProgress.State.DONE || notEmpty.isPresent())
                    || mode == Mode.IF_EMPTY && notEmpty.isPresent()) {
                return false;
            }
            if (notEmpty.isPresent()) {
                throw new InvalidStateException("the platform is set up already: " + notEmpty.get() + "; qvm:setup only sets up an"
                        + " empty platform (dom0 and templates). To give sys-net an uplink: qvm:setup --uplink MODE ...");
            }
            say.accept("setting the platform up: " + plan(config));
        } else {
            say.accept("going on with the setup that stopped midway: " + plan(config));
        }
        progress.begin();
        String template = config.template().strip();
        if (!template.isEmpty() && !progress.isDone(TEMPLATE_STEP)) {
            checkNotStopped();
            installTemplate(template, say);
            admin.setGlobalProperty(DefaultQubes.DEFAULT_TEMPLATE, template);
            progress.done(TEMPLATE_STEP);
        }
        List<String> made = new ArrayList<>();
        for (DefaultQubes.Qube q : DefaultQubes.qubes(config)) {
            if (!progress.isDone(q.name())) {
                checkNotStopped();
                make(q);
                progress.done(q.name());
                say.accept("made " + q.describe());
            }
            made.add(q.name());
        }
        for (DefaultQubes.Global g : DefaultQubes.globals(config)) {
            String step = "global " + g.name();
            if (!progress.isDone(step)) {
                admin.setGlobalProperty(g.name(), g.value());
                progress.done(step);
                say.accept(g.name() + " is " + g.value());
            }
        }
        progress.finish();
        say.accept("done: " + (made.isEmpty() ? "no qubes" : String.join(", ", made))
                + (template.isEmpty() ? "" : ", default template " + template));
        noticesOf(made).forEach(say);
        return true;
    }

    private static String plan(SetupConfig config) {
        List<String> parts = new ArrayList<>();
        if (!config.template().isBlank()) {
            parts.add("template " + config.template().strip());
        }
        DefaultQubes.qubes(config).forEach(q -> parts.add(q.name()));
        return parts.isEmpty() ? "nothing (every default is declined)" : String.join(", ", parts);
    }

    /** Empty: no qube but dom0 and TemplateVMs, and a state file read whole. */
    private Optional<String> whyNotEmpty() {
        if (!admin.stateProblems().isEmpty()) {
            return Optional.of("the state file holds entries that could not be read (" + String.join("; ", admin.stateProblems()) + ")");
        }
        List<String> qubes = admin.list().stream().filter(q -> q.klass() != QubeClass.AdminVM && q.klass() != QubeClass.TemplateVM)
                .map(Qube::name).toList();
        return qubes.isEmpty() ? Optional.empty() : Optional.of("it has qubes (" + String.join(", ", qubes) + ")");
    }

    private static void checkNotStopped() {
        if (Thread.currentThread().isInterrupted()) {
            throw new AdminException("the setup was stopped; it goes on at the next start, or with qvm:setup");
        }
    }

    private void installTemplate(String name, Consumer<String> say) {
        if (templates.find(name).isPresent()) {
            say.accept("template " + name + " is installed already");
            return;
        }
        Path file = packageOf(name);
        awaitBackend();
        say.accept("installing template " + name + " from " + file);
        templates.install(file, new PhaseSayer(say), false);
        say.accept("installed template " + name);
    }

    /** The package of the template in the installation's templates/: {@code NAME-VERSION.bht}, the newest if there are several. */
    Path packageOf(String name) {
        try (Stream<Path> files = Files.isDirectory(templateDirectory) ? Files.list(templateDirectory) : Stream.empty()) {
            return files.filter(f -> {
                String file = f.getFileName().toString();
                return file.startsWith(name + "-") && file.endsWith(".bht") && Character.isDigit(file.charAt(name.length() + 1));
            }).max(Comparator.comparing(Setup::modified)).orElseThrow(() -> new AdminException("there is no package of template "
                    + name + " (" + name + "-VERSION.bht) in " + templateDirectory + ": build the distribution with its templates, or set"
                    + " 'template' in etc/" + SetupConfig.PID + ".cfg to another one, or empty to install none"));
        } catch (IOException e) {
            throw new UncheckedIOException("cannot list " + templateDirectory + ": " + e.getMessage(), e);
        }
    }

    private static Instant modified(Path file) {
        try {
            return Files.getLastModifiedTime(file).toInstant();
        } catch (IOException e) {
            return Instant.EPOCH;
        }
    }

    /** A template is made into a TemplateVM by the hypervisor backend, which a start takes over shortly after the core comes. */
    private void awaitBackend() {
        long deadline = System.nanoTime() + BACKEND_WAIT.toNanos();
        while ("none".equals(admin.backendName())) {
            if (System.nanoTime() > deadline) {
                throw new AdminException("no hypervisor backend has been taken over within " + BACKEND_WAIT.toSeconds()
                        + " s, so no template can be installed; see the log");
            }
            try {
                Thread.sleep(100);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                checkNotStopped();
            }
        }
    }

    /** Makes the qube, or gives one a stopped run made its settings again. */
    private void make(DefaultQubes.Qube q) {
        Optional<Qube> present = admin.find(q.name());
        if (present.isEmpty()) {
            admin.create(new QubeSpec(q.name(), QubeClass.AppVM, q.label(), q.properties()));
        } else {
            if (present.get().klass() != QubeClass.AppVM) {
                throw new InvalidStateException("cannot make " + q.name() + ": a " + present.get().klass() + " of that name exists");
            }
            admin.setProperty(q.name(), "label", q.label().id());
            q.properties().forEach((p, v) -> admin.setProperty(q.name(), p, v));
        }
        q.features().forEach((k, v) -> admin.setFeature(q.name(), k, v));
    }

    /** What the roles say about the qubes made: sys-net's uplink off, say. */
    private List<String> noticesOf(List<String> made) {
        List<String> notices = new ArrayList<>();
        for (RoleInfo role : admin.roles()) {
            for (String qube : role.qubes()) {
                if (made.contains(qube)) {
                    role.notices().forEach(n -> notices.add(qube + ": " + n));
                }
            }
        }
        return notices;
    }

    /** Says each phase of a template install as it begins, with its size. */
    private static final class PhaseSayer implements InstallListener {
        private final Consumer<String> say;
        private Phase last;

        PhaseSayer(Consumer<String> say) {
            this.say = say;
        }

        @Override
        public void progress(Phase phase, long done, long total) {
            if (phase == last || phase == Phase.DONE) {
                return;
            }
            last = phase;
            String size = total > 0 ? String.format(Locale.ROOT, " (%.1f MiB)", total / 1048576.0) : "";
            say.accept(switch (phase) {
                case SIGNATURE -> "checking its signature";
                case PAYLOAD -> "checking its payload" + size;
                case UNPACK -> "unpacking its root" + size;
                default -> "making its TemplateVM";
            });
        }
    }
}
