package dev.bulkhead.setup.internal;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;

import com.fasterxml.jackson.annotation.JsonPropertyOrder;
import com.fasterxml.jackson.databind.ObjectMapper;

import dev.bulkhead.api.json.JsonMappers;

/**
 * How far the setup of this data directory got, in {@code setup.json}: absent before any setup, then
 * {@code running} with each step done so far, then {@code done}. A setup stopped midway (the platform
 * killed, its bundle stopped) is found {@code running} and finished by the next start or qvm:setup,
 * each step once. Written temp → fsync → rename → fsync of the directory: a crash leaves the old or the
 * new state, never a torn one.
 */
final class SetupProgress {
    static final String FILE = "setup.json";
    private static final ObjectMapper MAPPER = JsonMappers.create();

    enum State { NONE, RUNNING, DONE }

    @JsonPropertyOrder({ "state", "done" })
    record Saved(String state, List<String> done) {
    }

    private final Path file;
    private State state;
    private final Set<String> done = new LinkedHashSet<>();

    private SetupProgress(Path file, State state, List<String> done) {
        this.file = file;
        this.state = state;
        this.done.addAll(done);
    }

    /** The progress kept in {@code dataDirectory}; a file that cannot be read is an error, never taken for none. */
    static SetupProgress load(Path dataDirectory) {
        Path file = dataDirectory.resolve(FILE);
        if (!Files.exists(file)) {
            return new SetupProgress(file, State.NONE, List.of());
        }
        try {
            Saved saved = MAPPER.readValue(file.toFile(), Saved.class);
            State state = switch (String.valueOf(saved.state())) {
                case "running" -> State.RUNNING;
                case "done" -> State.DONE;
                default -> throw new IOException("'state' is " + saved.state() + ", not running or done");
            };
            return new SetupProgress(file, state, saved.done() == null ? List.of() : saved.done());
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read " + file + ": " + e.getMessage() + "; remove it to set the platform up anew", e);
        }
    }

    State state() {
        return state;
    }

    boolean isDone(String step) {
        return done.contains(step);
    }

    /** A setup starts here, or goes on from where one stopped. */
    void begin() {
        if (state != State.RUNNING) {
            done.clear();
        }
        state = State.RUNNING;
        save();
    }

    void done(String step) {
        done.add(step);
        save();
    }

    void finish() {
        state = State.DONE;
        save();
    }

    private void save() {
        try {
            byte[] json = MAPPER.writerWithDefaultPrettyPrinter()
                    .writeValueAsBytes(new Saved(state.name().toLowerCase(java.util.Locale.ROOT), new ArrayList<>(done)));
            Path dir = file.getParent();
            Files.createDirectories(dir);
            Path temp = Files.createTempFile(dir, "." + FILE + ".tmp-", "");
            try {
                try (FileChannel ch = FileChannel.open(temp, StandardOpenOption.WRITE, StandardOpenOption.TRUNCATE_EXISTING)) {
                    ch.write(ByteBuffer.wrap(json));
                    ch.force(true);
                }
                Files.move(temp, file, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
            } finally {
                Files.deleteIfExists(temp);
            }
            try (FileChannel d = FileChannel.open(dir, StandardOpenOption.READ)) {
                d.force(true);
            }
        } catch (IOException e) {
            throw new UncheckedIOException("cannot save the setup's progress in " + file + ": " + e.getMessage(), e);
        }
    }
}
