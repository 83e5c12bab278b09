package dev.bulkhead.backend.qemu.internal;

import java.io.IOException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Base64;
import java.util.List;
import java.util.concurrent.ThreadLocalRandom;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;

import dev.bulkhead.api.AdminException;

/**
 * Talks to the QEMU guest agent (qemu-ga) inside one domain, over the host end of its virtio-serial port. Each
 * request is a connection of its own that first synchronises with {@code guest-sync-delimited}, so that whatever an
 * earlier client left unread is skipped. QEMU serves one client at a time on the socket: callers hold the domain's
 * agent lock.
 */
final class GuestAgentClient {
    private final ObjectMapper json;

    GuestAgentClient(ObjectMapper json) {
        this.json = json;
    }

    /** The status of a command started with {@link #exec}. */
    record ExecStatus(boolean exited, int exitCode, int signal, byte[] stdout, byte[] stderr) {
    }

    /** Whether the agent answers within the timeout. */
    boolean ping(Path socket, Duration timeout) {
        try {
            request(socket, "guest-ping", null, timeout);
            return true;
        } catch (AdminException e) {
            return false;
        }
    }

    /** Starts a program in the guest with its stdin, capturing its output; returns its guest pid. */
    long exec(Path socket, List<String> command, byte[] stdin, Duration timeout) {
        ObjectNode args = json.createObjectNode().put("path", command.get(0)).put("capture-output", true);
        args.putArray("arg").addAll(command.subList(1, command.size()).stream().map(json.getNodeFactory()::textNode).toList());
        if (stdin.length > 0) {
            args.put("input-data", Base64.getEncoder().encodeToString(stdin));
        }
        return request(socket, "guest-exec", args, timeout).path("pid").asLong();
    }

    ExecStatus execStatus(Path socket, long pid, Duration timeout) {
        JsonNode r = request(socket, "guest-exec-status", json.createObjectNode().put("pid", pid), timeout);
        return new ExecStatus(r.path("exited").asBoolean(), r.path("exitcode").asInt(-1), r.path("signal").asInt(0),
                decode(r.path("out-data")), decode(r.path("err-data")));
    }

    /** Asks the guest to power off; the agent sends no answer to this request when it succeeds. */
    void shutdown(Path socket, Duration timeout) {
        long deadline = System.nanoTime() + timeout.toNanos();
        try (JsonChannel channel = synchronised(socket, deadline)) {
            channel.send(json.createObjectNode().put("execute", "guest-shutdown")
                    .set("arguments", json.createObjectNode().put("mode", "powerdown")));
        } catch (IOException e) {
            throw new AdminException("guest agent at " + socket + ": guest-shutdown failed: " + e.getMessage(), e);
        }
    }

    private JsonNode request(Path socket, String command, ObjectNode arguments, Duration timeout) {
        long deadline = System.nanoTime() + timeout.toNanos();
        try (JsonChannel channel = synchronised(socket, deadline)) {
            ObjectNode c = json.createObjectNode().put("execute", command);
            if (arguments != null) {
                c.set("arguments", arguments);
            }
            channel.send(c);
            JsonNode reply = channel.receive(deadline);
            if (reply.has("error")) {
                throw new AdminException("guest agent refused " + command + ": "
                        + reply.path("error").path("desc").asText(reply.path("error").toString()));
            }
            return reply.path("return");
        } catch (IOException e) {
            throw new AdminException("guest agent at " + socket + ": " + command + " failed: " + e.getMessage(), e);
        }
    }

    /** A connection on which the agent has answered a fresh sync id: every later line answers our requests. */
    private JsonChannel synchronised(Path socket, long deadline) throws IOException {
        JsonChannel channel = JsonChannel.connect(socket, json, "guest agent at " + socket);
        try {
            long id = ThreadLocalRandom.current().nextLong(1, Integer.MAX_VALUE);
            channel.send(json.createObjectNode().put("execute", "guest-sync-delimited")
                    .set("arguments", json.createObjectNode().put("id", id)));
            while (true) {
                channel.skipToSyncMark(deadline);
                JsonNode reply = channel.receive(deadline);
                if (reply.path("return").asLong() == id) {
                    return channel;
                }
            }
        } catch (IOException | RuntimeException e) {
            channel.close();
            throw e;
        }
    }

    private static byte[] decode(JsonNode data) {
        return data.isTextual() ? Base64.getDecoder().decode(data.asText()) : new byte[0];
    }
}
