package dev.bulkhead.it;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.NoSuchAlgorithmException;
import java.util.Dictionary;
import java.util.Hashtable;
import java.util.function.UnaryOperator;

import org.junit.After;
import org.junit.Before;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;

import dev.bulkhead.api.Qube;
import dev.bulkhead.api.QubeProperty;
import dev.bulkhead.api.template.TemplateInfo;
import dev.bulkhead.api.template.TemplateStore;

/**
 * The console with a templates directory of the test's own, holding a package signed by a key the
 * platform trusts, and the stats sampled every second.
 */
public abstract class ConsoleTemplatesSupport extends ConsoleTestSupport {
    static final String TEMPLATES_PID = "dev.bulkhead.console.templates";
    static final String STATS_PID = "dev.bulkhead.console.stats";
    /** The template the shipped test package installs, and that package's file. */
    static final String TEMPLATE = "ittpl";
    static final String PACKAGE = TEMPLATE + "-1.0.bht";
    static final ObjectMapper JSON = new ObjectMapper();

    protected KeyPair testKey;
    protected Path shipped;

    @Before
    public void shipATestTemplate() throws IOException, NoSuchAlgorithmException {
        testKey = KeyPairGenerator.getInstance("Ed25519").generateKeyPair();
        Files.writeString(etcDir().resolve("template-keys/it-console.pub"), TestPackages.publicKeyPem(testKey));
        shipped = Files.createTempDirectory("bulkhead-it-shipped-");
        Files.write(shipped.resolve(PACKAGE), goodPackage(TEMPLATE));
        configure(TEMPLATES_PID, "directory", shipped.toString(), "max.upload.mb", 1);
        configure(STATS_PID, "period.seconds", 1, "retention.minutes", 10);
    }

    @After
    public void removeTemplatesAndShipped() throws IOException {
        // runs before the base class removes the qubes: the qubes made from a template go first, then the template
        TemplateStore store = service(TemplateStore.class, null);
        for (TemplateInfo t : store.list()) {
            for (Qube q : admin().list()) {
                if (t.name().equals(q.properties().containsKey("template") ? q.value(QubeProperty.TEMPLATE) : null)) {
                    if (q.state().isActive()) {
                        admin().kill(q.name());
                    }
                    admin().remove(q.name());
                }
            }
            store.remove(t.name());
        }
        try (var walk = Files.walk(shipped)) {
            for (Path p : walk.sorted(java.util.Comparator.reverseOrder()).toList()) {
                Files.delete(p);
            }
        }
    }

    /** A package of a minimal root, signed by the trusted test key. */
    protected byte[] goodPackage(String name) {
        return TestPackages.pack(name, TestPackages.rootArchive(TestPackages.minimalRoot()), testKey, UnaryOperator.identity(),
                UnaryOperator.identity());
    }

    /** A package whose payload was changed after it was hashed and signed. */
    protected byte[] tamperedPackage(String name) {
        return TestPackages.pack(name, TestPackages.rootArchive(TestPackages.minimalRoot()), testKey, UnaryOperator.identity(), payload -> {
            byte[] changed = payload.clone();
            changed[changed.length / 2] ^= 1;
            return changed;
        });
    }

    protected void configure(String pid, Object... keysAndValues) {
        Dictionary<String, Object> props = new Hashtable<>();
        for (int i = 0; i < keysAndValues.length; i += 2) {
            props.put((String) keysAndValues[i], keysAndValues[i + 1]);
        }
        try {
            configAdmin().getConfiguration(pid, "?").update(props);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    static JsonNode json(HttpExchange.Response r) {
        try {
            return JSON.readTree(r.body());
        } catch (IOException e) {
            throw new AssertionError("not JSON: " + r, e);
        }
    }
}
