package dev.bulkhead.console.internal;

import java.io.IOException;
import java.lang.System.Logger.Level;
import java.util.Dictionary;
import java.util.Hashtable;
import java.util.Optional;

import org.osgi.service.cm.Configuration;
import org.osgi.service.cm.ConfigurationAdmin;
import org.osgi.service.component.annotations.Activate;
import org.osgi.service.component.annotations.Component;
import org.osgi.service.component.annotations.ConfigurationPolicy;
import org.osgi.service.component.annotations.Deactivate;
import org.osgi.service.component.annotations.Modified;
import org.osgi.service.component.annotations.Reference;
import org.osgi.service.metatype.annotations.Designate;

/**
 * Turns the console's settings into the configuration of the Felix HTTP service, which the platform
 * starts with {@code org.apache.felix.http.require.config=true} so that it listens nowhere until
 * configured here. An address that is not loopback is refused: the HTTP configuration is removed,
 * and the server stops.
 */
@Component(configurationPid = ConsoleConfig.PID, configurationPolicy = ConfigurationPolicy.REQUIRE, immediate = true)
@Designate(ocd = ConsoleConfig.class)
public final class HttpServerConfigurator {
    private static final System.Logger LOG = System.getLogger(HttpServerConfigurator.class.getName());
    /** The configuration PID of the Felix HTTP service. */
    static final String HTTP_PID = "org.apache.felix.http";
    static final String HOST = "org.apache.felix.http.host";
    static final String PORT = "org.osgi.service.http.port";
    static final String HTTP_ENABLE = "org.apache.felix.http.enable";
    static final String HTTPS_ENABLE = "org.apache.felix.https.enable";
    /** Off: no answer names the server or its version. */
    static final String SEND_SERVER_HEADER = "org.apache.felix.http.jetty.sendServerHeader";

    private final ConfigurationAdmin configAdmin;

    @Activate
    public HttpServerConfigurator(@Reference ConfigurationAdmin configAdmin, ConsoleConfig config) throws IOException {
        this.configAdmin = configAdmin;
        apply(config);
    }

    @Modified
    void modified(ConsoleConfig config) throws IOException {
        apply(config);
    }

    /** Without the console there is nothing to serve. */
    @Deactivate
    void deactivate() throws IOException {
        httpConfiguration().delete();
    }

    private void apply(ConsoleConfig config) throws IOException {
        Configuration http = httpConfiguration();
        Optional<String> problem = LoopbackAddresses.problem(config.host());
        if (problem.isPresent()) {
            LOG.log(Level.ERROR, "refusing to serve the console: host in " + ConsoleConfig.PID + " is " + problem.get()
                    + "; nothing listens until it is fixed");
            http.delete();
            return;
        }
        if (config.port() < 0 || config.port() > 65535) {
            LOG.log(Level.ERROR, "refusing to serve the console: port in " + ConsoleConfig.PID + " is " + config.port()
                    + ", not a TCP port from 0 (any free one) to 65535; nothing listens until it is fixed");
            http.delete();
            return;
        }
        Dictionary<String, Object> props = new Hashtable<>();
        props.put(HOST, config.host().strip());
        props.put(PORT, Integer.toString(config.port()));
        props.put(HTTP_ENABLE, Boolean.TRUE);
        props.put(HTTPS_ENABLE, Boolean.FALSE);
        props.put(SEND_SERVER_HEADER, Boolean.FALSE);
        http.updateIfDifferent(props);
    }

    private Configuration httpConfiguration() throws IOException {
        // "?": bound to whichever bundle registers the HTTP service, not to this one.
        return configAdmin.getConfiguration(HTTP_PID, "?");
    }
}
