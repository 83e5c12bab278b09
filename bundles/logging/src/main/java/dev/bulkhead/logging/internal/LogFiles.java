package dev.bulkhead.logging.internal;

import java.io.IOException;
import java.nio.file.Path;
import java.time.ZoneId;
import java.util.ArrayList;
import java.util.List;
import java.util.logging.ConsoleHandler;
import java.util.logging.Handler;
import java.util.logging.Level;
import java.util.logging.LogManager;
import java.util.logging.Logger;

import org.osgi.framework.BundleContext;
import org.osgi.service.component.annotations.Activate;
import org.osgi.service.component.annotations.Component;
import org.osgi.service.component.annotations.Deactivate;
import org.osgi.service.component.annotations.Modified;
import org.osgi.service.metatype.annotations.AttributeDefinition;
import org.osgi.service.metatype.annotations.Designate;
import org.osgi.service.metatype.annotations.ObjectClassDefinition;

/**
 * The platform's log in files: java.util.logging's root logger (which {@code System.Logger}, Aries SPI Fly and,
 * through slf4j-jdk14, Jetty write to) gets a {@link RotatingFileHandler} on {@code data/log/bulkhead.log} in
 * place of the console handler, so that log lines never land on the interactive shell's terminal nor in what
 * {@code bin/client} prints. Each start begins a new file (the last run's is {@code bulkhead.log.1}), and a file is
 * rotated when it reaches its size. The bundle starts at start level 1, before the parts that log.
 */
@Component(immediate = true, configurationPid = LogFiles.PID)
@Designate(ocd = LogFiles.Config.class)
public final class LogFiles {
    static final String PID = "dev.bulkhead.logging";
    static final String FILE = "bulkhead.log";

    @ObjectClassDefinition(name = "Bulkhead log files", description = "Where the platform's log goes and how much of it is kept.")
    public @interface Config {
        @AttributeDefinition(name = "Directory", description = "Directory of bulkhead.log and its rotated files; empty means ${bulkhead.data}/log.")
        String directory() default "";

        @AttributeDefinition(name = "Size", description = "Size in KiB at which bulkhead.log is rotated to bulkhead.log.1.", min = "1")
        int size_kib() default 10240;

        @AttributeDefinition(name = "Files kept", description = "Rotated files kept: bulkhead.log.1 (the newest) to bulkhead.log.N.", min = "0")
        int files() default 5;

        @AttributeDefinition(name = "Level", description = "The least level written: SEVERE, WARNING, INFO, CONFIG, FINE, FINER or FINEST.")
        String level() default "INFO";
    }

    private final Logger root = LogManager.getLogManager().getLogger("");
    private final BundleContext context;
    /** The console handlers taken off the root logger, given back when this component goes. */
    private final List<Handler> consoles = new ArrayList<>();
    private RotatingFileHandler handler;
    private Level previousLevel;

    @Activate
    public LogFiles(BundleContext context, Config config) throws IOException {
        this.context = context;
        previousLevel = root.getLevel();
        for (Handler h : root.getHandlers()) {
            if (h instanceof ConsoleHandler) {
                root.removeHandler(h);
                consoles.add(h);
            }
        }
        apply(config, true);
    }

    /** New settings apply at once; the file goes on. */
    @Modified
    void modified(Config config) throws IOException {
        apply(config, false);
    }

    /** @param start whether the platform starts: the last run's log is then rotated away */
    private synchronized void apply(Config config, boolean start) throws IOException {
        RotatingFileHandler next = new RotatingFileHandler(directory(config).resolve(FILE), config.size_kib() * 1024L,
                config.files(), start, new LineFormatter(ZoneId.systemDefault()));
        Level level = level(config.level());
        root.addHandler(next);
        if (handler != null) {
            root.removeHandler(handler);
            handler.close();
        }
        handler = next;
        root.setLevel(level == null ? Level.INFO : level);
        if (level == null) {
            Logger.getLogger(LogFiles.class.getName()).warning("level '" + config.level()
                    + "' is not one of SEVERE, WARNING, INFO, CONFIG, FINE, FINER, FINEST; INFO is used");
        }
    }

    private Path directory(Config config) {
        if (!config.directory().isBlank()) {
            return Path.of(config.directory());
        }
        String data = context.getProperty("bulkhead.data");
        if (data == null || data.isBlank()) {
            throw new IllegalStateException("configure " + PID + " 'directory' or set the framework property bulkhead.data");
        }
        return Path.of(data, "log");
    }

    private static Level level(String name) {
        try {
            return Level.parse(name.strip().toUpperCase(java.util.Locale.ROOT));
        } catch (IllegalArgumentException e) {
            return null;
        }
    }

    @Deactivate
    synchronized void deactivate() {
        root.removeHandler(handler);
        handler.close();
        consoles.forEach(root::addHandler);
        if (previousLevel != null) {
            root.setLevel(previousLevel);
        }
    }
}
