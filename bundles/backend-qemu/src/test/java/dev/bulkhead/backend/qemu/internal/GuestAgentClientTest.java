package dev.bulkhead.backend.qemu.internal;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Base64;
import java.util.List;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;

import dev.bulkhead.api.AdminException;
import dev.bulkhead.testing.Await;

/** The guest agent protocol against a fake agent; QemuBackendSystemTest is the twin against the real qemu-ga. */
class GuestAgentClientTest {
    private static final Duration TIMEOUT = Duration.ofSeconds(5);

    @TempDir
    Path temp;

    /** Answers as qemu-ga does, after stale output of an earlier client that the sync must skip. */
    private static String agent(JsonNode request) {
        String command = request.path("execute").asText();
        return switch (command) {
            case "guest-sync-delimited" -> "{\"return\": 99}\n\u00ff{\"return\": " + request.path("arguments").path("id").asLong() + "}\n";
            case "guest-ping" -> "{\"return\": {}}\n";
            case "guest-exec" -> "{\"return\": {\"pid\": 4242}}\n";
            case "guest-exec-status" -> "{\"return\": {\"exited\": true, \"exitcode\": 3, \"out-data\": \""
                    + Base64.getEncoder().encodeToString("out\n".getBytes(StandardCharsets.UTF_8)) + "\"}}\n";
            default -> "{\"error\": {\"class\": \"CommandNotFound\", \"desc\": \"unknown " + command + "\"}}\n";
        };
    }

    @Test
    void execSendsArgumentsAndStdinAndReadsTheStatus() throws Exception {
        Path socket = temp.resolve("qga.sock");
        try (FakeJsonServer ga = new FakeJsonServer(socket, "{\"return\": 98}\n", GuestAgentClientTest::agent)) {
            GuestAgentClient client = new GuestAgentClient(new ObjectMapper());
            long pid = client.exec(socket, List.of("sh", "-c", "cat"), "input".getBytes(StandardCharsets.UTF_8), TIMEOUT);
            assertEquals(4242, pid);
            GuestAgentClient.ExecStatus status = client.execStatus(socket, pid, TIMEOUT);
            assertTrue(status.exited());
            assertEquals(3, status.exitCode());
            assertArrayEquals("out\n".getBytes(StandardCharsets.UTF_8), status.stdout());
            assertArrayEquals(new byte[0], status.stderr());

            JsonNode exec = ga.requests().stream().filter(r -> r.path("execute").asText().equals("guest-exec")).findFirst().orElseThrow();
            assertEquals("sh", exec.path("arguments").path("path").asText());
            assertEquals("[\"-c\",\"cat\"]", exec.path("arguments").path("arg").toString());
            assertEquals("input", new String(Base64.getDecoder().decode(exec.path("arguments").path("input-data").asText()),
                    StandardCharsets.UTF_8));
            assertTrue(exec.path("arguments").path("capture-output").asBoolean());
            assertEquals(List.of("guest-sync-delimited", "guest-exec", "guest-sync-delimited", "guest-exec-status"), ga.commands());
        }
    }

    @Test
    void aRefusalNamesTheAgentsReason() throws Exception {
        Path socket = temp.resolve("qga.sock");
        try (FakeJsonServer ga = new FakeJsonServer(socket, "", r -> r.path("execute").asText().equals("guest-sync-delimited")
                ? agent(r) : "{\"error\": {\"class\": \"GenericError\", \"desc\": \"Failed to execute child process\"}}\n")) {
            AdminException e = assertThrows(AdminException.class,
                    () -> new GuestAgentClient(new ObjectMapper()).exec(socket, List.of("nothing"), new byte[0], TIMEOUT));
            assertTrue(e.getMessage().contains("Failed to execute child process"), e.getMessage());
        }
    }

    @Test
    void anAgentThatIsNotUpYetIsNotReady() throws Exception {
        Path socket = temp.resolve("qga.sock");
        // QEMU accepts on the socket while the guest boots, but nothing answers
        try (FakeJsonServer booting = new FakeJsonServer(socket, "", r -> "")) {
            assertFalse(new GuestAgentClient(new ObjectMapper()).ping(socket, Duration.ofMillis(200)));
        }
        try (FakeJsonServer up = new FakeJsonServer(temp.resolve("up.sock"), "", GuestAgentClientTest::agent)) {
            assertTrue(new GuestAgentClient(new ObjectMapper()).ping(temp.resolve("up.sock"), TIMEOUT));
        }
    }

    @Test
    void shutdownWaitsForNoAnswer() throws Exception {
        Path socket = temp.resolve("qga.sock");
        try (FakeJsonServer ga = new FakeJsonServer(socket, "", r -> r.path("execute").asText().equals("guest-sync-delimited")
                ? agent(r) : "")) {
            new GuestAgentClient(new ObjectMapper()).shutdown(socket, TIMEOUT);
            Await.until("the guest agent to be asked to shut down", Duration.ofSeconds(5),
                    () -> ga.commands().contains("guest-shutdown"), () -> "requests: " + ga.commands());
            assertEquals("powerdown", ga.requests().get(1).path("arguments").path("mode").asText());
        }
    }
}
