package dev.bulkhead.it;

import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;

import org.junit.After;
import org.junit.Before;
import org.junit.Test;

import dev.bulkhead.api.ExecResult;
import dev.bulkhead.api.Label;
import dev.bulkhead.api.PowerState;
import dev.bulkhead.api.QubeClass;
import dev.bulkhead.api.QubeSpec;
import dev.bulkhead.core.embed.EmbeddedPlatform;

/**
 * The same bundle jars in plain Java, without a framework: {@link java.util.ServiceLoader} finds the lite backend and
 * the roles on the class path (NetVM, FirewallVM and the example DNS filter), and the embedded core runs a real qube
 * on them.
 */
public class EmbeddedPlatformIT {
    private Path data;
    private EmbeddedPlatform platform;

    @Before
    public void start() throws IOException {
        data = Files.createTempDirectory(Path.of("target"), "embedded-").toAbsolutePath();
        platform = EmbeddedPlatform.start(data, Map.of(), getClass().getClassLoader());
    }

    @After
    public void stop() {
        if (platform.admin().find("work").map(q -> q.state().isActive()).orElse(false)) {
            platform.admin().kill("work");
        }
        platform.admin().find("work").ifPresent(q -> platform.admin().remove("work"));
        platform.close();
    }

    @Test
    public void theServiceLoaderFindsTheRealBackendAndRolesAndAQubeRunsOnThem() {
        assertEquals(List.of("lite"), platform.backends());
        assertEquals(List.of("dns-filter", "firewall", "netvm"), platform.roles().stream().sorted().toList());
        assertEquals("lite", platform.admin().backendName());

        platform.admin().create(new QubeSpec("work", QubeClass.AppVM, Label.RED, Map.of()));
        platform.admin().start("work");
        ExecResult hostname = platform.admin().run("work", List.of("hostname"), new byte[0], Duration.ofSeconds(30));

        assertEquals(PowerState.Running, platform.admin().get("work").state());
        assertEquals(0, hostname.exitStatus());
        assertEquals("work", hostname.stdoutText().strip());
        assertTrue(Files.exists(data.resolve("qubes.json")));
    }
}
