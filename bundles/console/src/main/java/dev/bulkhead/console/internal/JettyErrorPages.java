package dev.bulkhead.console.internal;

import java.util.Arrays;
import java.util.Map;
import java.util.WeakHashMap;

import org.apache.felix.http.jetty.ConnectorFactory;
import org.eclipse.jetty.server.Connector;
import org.eclipse.jetty.server.Request;
import org.eclipse.jetty.server.Server;
import org.eclipse.jetty.server.ServerConnector;
import org.osgi.service.component.annotations.Component;
import org.osgi.service.component.annotations.Deactivate;

/**
 * Puts {@link JettyErrorHandler} on Felix HTTP's Jetty server. Felix offers no error handler service,
 * but hands each server it starts to every {@link ConnectorFactory} before it registers its servlet
 * runtime; this one installs the handler there. Felix wants a connector back, and lists it among the
 * runtime's endpoints: what it gets is a stand-in that opens nothing and accepts nothing, and names
 * the address of the connector Felix configured itself, so the endpoints stay what they were.
 */
@Component(service = ConnectorFactory.class, immediate = true)
public final class JettyErrorPages implements ConnectorFactory {
    /** The handler each server had before, to put back when the console goes. */
    private final Map<Server, Request.Handler> replaced = new WeakHashMap<>();

    @Override
    public synchronized Connector createConnector(Server server) {
        if (!replaced.containsKey(server)) {
            replaced.put(server, server.getErrorHandler());
        }
        server.setErrorHandler(new JettyErrorHandler());
        ServerConnector configured = Arrays.stream(server.getConnectors()).filter(ServerConnector.class::isInstance)
                .map(ServerConnector.class::cast).findFirst()
                .orElseThrow(() -> new IllegalStateException("the HTTP service's server has no connector of its own"));
        return new StandInConnector(server, configured);
    }

    @Deactivate
    synchronized void deactivate() {
        replaced.forEach(Server::setErrorHandler);
        replaced.clear();
    }

    /** Listens nowhere: it only stands in Felix's list of connectors, with the address of the real one. */
    static final class StandInConnector extends ServerConnector {
        StandInConnector(Server server, ServerConnector configured) {
            super(server, 0, 1);
            setHost(configured.getHost());
            setPort(configured.getPort());
        }

        @Override
        public void open() {
            // nothing to open: the configured connector does the listening
        }

        @Override
        protected void doStart() {
            // no acceptor, no selector: nothing runs
        }

        @Override
        protected void doStop() {
            // nothing was started
        }
    }
}
