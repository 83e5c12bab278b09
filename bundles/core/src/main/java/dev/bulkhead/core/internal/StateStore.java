package dev.bulkhead.core.internal;

import java.io.IOException;
import java.lang.reflect.RecordComponent;
import java.nio.channels.FileChannel;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.function.Function;
import java.util.stream.Collectors;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.type.TypeReference;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.ObjectReader;
import com.fasterxml.jackson.databind.SerializationFeature;

import dev.bulkhead.api.AdminException;
import dev.bulkhead.api.QubeClass;
import dev.bulkhead.api.QubeNames;
import dev.bulkhead.api.QubeProperty;
import dev.bulkhead.api.firewall.FirewallRule;

/**
 * The one state file, {@code qubes.json} in the data directory. Saving is atomic (temporary file,
 * fsync, rename, fsync of the directory), so a crash leaves either the old or the new file.
 * Loading is tolerant: unknown fields and unreadable qubes are reported, and the unreadable ones
 * are kept aside and written back unchanged. A file that cannot be parsed at all makes the store
 * refuse every save, so that it is never silently overwritten.
 */
final class StateStore {
    static final String FILE_NAME = "qubes.json";
    static final String TEMP_PREFIX = ".qubes.json.tmp-";
    private static final Set<String> QUBE_FIELDS = fields(StateFile.Qube.class);
    private static final Set<String> TOP_FIELDS = fields(StateFile.Root.class);
    private static final TypeReference<StateFile.Root<JsonNode>> ROOT = new TypeReference<>() { };

    private final Path file;
    private final ObjectMapper mapper;
    /** Unknown fields are reported, not refused: a file written by a newer version still loads. */
    private final ObjectReader lenient;
    private final List<String> problems = new ArrayList<>();
    private String unreadableReason;

    StateStore(Path dataDir, ObjectMapper mapper) {
        this.file = dataDir.resolve(FILE_NAME);
        this.mapper = mapper.copy().enable(SerializationFeature.INDENT_OUTPUT);
        this.lenient = this.mapper.reader().without(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES);
    }

    private static Set<String> fields(Class<? extends Record> form) {
        return Arrays.stream(form.getRecordComponents()).map(RecordComponent::getName).collect(Collectors.toUnmodifiableSet());
    }

    Path file() {
        return file;
    }

    /** Whether the file on disk could not be parsed at all (and so is never overwritten). */
    boolean isUnreadable() {
        return unreadableReason != null;
    }

    /** What loading found wrong, for the user to see. */
    List<String> problems() {
        return List.copyOf(problems);
    }

    /** Loads the model; dom0 is added. A missing file gives an empty model. */
    Model load() throws IOException {
        problems.clear();
        unreadableReason = null;
        removeTornWrites();
        Model model = new Model();
        model.qubes.put(PropertyRules.dom0().name, PropertyRules.dom0());
        if (!Files.exists(file)) {
            return model;
        }
        JsonNode tree;
        try {
            tree = mapper.readTree(Files.readAllBytes(file));
        } catch (JsonProcessingException e) {
            return unreadable(model, "not valid JSON: " + e.getOriginalMessage());
        }
        if (tree == null || !tree.isObject()) {
            return unreadable(model, "not a JSON object");
        }
        StateFile.Root<JsonNode> root;
        try {
            root = lenient.forType(ROOT).readValue(tree);
        } catch (JsonProcessingException e) {
            return unreadable(model, "not in the form of a state file: " + e.getOriginalMessage());
        }
        reportUnknownFields(tree, TOP_FIELDS, f -> "state file: unknown top-level field '" + f + "' ignored");
        if (root.global() != null) {
            for (String g : PropertyRules.GLOBAL) {
                String value = root.global().get(g);
                if (value != null) {
                    model.global.put(g, value);
                }
            }
        }
        for (JsonNode node : root.qubes() == null ? List.<JsonNode>of() : root.qubes()) {
            try {
                QubeRecord q = readQube(node);
                if (model.qubes.containsKey(q.name)) {
                    throw new AdminException("a second qube named '" + q.name + "'");
                }
                if (model.qubes.values().stream().anyMatch(o -> o.qid == q.qid)) {
                    throw new AdminException("qid " + q.qid + " of '" + q.name + "' is already taken");
                }
                model.qubes.put(q.name, q);
            } catch (AdminException | IllegalArgumentException e) {
                model.unreadable.add(node);
                problems.add("state file: qube entry " + shortText(node) + " kept aside, not loaded: " + e.getMessage());
            }
        }
        dropDanglingReferences(model);
        return model;
    }

