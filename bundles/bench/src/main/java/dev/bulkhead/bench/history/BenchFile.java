package dev.bulkhead.bench.history;

import java.io.IOException;
import java.nio.charset.MalformedInputException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Set;

import com.fasterxml.jackson.core.JsonLocation;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;

/**
 * One result of {@code bin/bench} as read back from a file: its figures at the top level, as {@code bench:run} prints
 * them, and, from files that {@code bin/bench} wrote itself, the run's commit and machine under {@value #RUN}. A file
 * that is not JSON, not an object or holds none of the bench's sections is refused, saying which of these it is.
 */
public record BenchFile(String name, ObjectNode root) {
    /** The key of the run's facts (commit, time, machine), which are no figures. */
    public static final String RUN = "run";
    /** The sections that {@code bench:run} always prints; a result has at least one of them. */
    static final Set<String> SECTIONS = Set.of("qube_start_ms", "qvm_ls_ms", "disposable_ms", "platform", "console_get_qubes_ms");
    /** Bench files are small (a few KB); anything far larger is not one. */
    static final long MAX_BYTES = 4 << 20;

    /** Reads and checks the file; the exception's message says what is wrong with it, naming it. */
    public static BenchFile read(Path file) throws BadBenchFile {
        String text;
        try {
            if (Files.isDirectory(file)) {
                throw new BadBenchFile(file + " is a directory, not a bench result (a .json file that bin/bench wrote)");
            }
            if (Files.size(file) > MAX_BYTES) {
                throw new BadBenchFile(file + " is " + Files.size(file) + " bytes: far larger than any bench result (a few KB)");
            }
            text = Files.readString(file, StandardCharsets.UTF_8);
        } catch (NoSuchFileException e) {
            throw new BadBenchFile(file + " does not exist");
        } catch (MalformedInputException e) {
            throw new BadBenchFile(file + " is not text (not UTF-8), so not a bench result");
        } catch (IOException e) {
            throw new BadBenchFile("cannot read " + file + ": " + e.getMessage());
        }
        return parse(file.toString(), text);
    }

    /** Checks a result given as text, named {@code name} in messages. */
    public static BenchFile parse(String name, String text) throws BadBenchFile {
        if (text.isBlank()) {
            throw new BadBenchFile(name + " is empty, not a bench result");
        }
        JsonNode root;
        try {
            root = new ObjectMapper().readTree(text);
        } catch (JsonProcessingException e) {
            JsonLocation at = e.getLocation();
            throw new BadBenchFile(name + " is not JSON: " + e.getOriginalMessage()
                    + (at == null ? "" : " (line " + at.getLineNr() + ", column " + at.getColumnNr() + ")"));
        }
        if (root == null || root.isMissingNode()) {
            throw new BadBenchFile(name + " is empty, not a bench result");
        }
        if (!root.isObject()) {
            throw new BadBenchFile(name + " is JSON but not a bench result: its top level is " + kind(root) + ", not an object of figures");
        }
        List<String> keys = new ArrayList<>();
        root.fieldNames().forEachRemaining(keys::add);
        if (keys.stream().noneMatch(SECTIONS::contains)) {
            throw new BadBenchFile(name + " is JSON but not a bench result: none of " + String.join(", ", SECTIONS.stream().sorted().toList())
                    + " is at its top level" + (keys.isEmpty() ? " (it is an empty object)" : " (it has " + shortList(keys) + ")"));
        }
        JsonNode run = root.get(RUN);
        if (run != null && !run.isObject()) {
            throw new BadBenchFile(name + ": its \"" + RUN + "\" (the run's commit and machine) is " + kind(run) + ", not an object");
        }
        return new BenchFile(name, (ObjectNode) root);
    }

    /** The run's facts, empty for a result printed before bin/bench recorded them. */
    public ObjectNode run() {
        JsonNode run = root.get(RUN);
        return run == null ? new ObjectMapper().createObjectNode() : (ObjectNode) run;
    }

    private static String kind(JsonNode node) {
        return switch (node.getNodeType()) {
            case ARRAY -> "an array";
            case STRING -> "a string";
            case NUMBER -> "a number";
            case BOOLEAN -> "a boolean";
            case NULL -> "null";
            default -> "an object";
        };
    }

    private static String shortList(List<String> keys) {
        StringBuilder s = new StringBuilder();
        Iterator<String> it = keys.iterator();
        for (int i = 0; i < 6 && it.hasNext(); i++) {
            s.append(i == 0 ? "" : ", ").append(it.next());
        }
        return it.hasNext() ? s + " and " + (keys.size() - 6) + " more" : s.toString();
    }

    /** A file that is no bench result; the message names it and says why. */
    public static final class BadBenchFile extends Exception {
        private static final long serialVersionUID = 1L;

        public BadBenchFile(String message) {
            super(message);
        }
    }
}
