package dev.bulkhead.backend.qemu.internal;

import java.io.IOException;
import java.nio.file.Path;
import java.time.Duration;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;

import dev.bulkhead.api.AdminException;

/**
 * Talks QMP, QEMU's monitor protocol, to one domain: a connection per request (greeting, {@code qmp_capabilities},
 * the command, its answer; asynchronous events in between are skipped). QEMU serves one QMP client at a time on a
 * socket: callers hold the domain's lock.
 */
final class QmpClient {
    private final ObjectMapper json;
    private final Duration timeout;

    QmpClient(ObjectMapper json, Duration timeout) {
        this.json = json;
        this.timeout = timeout;
    }

    /** Runs a command and returns its {@code return} value. */
    JsonNode execute(Path socket, String command, ObjectNode arguments) {
        long deadline = System.nanoTime() + timeout.toNanos();
        try (JsonChannel channel = JsonChannel.connect(socket, json, "QMP at " + socket)) {
            JsonNode greeting = channel.receive(deadline);
            if (!greeting.has("QMP")) {
                throw new AdminException("QMP at " + socket + " greeted with " + greeting + ", not a QMP greeting");
            }
            answer(channel, command("qmp_capabilities", null), deadline, socket);
            return answer(channel, command(command, arguments), deadline, socket);
        } catch (IOException e) {
            throw new AdminException("QMP command " + command + " at " + socket + " failed: " + e.getMessage(), e);
        }
    }

    JsonNode execute(Path socket, String command) {
        return execute(socket, command, null);
    }

    private ObjectNode command(String name, ObjectNode arguments) {
        ObjectNode c = json.createObjectNode().put("execute", name);
        if (arguments != null) {
            c.set("arguments", arguments);
        }
        return c;
    }

    private JsonNode answer(JsonChannel channel, ObjectNode command, long deadline, Path socket) throws IOException {
        channel.send(command);
        while (true) {
            JsonNode reply = channel.receive(deadline);
            if (reply.has("return")) {
                return reply.get("return");
            }
            if (reply.has("error")) {
                throw new AdminException("QMP command " + command.path("execute").asText() + " at " + socket + " refused: "
                        + reply.path("error").path("desc").asText(reply.path("error").toString()));
            }
            // an event ({"event": ...}): not an answer
        }
    }
}
