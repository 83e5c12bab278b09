package dev.bulkhead.shell.internal.channel;

import java.io.IOException;
import java.lang.System.Logger;
import java.lang.System.Logger.Level;
import java.nio.file.Path;

import org.apache.felix.service.command.CommandProcessor;
import org.apache.felix.service.threadio.ThreadIO;
import org.osgi.framework.Bundle;
import org.osgi.framework.BundleContext;
import org.osgi.framework.Constants;
import org.osgi.framework.FrameworkEvent;
import org.osgi.framework.FrameworkListener;
import org.osgi.service.component.annotations.Activate;
import org.osgi.service.component.annotations.Component;
import org.osgi.service.component.annotations.Deactivate;
import org.osgi.service.component.annotations.Reference;

import dev.bulkhead.shell.client.Client;
import dev.bulkhead.shell.client.ClientSocket;

/**
 * The local client channel: lets {@link Client} run shell commands in the running platform through
 * {@code ${bulkhead.data}/run/client.sock}.
 * <p>
 * The socket appears only once the framework has started every bundle of its start level, so that
 * a client that gets an answer sees the whole platform, and start scripts can wait for the socket.
 */
@Component
public final class ClientChannel {
    private final Logger log = System.getLogger(ClientChannel.class.getName());
    private final CommandProcessor commandProcessor;
    private final ThreadIO threadIO;
    private final BundleContext context;
    private final Path socket;
    private final FrameworkListener openWhenStarted = this::frameworkEvent;
    private ClientSocketServer server;
    private boolean closed;

    @Activate
    public ClientChannel(@Reference CommandProcessor commandProcessor, @Reference ThreadIO threadIO, BundleContext context) {
        this.commandProcessor = commandProcessor;
        this.threadIO = threadIO;
        this.context = context;
        this.socket = ClientSocket.in(dataDirectory(context));
        context.addFrameworkListener(openWhenStarted);
        // Checked after adding the listener, so that a start completing in between is not missed.
        if (context.getBundle(Constants.SYSTEM_BUNDLE_ID).getState() == Bundle.ACTIVE) {
            open();
        }
    }

    private static Path dataDirectory(BundleContext context) {
        String data = context.getProperty(Client.DATA_PROPERTY);
        if (data == null || data.isBlank() || !Path.of(data).isAbsolute()) {
            throw new IllegalStateException("framework property " + Client.DATA_PROPERTY + " is '" + data
                    + "'; it must be the absolute path of the platform's data directory");
        }
        return Path.of(data);
    }

    private void frameworkEvent(FrameworkEvent event) {
        if (event.getType() == FrameworkEvent.STARTED) {
            open();
        }
    }

    private synchronized void open() {
        if (closed || server != null) {
            return;
        }
        try {
            server = new ClientSocketServer(commandProcessor, threadIO, socket, log);
        } catch (IllegalStateException anotherInstance) {
            log.log(Level.ERROR, anotherInstance.getMessage());
        } catch (IOException e) {
            log.log(Level.ERROR, "No client channel: cannot listen on {0}: {1}", socket, e.toString());
        }
    }

    @Deactivate
    synchronized void close() {
        closed = true;
        context.removeFrameworkListener(openWhenStarted);
        if (server != null) {
            server.close();
        }
    }
}
