package dev.bulkhead.templates.internal;

import java.io.IOException;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.regex.Pattern;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;

import dev.bulkhead.api.AdminException;
import dev.bulkhead.api.InvalidValueException;
import dev.bulkhead.api.QubeNames;
import dev.bulkhead.api.json.JsonMappers;
import dev.bulkhead.api.template.PayloadFile;
import dev.bulkhead.api.template.TemplateManifest;

/** A template manifest as JSON: read strictly (every field checked, nothing unknown), written in one fixed form. */
public final class Manifests {
    static final String MANIFEST = "manifest.json";
    static final String SIGNATURE = "manifest.sig";
    static final Set<String> KINDS = Set.of(PayloadFile.ROOTFS, PayloadFile.KERNEL, PayloadFile.INITRAMFS, PayloadFile.ROOT_IMAGE);
    private static final Set<String> FIELDS = Set.of("format", "name", "version", "summary", "built", "backends", "sizes", "files");
    private static final Set<String> FILE_FIELDS = Set.of("name", "kind", "backends", "size", "sha256", "unpacked_size");
    private static final Set<String> VOLUMES = Set.of("root", "private");
    private static final Pattern VERSION = Pattern.compile("[0-9A-Za-z][0-9A-Za-z.+~_-]{0,63}");
    private static final Pattern BACKEND = Pattern.compile("[a-z][a-z0-9-]{0,31}");
    private static final Pattern FILE_NAME = Pattern.compile("[A-Za-z0-9][A-Za-z0-9._-]{0,63}");
    private static final Pattern SHA256 = Pattern.compile("[0-9a-f]{64}");

    private static final ObjectMapper JSON = JsonMappers.create().enable(SerializationFeature.INDENT_OUTPUT);

    private Manifests() {
    }

    public static TemplateManifest parse(byte[] json) {
        JsonNode root;
        try {
            root = JSON.readTree(json);
        } catch (IOException e) {
            throw new AdminException("manifest.json is not valid JSON: " + (e instanceof JsonProcessingException j ? j.getOriginalMessage() : e.getMessage()));
        }
        if (root == null || !root.isObject()) {
            throw new AdminException("manifest.json is not a JSON object");
        }
        unknown(root, FIELDS, "manifest");
        int format = root.path("format").asInt(-1);
        if (!root.path("format").isInt() || format != TemplateManifest.FORMAT) {
            throw new InvalidValueException("manifest format", root.path("format").toString(),
                    "format " + TemplateManifest.FORMAT + ", the one this platform reads");
        }
        String name = text(root, "name");
        try {
            QubeNames.validate(name);
        } catch (InvalidValueException e) {
            throw new InvalidValueException("template name", name, "a qube name: " + e.getMessage());
        }
        String version = text(root, "version");
        if (!VERSION.matcher(version).matches()) {
            throw new InvalidValueException("template version", version, "1 to 64 letters, digits and . + ~ _ -, starting with a letter or digit");
        }
        String summary = root.has("summary") ? printable(text(root, "summary"), "summary") : "";
        String built = root.has("built") ? printable(text(root, "built"), "built") : "";
        List<String> backends = backends(root, "backends", null);
        Map<String, Long> sizes = new LinkedHashMap<>();
        JsonNode sizeNode = root.path("sizes");
        if (!sizeNode.isMissingNode()) {
            if (!sizeNode.isObject()) {
                throw new InvalidValueException("manifest sizes", sizeNode.toString(), "an object of volume name to bytes");
            }
            Iterator<Map.Entry<String, JsonNode>> it = sizeNode.fields();
            while (it.hasNext()) {
                Map.Entry<String, JsonNode> e = it.next();
                if (!VOLUMES.contains(e.getKey()) || !e.getValue().canConvertToLong() || !e.getValue().isIntegralNumber() || e.getValue().asLong() <= 0) {
                    throw new InvalidValueException("manifest size", e.getKey() + "=" + e.getValue(), "root or private, a positive number of bytes");
                }
                sizes.put(e.getKey(), e.getValue().asLong());
            }
        }
        JsonNode filesNode = root.path("files");
        if (!filesNode.isArray() || filesNode.isEmpty()) {
            throw new InvalidValueException("manifest files", filesNode.toString(), "a list of at least one payload file");
        }
        List<PayloadFile> files = new ArrayList<>();
        Set<String> names = new HashSet<>();
        for (JsonNode f : filesNode) {
            PayloadFile file = file(f, backends);
            if (!names.add(file.name())) {
                throw new InvalidValueException("payload file", file.name(), "each file once");
            }
            files.add(file);
        }
        return new TemplateManifest(format, name, version, summary, built, backends, sizes, files);
    }