    private Model unreadable(Model model, String reason) {
        unreadableReason = reason;
        problems.add("state file " + file + " is " + reason + "; no change is saved until it is fixed or moved away");
        return model;
    }

    private void reportUnknownFields(JsonNode node, Set<String> known, Function<String, String> problem) {
        node.fieldNames().forEachRemaining(f -> {
            if (!known.contains(f)) {
                problems.add(problem.apply(f));
            }
        });
    }

    private QubeRecord readQube(JsonNode node) {
        if (!node.isObject()) {
            throw new AdminException("not a JSON object");
        }
        reportUnknownFields(node, QUBE_FIELDS,
                f -> "state file: unknown field '" + f + "' in qube " + node.path("name").asText("?") + " ignored");
        StateFile.Qube entry;
        try {
            entry = lenient.forType(StateFile.Qube.class).readValue(node);
        } catch (IOException e) {
            throw new AdminException(e instanceof JsonProcessingException j ? j.getOriginalMessage() : e.getMessage());
        }
        String name = QubeNames.validate(entry.name());
        if (entry.qid() == null || entry.qid() < 1) {
            throw new AdminException("qid must be a positive number, found " + node.path("qid"));
        }
        QubeClass klass = QubeClass.parse(entry.klass() == null ? "" : entry.klass());
        if (klass == QubeClass.AdminVM) {
            throw new AdminException("class AdminVM is reserved for dom0");
        }
        Map<String, String> props = new LinkedHashMap<>();
        for (Map.Entry<String, String> e : orEmpty(entry.properties()).entrySet()) {
            QubeProperty p = QubeProperty.parse(e.getKey());
            if (PropertyRules.READ_ONLY.contains(p) || !PropertyRules.applies(klass, p)) {
                throw new AdminException("property '" + p.id() + "' cannot be set on a " + klass);
            }
            String value = e.getValue();
            props.put(p.id(), p.type() == dev.bulkhead.api.PropertyType.QUBE ? value
                    : PropertyRules.parse(null, new QubeRecord(name, 1, klass, Map.of(), Map.of(), List.of()), p, value));
        }
        if (!props.containsKey(QubeProperty.LABEL.id())) {
            throw new AdminException("no label");
        }
        QubeRecord q = new QubeRecord(name, entry.qid(), klass, props, orEmpty(entry.features()), orEmpty(entry.tags(), "tag"));
        if (entry.firewall() != null) {
            q.firewall = orEmpty(entry.firewall(), "firewall rule").stream().map(r -> FirewallRule.parse(r, java.time.Instant.EPOCH)).toList();
        }
        orEmpty(entry.volumes()).forEach((volume, settings) -> q.volumes.put(VolumeRules.requireName(volume), readVolume(volume, settings)));
        return q;
    }

    /** An absent map reads as empty; a null in it would reach validation and rules that expect text. */
    private static <V> Map<String, V> orEmpty(Map<String, V> map) {
        if (map == null) {
            return Map.of();
        }
        map.forEach((key, value) -> {
            if (value == null) {
                throw new AdminException("'" + key + "' is null");
            }
        });
        return map;
    }

    private static List<String> orEmpty(List<String> list, String what) {
        if (list == null) {
            return List.of();
        }
        if (list.contains(null)) {
            throw new AdminException("a " + what + " is null");
        }
        return list;
    }

    private static VolumeConfig readVolume(String volume, StateFile.Volume settings) {
        if (settings.size() != null && settings.size() <= 0
                || settings.revisionsToKeep() != null && settings.revisionsToKeep() < 0) {
            throw new AdminException("volume " + volume + " has settings that are not a positive size and a count: " + settings);
        }
        return new VolumeConfig(settings.size(), settings.revisionsToKeep());
    }

