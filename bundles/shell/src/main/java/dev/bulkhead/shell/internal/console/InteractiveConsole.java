package dev.bulkhead.shell.internal.console;

import java.lang.System.Logger;
import java.lang.System.Logger.Level;
import java.nio.file.Path;

import org.apache.felix.service.command.CommandProcessor;
import org.apache.felix.service.threadio.ThreadIO;
import org.osgi.framework.BundleContext;
import org.osgi.framework.BundleException;
import org.osgi.framework.Constants;
import org.osgi.service.component.annotations.Activate;
import org.osgi.service.component.annotations.Component;
import org.osgi.service.component.annotations.Deactivate;
import org.osgi.service.component.annotations.Reference;

import dev.bulkhead.api.QubeAdmin;
import dev.bulkhead.shell.client.Client;

/**
 * The interactive shell on the terminal {@code bin/bulkhead} runs in (framework property
 * {@value #INTERACTIVE}{@code =true}): Gogo's language with JLine's line editing, a history in
 * {@code data/shell/history}, completion of the qvm commands' arguments, and Ctrl-C that cancels the line or the
 * running command, never the platform. Ctrl-D (or {@code exit}) stops the platform. As Karaf does, it runs the
 * console itself with Gogo JLine's parser and highlighter rather than Gogo JLine's own console, whose terminal
 * cannot find JLine's providers from inside OSGi.
 */
@Component(immediate = true)
public final class InteractiveConsole {
    static final String INTERACTIVE = "bulkhead.shell.interactive";
    private static final Logger LOG = System.getLogger(InteractiveConsole.class.getName());

    private final Thread thread;
    private final ConsoleLoop loop;

    @Activate
    public InteractiveConsole(BundleContext context, @Reference CommandProcessor processor, @Reference ThreadIO threadIO,
            @Reference QubeAdmin admin) {
        if (!Boolean.parseBoolean(context.getProperty(INTERACTIVE))) {
            thread = null;
            loop = null;
            return;
        }
        String data = context.getProperty(Client.DATA_PROPERTY);
        Path history = Path.of(data == null ? "." : data, "shell", "history");
        loop = new ConsoleLoop(processor, threadIO, admin, history, banner(context, admin), () -> stopPlatform(context));
        thread = new Thread(loop, "bulkhead-shell");
        thread.start();
    }

    private static String banner(BundleContext context, QubeAdmin admin) {
        StringBuilder text = new StringBuilder();
        text.append("Bulkhead ").append(context.getBundle().getVersion()).append(" (").append(admin.backendName()).append(" backend, ")
                .append(admin.list().size()).append(" qubes). help lists the commands; help NAME or NAME --help explains one.\n")
                .append("Tab completes, Up recalls, Ctrl-C cancels the line or the command, Ctrl-D stops Bulkhead. Log: data/log/.");
        for (String problem : admin.stateProblems()) {
            text.append("\nwarning: ").append(problem);
        }
        return text.toString();
    }

    private static void stopPlatform(BundleContext context) {
        try {
            context.getBundle(Constants.SYSTEM_BUNDLE_ID).stop();
        } catch (BundleException | IllegalStateException e) {
            LOG.log(Level.ERROR, "cannot stop the platform: " + e.getMessage(), e);
        }
    }

    @Deactivate
    void deactivate() throws InterruptedException {
        if (loop != null) {
            loop.close();
            if (thread != Thread.currentThread()) {
                thread.join(5_000);
            }
        }
    }
}