    private static PayloadFile file(JsonNode f, List<String> templateBackends) {
        if (!f.isObject()) {
            throw new InvalidValueException("payload file", f.toString(), "an object");
        }
        unknown(f, FILE_FIELDS, "payload file");
        String name = text(f, "name");
        if (!FILE_NAME.matcher(name).matches() || name.equals(MANIFEST) || name.equals(SIGNATURE)) {
            throw new InvalidValueException("payload file name", name, "1 to 64 letters, digits, '.', '_' and '-', not a manifest's name");
        }
        String kind = text(f, "kind");
        if (!KINDS.contains(kind)) {
            throw new InvalidValueException("kind of payload file " + name, kind, "one of " + String.join(", ", KINDS.stream().sorted().toList()));
        }
        List<String> backends = backends(f, "backends", templateBackends);
        long size = count(f, "size", name);
        String sha256 = text(f, "sha256");
        if (!SHA256.matcher(sha256).matches()) {
            throw new InvalidValueException("sha256 of payload file " + name, sha256, "64 lower-case hex digits");
        }
        long unpacked = f.has("unpacked_size") ? count(f, "unpacked_size", name) : size;
        return new PayloadFile(name, kind, backends, size, sha256, unpacked);
    }

    private static List<String> backends(JsonNode node, String field, List<String> allowed) {
        JsonNode array = node.path(field);
        if (!array.isArray() || array.isEmpty()) {
            throw new InvalidValueException("manifest " + field, array.toString(), "a list of at least one backend name");
        }
        List<String> backends = new ArrayList<>();
        for (JsonNode b : array) {
            if (!b.isTextual() || !BACKEND.matcher(b.asText()).matches() || backends.contains(b.asText())) {
                throw new InvalidValueException("backend", b.toString(), "a backend name such as lite, qemu or xen, each once");
            }
            if (allowed != null && !allowed.contains(b.asText())) {
                throw new InvalidValueException("backend", b.asText(), "one of the template's backends " + allowed);
            }
            backends.add(b.asText());
        }
        return backends;
    }

    private static long count(JsonNode node, String field, String file) {
        JsonNode n = node.path(field);
        if (!n.isIntegralNumber() || !n.canConvertToLong() || n.asLong() < 0) {
            throw new InvalidValueException(field + " of payload file " + file, n.toString(), "a number of bytes");
        }
        return n.asLong();
    }

    private static String text(JsonNode node, String field) {
        JsonNode n = node.path(field);
        if (!n.isTextual()) {
            throw new InvalidValueException("manifest field " + field, n.isMissingNode() ? "" : n.toString(), "a string is required");
        }
        return n.asText();
    }

    private static String printable(String text, String field) {
        if (text.length() > 1024 || text.chars().anyMatch(c -> c < 0x20 || c == 0x7f)) {
            throw new InvalidValueException("manifest " + field, text.replaceAll("\\p{Cntrl}", "?"), "at most 1024 printable characters");
        }
        return text;
    }

    private static void unknown(JsonNode node, Set<String> known, String what) {
        node.fieldNames().forEachRemaining(f -> {
            if (!known.contains(f)) {
                throw new InvalidValueException(what + " field", f, "one of " + String.join(", ", known.stream().sorted().toList()));
            }
        });
    }

    /** The manifest's one JSON form; {@link #parse} gives the manifest back. */
    public static byte[] write(TemplateManifest m) {
        ObjectNode root = JSON.createObjectNode();
        root.put("format", m.format());
        root.put("name", m.name());
        root.put("version", m.version());
        root.put("summary", m.summary());
        root.put("built", m.built());
        strings(root.putArray("backends"), m.backends());
        ObjectNode sizes = root.putObject("sizes");
        m.sizes().entrySet().stream().sorted(Map.Entry.comparingByKey()).forEach(e -> sizes.put(e.getKey(), e.getValue()));
        ArrayNode files = root.putArray("files");
        for (PayloadFile f : m.files()) {
            ObjectNode n = files.addObject();
            n.put("name", f.name());
            n.put("kind", f.kind());
            strings(n.putArray("backends"), f.backends());
            n.put("size", f.size());
            n.put("sha256", f.sha256());
            n.put("unpacked_size", f.unpackedSize());
        }
        try {
            return JSON.writeValueAsBytes(root);
        } catch (JsonProcessingException e) {
            throw new IllegalStateException("a tree of plain nodes always serializes", e);
        }
    }

    private static void strings(ArrayNode array, List<String> values) {
        values.forEach(array::add);
    }
}
