package dev.bulkhead.core.internal;

import java.io.IOException;
import java.nio.channels.FileChannel;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;

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
    private static final int FORMAT_VERSION = 1;
    private static final Set<String> QUBE_FIELDS = Set.of("name", "qid", "klass", "properties", "features", "tags",
            "firewall", "volumes");
    private static final Set<String> TOP_FIELDS = Set.of("version", "global", "qubes");

    private final Path file;
    private final ObjectMapper mapper;
    private final List<String> problems = new ArrayList<>();
    private String unreadableReason;

    StateStore(Path dataDir, ObjectMapper mapper) {
        this.file = dataDir.resolve(FILE_NAME);
        this.mapper = mapper.copy().enable(SerializationFeature.INDENT_OUTPUT);
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
        JsonNode root;
        try {
            root = mapper.readTree(Files.readAllBytes(file));
        } catch (JsonProcessingException e) {
            unreadableReason = "not valid JSON: " + e.getOriginalMessage();
            problems.add("state file " + file + " is " + unreadableReason + "; no change is saved until it is fixed or moved away");
            return model;
        }
        if (root == null || !root.isObject()) {
            unreadableReason = "not a JSON object";
            problems.add("state file " + file + " is " + unreadableReason + "; no change is saved until it is fixed or moved away");
            return model;
        }
        root.fieldNames().forEachRemaining(f -> {
            if (!TOP_FIELDS.contains(f)) {
                problems.add("state file: unknown top-level field '" + f + "' ignored");
            }
        });
        JsonNode global = root.path("global");
        for (String g : PropertyRules.GLOBAL) {
            if (global.hasNonNull(g)) {
                model.global.put(g, global.get(g).asText());
            }
        }
        for (JsonNode node : root.path("qubes")) {
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

    private QubeRecord readQube(JsonNode node) {
        if (!node.isObject()) {
            throw new AdminException("not a JSON object");
        }
        node.fieldNames().forEachRemaining(f -> {
            if (!QUBE_FIELDS.contains(f)) {
                problems.add("state file: unknown field '" + f + "' in qube " + node.path("name").asText("?") + " ignored");
            }
        });
        String name = QubeNames.validate(node.path("name").asText(null));
        if (!node.path("qid").canConvertToInt() || node.path("qid").asInt() < 1) {
            throw new AdminException("qid must be a positive number, found " + node.path("qid"));
        }
        QubeClass klass = QubeClass.parse(node.path("klass").asText(""));
        if (klass == QubeClass.AdminVM) {
            throw new AdminException("class AdminVM is reserved for dom0");
        }
        Map<String, String> props = new LinkedHashMap<>();
        Iterator<Map.Entry<String, JsonNode>> it = node.path("properties").fields();
        while (it.hasNext()) {
            Map.Entry<String, JsonNode> e = it.next();
            QubeProperty p = QubeProperty.parse(e.getKey());
            if (PropertyRules.READ_ONLY.contains(p) || !PropertyRules.applies(klass, p)) {
                throw new AdminException("property '" + p.id() + "' cannot be set on a " + klass);
            }
            String value = e.getValue().asText();
            props.put(p.id(), p.type() == dev.bulkhead.api.PropertyType.QUBE ? value
                    : PropertyRules.parse(null, new QubeRecord(name, 1, klass, Map.of(), Map.of(), List.of()), p, value));
        }
        if (!props.containsKey(QubeProperty.LABEL.id())) {
            throw new AdminException("no label");
        }
        Map<String, String> features = new LinkedHashMap<>();
        node.path("features").fields().forEachRemaining(e -> features.put(e.getKey(), e.getValue().asText()));
        List<String> tags = new ArrayList<>();
        node.path("tags").forEach(t -> tags.add(t.asText()));
        QubeRecord q = new QubeRecord(name, node.path("qid").asInt(), klass, props, features, tags);
        if (node.has("firewall")) {
            List<FirewallRule> rules = new ArrayList<>();
            node.path("firewall").forEach(r -> rules.add(FirewallRule.parse(r.asText(), java.time.Instant.EPOCH)));
            q.firewall = List.copyOf(rules);
        }
        node.path("volumes").fields().forEachRemaining(e -> q.volumes.put(VolumeRules.requireName(e.getKey()), readVolume(e.getKey(), e.getValue())));
        return q;
    }

    private static VolumeConfig readVolume(String volume, JsonNode node) {
        JsonNode size = node.path("size");
        JsonNode revisions = node.path("revisions_to_keep");
        if (!size.isMissingNode() && (!size.canConvertToLong() || size.asLong() <= 0)
                || !revisions.isMissingNode() && (!revisions.canConvertToInt() || revisions.asInt() < 0)) {
            throw new AdminException("volume " + volume + " has settings that are not a positive size and a count: " + node);
        }
        return new VolumeConfig(size.isMissingNode() ? null : size.asLong(), revisions.isMissingNode() ? null : revisions.asInt());
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
        ObjectNode root = mapper.createObjectNode();
        root.put("version", FORMAT_VERSION);
        ObjectNode global = root.putObject("global");
        model.global.forEach(global::put);
        ArrayNode qubes = root.putArray("qubes");
        for (QubeRecord q : model.qubes.values()) {
            if (q.klass == QubeClass.AdminVM) {
                continue;
            }
            ObjectNode n = qubes.addObject();
            n.put("name", q.name);
            n.put("qid", q.qid);
            n.put("klass", q.klass.name());
            ObjectNode props = n.putObject("properties");
            q.properties.forEach(props::put);
            ObjectNode features = n.putObject("features");
            q.features.forEach(features::put);
            ArrayNode tags = n.putArray("tags");
            new TreeSet<>(q.tags).forEach(tags::add);
            if (q.firewall != null) {
                ArrayNode firewall = n.putArray("firewall");
                q.firewall.forEach(r -> firewall.add(r.toString()));
            }
            if (!q.volumes.isEmpty()) {
                ObjectNode volumes = n.putObject("volumes");
                q.volumes.forEach((name, config) -> {
                    ObjectNode v = volumes.putObject(name);
                    if (config.size() != null) {
                        v.put("size", config.size());
                    }
                    if (config.revisionsToKeep() != null) {
                        v.put("revisions_to_keep", config.revisionsToKeep());
                    }
                });
            }
        }
        model.unreadable.forEach(qubes::add);
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
