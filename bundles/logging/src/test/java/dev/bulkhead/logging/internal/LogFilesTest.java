package dev.bulkhead.logging.internal;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.lang.annotation.Annotation;
import java.lang.reflect.Proxy;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.logging.ConsoleHandler;
import java.util.logging.LogManager;
import java.util.logging.Logger;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.osgi.framework.BundleContext;

/** While the component is active the root logger writes to data/log/bulkhead.log and not to the console. */
class LogFilesTest {
    @TempDir
    Path data;

    private BundleContext context() {
        return (BundleContext) Proxy.newProxyInstance(getClass().getClassLoader(), new Class<?>[] { BundleContext.class },
                (proxy, method, args) -> method.getName().equals("getProperty") && "bulkhead.data".equals(args[0]) ? data.toString() : null);
    }

    private static LogFiles.Config config(String level) {
        return new LogFiles.Config() {
            @Override
            public Class<? extends Annotation> annotationType() {
                return LogFiles.Config.class;
            }

            @Override
            public String directory() {
                return "";
            }

            @Override
            public int size_kib() {
                return 64;
            }

            @Override
            public int files() {
                return 2;
            }

            @Override
            public String level() {
                return level;
            }
        };
    }

    @Test
    void theRootLoggerWritesToTheFileInsteadOfTheConsoleUntilDeactivated() throws Exception {
        Logger root = LogManager.getLogManager().getLogger("");
        ConsoleHandler console = new ConsoleHandler();
        root.addHandler(console);
        try {
            LogFiles files = new LogFiles(context(), config("INFO"));
            assertFalse(Arrays.asList(root.getHandlers()).contains(console), "no console handler while the log goes to files");
            Logger.getLogger("dev.bulkhead.test").info("written to the file");
            Logger.getLogger("dev.bulkhead.test").fine("below the level");
            files.deactivate();

            String log = Files.readString(data.resolve("log/bulkhead.log"));
            assertTrue(log.contains(" INFO dev.bulkhead.test: written to the file\n"), log);
            assertFalse(log.contains("below the level"), log);
            assertTrue(Arrays.asList(root.getHandlers()).contains(console), "the console handler is back");
            assertFalse(Arrays.stream(root.getHandlers()).anyMatch(h -> h instanceof RotatingFileHandler), "no file handler is left behind");
        } finally {
            root.removeHandler(console);
        }
    }
}