    /** A reference to a qube that was kept aside would break validation of every later change. */
    private void dropDanglingReferences(Model model) {
        for (QubeRecord q : model.qubes.values()) {
            for (QubeProperty p : List.of(QubeProperty.NETVM, QubeProperty.TEMPLATE, QubeProperty.DEFAULT_DISPVM)) {
                String ref = q.own(p.id());
                if (ref != null && !ref.isEmpty() && !model.qubes.containsKey(ref)) {
                    problems.add("state file: " + q.name + "." + p.id() + " named '" + ref
                            + "', which is not loaded; it is left unset");
                    q.properties.remove(p.id());
                }
            }
        }
        model.global.entrySet().removeIf(e -> {
            boolean dangling = !e.getValue().isEmpty() && !model.qubes.containsKey(e.getValue());
            if (dangling) {
                problems.add("state file: global " + e.getKey() + " named '" + e.getValue() + "', which is not loaded; it is left unset");
            }
            return dangling;
        });
    }

    /** Writes the model atomically. Refused while the file on disk could not be read. */
    void save(Model model) {
        if (unreadableReason != null) {
            throw new AdminException("state file " + file + " cannot be read (" + unreadableReason
                    + "); nothing was changed: fix it or move it away, then restart the core");
        }
        List<Object> qubes = new ArrayList<>();
        for (QubeRecord q : model.qubes.values()) {
            if (q.klass == QubeClass.AdminVM) {
                continue;
            }
            Map<String, StateFile.Volume> volumes = new TreeMap<>();
            q.volumes.forEach((name, config) -> volumes.put(name, new StateFile.Volume(config.size(), config.revisionsToKeep())));
            qubes.add(new StateFile.Qube(q.name, q.qid, q.klass.name(), q.properties, q.features, List.copyOf(new TreeSet<>(q.tags)),
                    q.firewall == null ? null : q.firewall.stream().map(FirewallRule::toString).toList(), volumes));
        }
        qubes.addAll(model.unreadable);
        StateFile.Root<Object> root = new StateFile.Root<>(StateFile.VERSION, model.global, qubes);
        try {
            writeAtomically(mapper.writeValueAsBytes(root));
        } catch (IOException e) {
            throw new AdminException("cannot save state file " + file + ": " + e.getMessage() + "; nothing was changed", e);
        }
    }

    private void writeAtomically(byte[] bytes) throws IOException {
        Path dir = file.getParent();
        Files.createDirectories(dir);
        Path temp = Files.createTempFile(dir, TEMP_PREFIX, "");
        try {
            try (FileChannel ch = FileChannel.open(temp, StandardOpenOption.WRITE, StandardOpenOption.TRUNCATE_EXISTING)) {
                java.nio.ByteBuffer buf = java.nio.ByteBuffer.wrap(bytes);
                while (buf.hasRemaining()) {
                    ch.write(buf);
                }
                ch.force(true);
            }
            try {
                Files.move(temp, file, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
            } catch (AtomicMoveNotSupportedException e) {
                throw new IOException("the file system of " + dir + " cannot rename atomically", e);
            }
            try (FileChannel d = FileChannel.open(dir, StandardOpenOption.READ)) {
                d.force(true);
            }
        } finally {
            Files.deleteIfExists(temp);
        }
    }

    /** A crash in the middle of a save leaves a temporary file; the state file itself is intact. */
    private void removeTornWrites() throws IOException {
        Path dir = file.getParent();
        if (!Files.isDirectory(dir)) {
            return;
        }
        try (DirectoryStream<Path> ds = Files.newDirectoryStream(dir, TEMP_PREFIX + "*")) {
            for (Path p : ds) {
                try {
                    Files.delete(p);
                    problems.add("removed " + p.getFileName() + ", left by an interrupted save; the state file is intact");
                } catch (NoSuchFileException e) {
                    // removed concurrently: nothing left to do
                }
            }
        }
    }

    private static String shortText(JsonNode node) {
        String s = node.toString();
        return s.length() > 80 ? s.substring(0, 77) + "..." : s;
    }
}
