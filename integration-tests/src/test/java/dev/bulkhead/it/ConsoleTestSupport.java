package dev.bulkhead.it;

import static org.ops4j.pax.exam.CoreOptions.bundle;
import static org.ops4j.pax.exam.CoreOptions.frameworkProperty;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Dictionary;
import java.util.Hashtable;
import java.util.List;
import java.util.logging.Handler;
import java.util.logging.LogRecord;
import java.util.logging.Logger;

import org.junit.After;
import org.ops4j.pax.exam.Configuration;
import org.ops4j.pax.exam.Option;
import org.osgi.framework.InvalidSyntaxException;
import org.osgi.framework.ServiceReference;
import org.osgi.service.cm.ConfigurationAdmin;

/**
 * The platform with the console feature: Felix HTTP on Jetty and the console bundle, the secret in
 * an etc directory of the test's own which, as the base's, trusts the distribution's template key. As
 * in the distribution, the HTTP service listens nowhere until the console configures it; each test
 * class configures it on a free loopback port.
 */
public abstract class ConsoleTestSupport extends BulkheadTestSupport {
    static final String CONSOLE_PID = "dev.bulkhead.console";
    static final String HTTP_PID = "org.apache.felix.http";
    /** In the order they are started: the ServiceLoader mediator before slf4j, the console before the HTTP service. */
    private static final List<String> CONSOLE_BUNDLES = List.of("asm", "asm-tree", "asm-analysis", "asm-commons", "asm-util",
            "org.apache.aries.spifly.dynamic.bundle", "slf4j-api", "slf4j-simple", "org.apache.felix.http.servlet-api",
            "commons-io", "commons-fileupload", "dev.bulkhead.console", "org.apache.felix.http.jetty12");

    private final List<Handler> logHandlers = new ArrayList<>();
    /** Held: java.util.logging keeps loggers only weakly, and their handlers with them. */
    private final Logger consoleLogger = Logger.getLogger("dev.bulkhead.console");

    @Override
    @Configuration
    public Option[] configuration() throws IOException {
        List<Option> options = new ArrayList<>(Arrays.asList(super.configuration()));
        Path staged = Path.of(System.getProperty("bulkhead.it.bundles", "target/bundles")).toAbsolutePath();
        for (String name : CONSOLE_BUNDLES) {
            Path jar = staged.resolve(name + ".jar");
            if (!Files.isRegularFile(jar)) {
                throw new IllegalStateException(jar + " is missing: run the tests through Maven (mvn verify), which stages it");
            }
            options.add(bundle(jar.toUri().toString()));
        }
        options.add(frameworkProperty("bulkhead.etc").value(TestDataDirectory.createEtc(getClass(), workspace()).toString()));
        options.add(frameworkProperty("org.apache.felix.http.require.config").value("true"));
        return options.toArray(Option[]::new);
    }

    @After
    public void removeLogHandlers() {
        logHandlers.forEach(consoleLogger::removeHandler);
    }

    protected ConfigurationAdmin configAdmin() {
        awaitService("(objectClass=" + ConfigurationAdmin.class.getName() + ")");
        return context.getService(context.getServiceReference(ConfigurationAdmin.class));
    }

    /** Sets the console's address and port (0: any free one) as a user would in etc/dev.bulkhead.console.cfg. */
    protected void configureConsole(String host, int port) {
        Dictionary<String, Object> props = new Hashtable<>();
        props.put("host", host);
        props.put("port", port);
        try {
            configAdmin().getConfiguration(CONSOLE_PID, "?").update(props);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** The endpoints the HTTP service advertises now; empty while it does not run. */
    protected List<String> endpoints() {
        try {
            ServiceReference<?>[] refs = context.getServiceReferences("org.osgi.service.servlet.runtime.HttpServiceRuntime", null);
            List<String> all = new ArrayList<>();
            if (refs != null) {
                for (ServiceReference<?> ref : refs) {
                    Object e = ref.getProperty("osgi.http.endpoint");
                    if (e instanceof String[] array) {
                        all.addAll(Arrays.asList(array));
                    } else if (e != null) {
                        all.add(e.toString());
                    }
                }
            }
            return all;
        } catch (InvalidSyntaxException e) {
            throw new IllegalStateException(e);
        }
    }

    /** Configures the console on 127.0.0.1 and a free port and waits for it to answer; returns the port. */
    protected int startConsoleOnLoopback() {
        configureConsole("127.0.0.1", 0);
        awaitTrue("the HTTP service to listen on 127.0.0.1", QUBE_TIMEOUT,
                () -> endpoints().stream().anyMatch(e -> e.startsWith("http://127.0.0.1:")), () -> "endpoints " + endpoints()
                        + "; bundles not active: " + Arrays.stream(context.getBundles()).filter(b -> b.getState() != org.osgi.framework.Bundle.ACTIVE)
                                .map(b -> b.getSymbolicName() + " (state " + b.getState() + ")").toList());
        int port = port(endpoints().get(0));
        awaitTrue("the console to answer on port " + port, QUBE_TIMEOUT,
                () -> new HttpExchange("127.0.0.1", port).request("GET", "/api/openapi.json").send().status() == 200,
                () -> "no answer");
        return port;
    }

    static int port(String endpoint) {
        String rest = endpoint.replaceFirst("^http://", "");
        rest = rest.substring(0, rest.indexOf('/') < 0 ? rest.length() : rest.indexOf('/'));
        return Integer.parseInt(rest.substring(rest.lastIndexOf(':') + 1));
    }

    protected Path secretFile() {
        return Path.of(context.getProperty("bulkhead.etc")).resolve("console.secret");
    }

    protected String secret() {
        try {
            return Files.readString(secretFile()).strip();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** A new API token for programs, made as root would make it: {@code qvm:console token create}. */
    protected String apiToken() {
        try {
            awaitService("(&(osgi.command.scope=qvm)(osgi.command.function=console))");
            String out = shell("qvm:console token create --name it-" + getClass().getSimpleName());
            java.util.regex.Matcher m = java.util.regex.Pattern.compile("bht_[A-Za-z0-9_-]{43}").matcher(out);
            if (!m.find()) {
                throw new AssertionError("qvm:console token create printed no token: " + out);
            }
            return m.group();
        } catch (Exception e) {
            throw new IllegalStateException("qvm:console token create failed", e);
        }
    }

    /** Collects what the console bundle logs from now on (it logs through java.util.logging). */
    protected List<String> captureConsoleLog() {
        List<String> lines = new java.util.concurrent.CopyOnWriteArrayList<>();
        Handler handler = new Handler() {
            @Override
            public void publish(LogRecord record) {
                lines.add(record.getLevel() + " " + record.getMessage());
            }

            @Override
            public void flush() {
            }

            @Override
            public void close() {
            }
        };
        consoleLogger.addHandler(handler);
        logHandlers.add(handler);
        return lines;
    }
}
