package dev.bulkhead.core.embed;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import java.util.List;
import java.util.Map;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import dev.bulkhead.api.Label;
import dev.bulkhead.api.PowerState;
import dev.bulkhead.api.QubeClass;
import dev.bulkhead.api.QubeSpec;
import dev.bulkhead.api.RoleInfo;
import dev.bulkhead.core.internal.FakeBackendProvider;

/**
 * The core in plain Java, on what {@link java.util.ServiceLoader} finds on the test class path: the in-memory
 * backend and a role, both declared in {@code META-INF/services} of the test resources. The same
 * embedding on the real lite backend and roles is proven by the integration tests' EmbeddedPlatformIT.
 */
class EmbeddedPlatformTest {
    @TempDir
    Path data;

    @Test
    void findsBackendsAndRolesAndRunsQubesOnThem() {
        try (EmbeddedPlatform platform = EmbeddedPlatform.start(data, Map.of(), getClass().getClassLoader())) {
            assertEquals(List.of("lite"), platform.backends());
            assertEquals(List.of("relay"), platform.roles());
            assertEquals("lite", platform.admin().backendName());
            assertEquals(List.of(new RoleInfo("relay", "passes traffic on", true, List.of())), platform.admin().roles());

            platform.admin().create(new QubeSpec("work", QubeClass.AppVM, Label.RED, Map.of()));
            platform.admin().start("work");

            assertEquals(PowerState.Running, platform.admin().get("work").state());
            assertTrue(FakeBackendProvider.lastCalls().contains("start work"), FakeBackendProvider.lastCalls().toString());
        }
    }

    @Test
    void settingsReachTheCoreByItsPid() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> EmbeddedPlatform.start(data,
                Map.of("dev.bulkhead.core", Map.of("shutdown.timeout", "soon")), getClass().getClassLoader()).close());

        assertTrue(e.getMessage().contains("shutdown.timeout"), e.getMessage());
    }
}
