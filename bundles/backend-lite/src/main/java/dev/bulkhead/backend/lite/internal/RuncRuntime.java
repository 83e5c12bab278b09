package dev.bulkhead.backend.lite.internal;

import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;

import dev.bulkhead.api.AdminException;
import dev.bulkhead.api.host.HostCommand;
import dev.bulkhead.api.host.HostCommandResult;
import dev.bulkhead.api.host.HostCommands;

/** The containers of one runc state directory ({@code runc --root}), driven through the runc command line. */
final class RuncRuntime {
    /** A container as {@code runc state} and {@code runc list} report it; pid is the host pid of its init. */
    record ContainerState(String id, String status, long pid) {
    }

    private final HostCommands executor;
    private final ObjectMapper json;
    private final String runc;
    private final Path root;
    private final Duration timeout;

    RuncRuntime(HostCommands executor, ObjectMapper json, String runc, Path root, Duration timeout) {
        this.executor = executor;
        this.json = json;
        this.runc = runc;
        this.root = root;
        this.timeout = timeout;
    }

    /** Whether the runc binary runs at all. */
    boolean isUsable() {
        return executor.run(HostCommand.of(timeout, List.of(runc, "--version"))).succeeded();
    }

    /** Whether runc holds state for the container, without asking runc. */
    boolean holds(String id) {
        return Files.exists(root.resolve(id));
    }

    /**
     * Creates and starts the container detached; its init's stdout and stderr go to the console log.
     *
     * @return the host pid of its init, or 0 when runc did not say
     */
    long run(String id, Path bundle, Path consoleLog) {
        long offset = sizeOf(consoleLog);
        Path pidFile = bundle.resolve("init.pid");
        HostCommand command = command("run", "-d", "--pid-file", pidFile.toString(), "--bundle", bundle.toString(), id)
                .withOutputTo(consoleLog);
        HostCommandResult result = executor.run(command);
        if (!result.succeeded()) {
            // runc reports into the same file as the container's console: take its words from there.
            throw command.failure(new HostCommandResult(result.exitStatus(), new byte[0], readFrom(consoleLog, offset),
                    result.timedOut()));
        }
        try {
            return Long.parseLong(Files.readString(pidFile).strip());
        } catch (IOException | NumberFormatException e) {
            return 0;
        }
    }

    /** The container's state, or empty when runc does not know it. */
    Optional<ContainerState> state(String id) {
        if (!holds(id)) {
            return Optional.empty();
        }
        HostCommand command = command("state", id);
        HostCommandResult result = executor.run(command);
        if (!result.succeeded()) {
            if (!result.timedOut() && result.stderrLine().contains("does not exist")) {
                return Optional.empty();
            }
            throw command.failure(result);
        }
        return Optional.of(containerState(parse(command, result)));
    }

    /** Every container in this state directory. */
    List<ContainerState> list() {
        if (!Files.isDirectory(root)) {
            return List.of();
        }
        HostCommand command = command("list", "--format", "json");
        JsonNode containers = parse(command, executor.runOrThrow(command));
        List<ContainerState> states = new ArrayList<>();
        containers.forEach(c -> states.add(containerState(c)));
        return states;
    }

    /** Sends a signal to the container's init. */
    void signal(String id, String signal) {
        executor.runOrThrow(command("kill", id, signal));
    }

    /** Kills whatever still runs in the container and removes it; does nothing for an unknown container. */
    void delete(String id) {
        executor.runOrThrow(command("delete", "--force", id));
    }

    void pause(String id) {
        executor.runOrThrow(command("pause", id));
    }

    void resume(String id) {
        executor.runOrThrow(command("resume", id));
    }

    /**
     * Runs a command in the container and returns what it did. {@code runc} writes the command's host pid
     * to {@code pidFile} once it has started it, which tells runc's own failures from the command's.
     */
    HostCommandResult exec(String id, List<String> argv, byte[] stdin, Duration limit, Path pidFile) {
        List<String> args = new ArrayList<>(List.of("exec", "--pid-file", pidFile.toString(), "--cwd", "/", "--env",
                OciConfig.PATH, id));
        args.addAll(argv);
        return executor.run(command(args.toArray(String[]::new)).withStdin(stdin).withTimeout(limit).asCancellable());
    }

    /**
     * Starts a command in the container as {@code uid:gid} in {@code cwd} (or {@code /} when the container lacks
     * it: runc would refuse), its three streams piped to the caller.
     */
    HostCommands.Piped execPiped(String id, List<String> argv, String user, String cwd, Map<String, String> environment) {
        List<String> args = new ArrayList<>(List.of("exec", "--user", user, "--cwd", cwd, "--env", OciConfig.PATH));
        environment.forEach((k, v) -> {
            args.add("--env");
            args.add(k + "=" + v);
        });
        args.add(id);
        args.addAll(argv);
        // no timeout of its own: the call it serves ends it
        return executor.pipe(command(args.toArray(String[]::new)).withTimeout(Duration.ofDays(3650)));
    }

    private HostCommand command(String... args) {
        List<String> argv = new ArrayList<>(List.of(runc, "--root", root.toString()));
        argv.addAll(List.of(args));
        return HostCommand.of(timeout, argv);
    }

    private JsonNode parse(HostCommand command, HostCommandResult result) {
        try {
            return json.readTree(result.stdout());
        } catch (IOException e) {
            throw new AdminException("'" + command.display() + "' printed something that is not JSON: " + e.getMessage(), e);
        }
    }

    private static ContainerState containerState(JsonNode node) {
        return new ContainerState(node.path("id").asText(), node.path("status").asText(), node.path("pid").asLong());
    }

    private static long sizeOf(Path file) {
        try {
            return Files.size(file);
        } catch (NoSuchFileException e) {
            return 0;
        } catch (IOException e) {
            throw new AdminException("cannot read console log " + file + ": " + e.getMessage(), e);
        }
    }

    private static byte[] readFrom(Path file, long offset) {
        try (InputStream in = Files.newInputStream(file)) {
            in.skipNBytes(offset);
            return in.readAllBytes();
        } catch (IOException e) {
            return new byte[0];
        }
    }
}
