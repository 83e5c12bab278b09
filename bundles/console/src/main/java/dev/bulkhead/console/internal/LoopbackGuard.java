package dev.bulkhead.console.internal;

import java.lang.System.Logger.Level;
import java.util.Arrays;
import java.util.Dictionary;
import java.util.List;
import java.util.concurrent.atomic.AtomicReference;

import org.osgi.framework.Bundle;
import org.osgi.framework.BundleContext;
import org.osgi.framework.BundleException;
import org.osgi.framework.ServiceReference;
import org.osgi.service.cm.ConfigurationPlugin;
import org.osgi.service.component.annotations.Activate;
import org.osgi.service.component.annotations.Component;
import org.osgi.service.component.annotations.Reference;
import org.osgi.service.component.annotations.ReferenceCardinality;
import org.osgi.service.component.annotations.ReferencePolicy;
import org.osgi.service.servlet.runtime.HttpServiceRuntime;
import org.osgi.service.servlet.runtime.HttpServiceRuntimeConstants;

/**
 * Keeps the HTTP service on loopback addresses, whoever configures it. As a configuration plugin
 * it sees every configuration of the Felix HTTP service (its own PID and its factory instances)
 * before the service does, and switches the server off when the address is not loopback. As a
 * last line, an HTTP runtime that advertises any other endpoint (configured some other way, say
 * through framework properties) has its bundle stopped.
 */
@Component(service = ConfigurationPlugin.class, immediate = true,
        property = { ConfigurationPlugin.CM_TARGET + "=" + HttpServerConfigurator.HTTP_PID,
                // the highest ranking that may still change a configuration: this plugin has the last word
                ConfigurationPlugin.CM_RANKING + ":Integer=1000" })
public final class LoopbackGuard implements ConfigurationPlugin {
    private static final System.Logger LOG = System.getLogger(LoopbackGuard.class.getName());
    private final BundleContext context;
    private final AtomicReference<String> lastAnnounced = new AtomicReference<>();

    @Activate
    public LoopbackGuard(BundleContext context) {
        this.context = context;
    }

    @Override
    public void modifyConfiguration(ServiceReference<?> reference, Dictionary<String, Object> properties) {
        Object host = properties.get(HttpServerConfigurator.HOST);
        String effective = host != null ? host.toString() : context.getProperty(HttpServerConfigurator.HOST);
        if (LoopbackAddresses.problem(effective).isEmpty()) {
            return;
        }
        LOG.log(Level.ERROR, "refusing to let the HTTP service listen: configuration " + properties.get("service.pid")
                + " sets " + HttpServerConfigurator.HOST + " to " + LoopbackAddresses.problem(effective).get()
                + "; the server is switched off");
        properties.put(HttpServerConfigurator.HTTP_ENABLE, Boolean.FALSE);
        properties.put(HttpServerConfigurator.HTTPS_ENABLE, Boolean.FALSE);
    }

    @Reference(service = HttpServiceRuntime.class, cardinality = ReferenceCardinality.MULTIPLE,
            policy = ReferencePolicy.DYNAMIC, updated = "runtimeChanged")
    void addRuntime(ServiceReference<HttpServiceRuntime> runtime) {
        runtimeChanged(runtime);
    }

    void runtimeChanged(ServiceReference<HttpServiceRuntime> runtime) {
        Object endpoints = runtime.getProperty(HttpServiceRuntimeConstants.HTTP_SERVICE_ENDPOINT);
        List<String> foreign = endpointsOffLoopback(endpoints);
        if (foreign.isEmpty()) {
            // distinct: the console's error handler adds a stand-in connector with the same address
            String shown = endpoints instanceof String[] a ? String.join(" ", Arrays.stream(a).distinct().toList())
                    : String.valueOf(endpoints);
            // The runtime's properties change with every servlet registered; say where it is once.
            if (!shown.equals(lastAnnounced.getAndSet(shown))) {
                LOG.log(Level.INFO, "the console is at " + shown + "; its login secret is in the platform's etc/" + SecretFile.FILE_NAME);
            }
            return;
        }
        Bundle bundle = runtime.getBundle();
        if (bundle == null) {
            return;
        }
        LOG.log(Level.ERROR, "the HTTP service of bundle " + bundle.getSymbolicName() + " listens on " + foreign
                + ", which is not " + LoopbackAddresses.ACCEPTED + "; stopping that bundle until the platform starts again."
                + " Set host in etc/" + ConsoleConfig.PID + ".cfg and leave " + HttpServerConfigurator.HOST + " alone");
        // Not on the thread delivering the service event: stopping a bundle from there can deadlock.
        Thread stopper = new Thread(() -> {
            try {
                bundle.stop(Bundle.STOP_TRANSIENT);
            } catch (BundleException | IllegalStateException e) {
                LOG.log(Level.ERROR, "cannot stop " + bundle.getSymbolicName() + ", which listens off loopback", e);
            }
        }, "bulkhead-console-loopback-guard");
        stopper.setDaemon(true);
        stopper.start();
    }

    void removeRuntime(ServiceReference<HttpServiceRuntime> runtime) {
        // A runtime that goes away listens nowhere: nothing to guard.
    }

    /** The advertised endpoints that are not on a loopback address. */
    static List<String> endpointsOffLoopback(Object endpoints) {
        List<String> all;
        if (endpoints instanceof String[] array) {
            all = Arrays.asList(array);
        } else if (endpoints instanceof java.util.Collection<?> c) {
            all = c.stream().map(String::valueOf).toList();
        } else if (endpoints != null) {
            all = List.of(endpoints.toString());
        } else {
            all = List.of();
        }
        return all.stream().filter(e -> !LoopbackAddresses.isLoopbackEndpoint(e)).toList();
    }
}
