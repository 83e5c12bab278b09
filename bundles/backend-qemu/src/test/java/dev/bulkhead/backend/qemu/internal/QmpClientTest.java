package dev.bulkhead.backend.qemu.internal;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import java.time.Duration;
import java.util.List;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import com.fasterxml.jackson.databind.ObjectMapper;

import dev.bulkhead.api.AdminException;

/** QMP against a fake monitor; QemuBackendSystemTest is the twin against QEMU's own (pause, state, shutdown). */
class QmpClientTest {
    private static final String GREETING = "{\"QMP\": {\"version\": {}, \"capabilities\": []}}\r\n";

    @TempDir
    Path temp;

    @Test
    void negotiatesCapabilitiesSkipsEventsAndReturnsTheAnswer() throws Exception {
        Path socket = temp.resolve("qmp.sock");
        try (FakeJsonServer qemu = new FakeJsonServer(socket, GREETING, r -> switch (r.path("execute").asText()) {
            case "qmp_capabilities" -> "{\"return\": {}}\r\n";
            case "query-status" -> "{\"event\": \"RESUME\", \"timestamp\": {}}\r\n{\"return\": {\"status\": \"paused\", \"running\": false}}\r\n";
            default -> "{\"error\": {\"class\": \"CommandNotFound\", \"desc\": \"no such command\"}}\r\n";
        })) {
            QmpClient qmp = new QmpClient(new ObjectMapper(), Duration.ofSeconds(5));
            assertEquals("paused", qmp.execute(socket, "query-status").path("status").asText());
            assertEquals(List.of("qmp_capabilities", "query-status"), qemu.commands());
        }
    }

    @Test
    void anErrorAnswerIsRefusalNamingItsReason() throws Exception {
        Path socket = temp.resolve("qmp.sock");
        try (FakeJsonServer qemu = new FakeJsonServer(socket, GREETING, r -> r.path("execute").asText().equals("qmp_capabilities")
                ? "{\"return\": {}}\n" : "{\"error\": {\"class\": \"GenericError\", \"desc\": \"not now\"}}\n")) {
            AdminException e = assertThrows(AdminException.class,
                    () -> new QmpClient(new ObjectMapper(), Duration.ofSeconds(5)).execute(socket, "stop"));
            assertTrue(e.getMessage().contains("stop") && e.getMessage().contains("not now"), e.getMessage());
        }
    }

    @Test
    void aMonitorThatDoesNotAnswerFailsAtTheTimeout() throws Exception {
        Path socket = temp.resolve("qmp.sock");
        try (FakeJsonServer silent = new FakeJsonServer(socket, "", r -> "")) {
            long before = System.nanoTime();
            AdminException e = assertThrows(AdminException.class,
                    () -> new QmpClient(new ObjectMapper(), Duration.ofMillis(300)).execute(socket, "query-status"));
            long tookMillis = (System.nanoTime() - before) / 1_000_000;
            assertTrue(e.getMessage().contains("did not answer in time"), e.getMessage());
            assertTrue(tookMillis >= 300, "gave up after " + tookMillis + " ms");
        }
    }

    @Test
    void noMonitorIsAClearFailure() {
        AdminException e = assertThrows(AdminException.class,
                () -> new QmpClient(new ObjectMapper(), Duration.ofSeconds(1)).execute(temp.resolve("none.sock"), "query-status"));
        assertTrue(e.getMessage().contains("none.sock"), e.getMessage());
    }
}
