package dev.bulkhead.core.internal;

import java.nio.file.Path;
import java.util.List;
import java.util.Map;

import dev.bulkhead.api.hypervisor.HypervisorBackend;
import dev.bulkhead.api.hypervisor.HypervisorBackendProvider;

/** The in-memory backend as a {@link java.util.ServiceLoader} provider (test resources' META-INF/services). */
public final class FakeBackendProvider implements HypervisorBackendProvider {
    /** The backend the last {@link #open} made, for the test that embedded it to look at. */
    private static volatile FakeBackend last;

    @Override
    public String name() {
        return "lite";
    }

    @Override
    public HypervisorBackend open(Path dataDirectory, Map<String, ?> settings) {
        last = new FakeBackend();
        return last;
    }

    /** What the last backend made was asked to do. */
    public static List<String> lastCalls() {
        return List.copyOf(last.calls);
    }
}
