package dev.bulkhead.setup.internal;

import java.lang.System.Logger.Level;
import java.nio.file.Path;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.ReentrantLock;
import java.util.function.Consumer;

import org.osgi.framework.BundleContext;
import org.osgi.service.component.annotations.Activate;
import org.osgi.service.component.annotations.Component;
import org.osgi.service.component.annotations.Deactivate;
import org.osgi.service.component.annotations.Modified;
import org.osgi.service.component.annotations.Reference;
import org.osgi.service.metatype.annotations.Designate;

import dev.bulkhead.api.InvalidStateException;
import dev.bulkhead.api.QubeAdmin;
import dev.bulkhead.api.template.TemplateStore;

/**
 * The platform's setup, as Qubes' initial setup: at the first start, when {@code first.start} is on and
 * the data directory has never been set up, it makes the default layout in the background (a
 * template install takes a while), saying each step in the log; {@code qvm:setup} runs it on demand.
 * One setup at a time. Its bundle stopped midway, or the platform killed, the next start goes on.
 */
@Component(service = PlatformSetup.class, immediate = true, configurationPid = SetupConfig.PID)
@Designate(ocd = SetupConfig.class)
public final class PlatformSetup {
    static final String DATA_PROPERTY = "bulkhead.data";
    static final String HOME_PROPERTY = "bulkhead.home";
    private static final System.Logger LOG = System.getLogger(PlatformSetup.class.getName());
    /** How long a stop waits for a setup under way to notice and end (a template install ends only between its files). */
    private static final long STOP_WAIT_SECONDS = 60;

    private final Setup setup;
    private final ReentrantLock running = new ReentrantLock();
    private final ExecutorService firstStart = Executors.newSingleThreadExecutor(r -> {
        Thread t = new Thread(r, "bulkhead-first-start");
        t.setDaemon(true);
        return t;
    });
    private volatile SetupConfig config;

    @Activate
    public PlatformSetup(BundleContext context, @Reference QubeAdmin admin, @Reference TemplateStore templates, SetupConfig config) {
        this.setup = new Setup(admin, templates, directory(context, DATA_PROPERTY, "data"), directory(context, HOME_PROPERTY, ".")
                .resolve("templates"));
        this.config = config;
        if (config.first_start()) {
            firstStart.execute(this::firstStart);
        }
    }

    private static Path directory(BundleContext context, String property, String fallback) {
        String value = context.getProperty(property);
        return (value == null || value.isBlank() ? Path.of(fallback) : Path.of(value)).toAbsolutePath().normalize();
    }

    /** New settings apply to the next setup; turning first.start on later sets up nothing by itself. */
    @Modified
    void modified(SetupConfig config) {
        this.config = config;
    }

    @Deactivate
    void deactivate() throws InterruptedException {
        firstStart.shutdownNow();
        if (!firstStart.awaitTermination(STOP_WAIT_SECONDS, TimeUnit.SECONDS)) {
            LOG.log(Level.WARNING, "the first-start setup did not stop within " + STOP_WAIT_SECONDS + " s");
        }
    }

    private void firstStart() {
        if (!running.tryLock()) {
            return;
        }
        try {
            if (!setup.run(config, Setup.Mode.FIRST_START, line -> LOG.log(Level.INFO, "first start: " + line))) {
                LOG.log(Level.INFO, "first start: nothing to set up: the platform was set up before, or has qubes of its own;"
                        + " qvm:setup sets up an empty one");
            }
        } catch (RuntimeException e) {
            LOG.log(Level.ERROR, "first start: the setup stopped: " + e.getMessage() + "; it goes on at the next start, or run qvm:setup");
        } finally {
            running.unlock();
        }
    }

    /**
     * Sets an empty platform up now, or finishes a setup that stopped midway, saying each step. With
     * {@link Setup.Mode#IF_EMPTY}, a platform that is not empty is left as it is.
     *
     * @return whether anything was done
     * @throws InvalidStateException when a setup is under way, or the platform is not empty ({@link Setup.Mode#COMMAND})
     */
    boolean setUp(Setup.Mode mode, Consumer<String> say) {
        if (!running.tryLock()) {
            throw new InvalidStateException("a setup is under way already (the first start's): qvm:ls shows what it has made so far;"
                    + " should it stop, qvm:setup goes on with it");
        }
        try {
            return setup.run(config, mode, say);
        } finally {
            running.unlock();
        }
    }
}
